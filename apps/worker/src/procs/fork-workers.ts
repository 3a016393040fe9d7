import { fork } from 'node:child_process';
import { processIndexEnv } from '../cli/args.js';
import { Supervisor } from './supervisor.js';

/**
 * `--processes n`: forks `entry` n times with `args` (the command line
 * without `--processes`), each with its index in `WORKER_PROCESS_INDEX`, and
 * supervises them until a signal. Each child is the whole worker with the
 * same config, so they join the same groups and Kafka splits the partitions.
 *
 * The children run in process groups of their own, so a Ctrl-C at the
 * terminal reaches only the supervisor, which passes it on once (a child
 * that saw it twice would take it for the forcing second one).
 */
export async function forkWorkers(
  count: number,
  entry: string,
  args: readonly string[],
  log: (line: string) => void,
): Promise<number> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.WORKER_PROCESSES;
  const supervisor = new Supervisor(count, {
    fork: (index, onExit) => {
      const child = fork(entry, [...args], {
        env: { ...env, [processIndexEnv]: String(index) },
        stdio: 'inherit',
        detached: true,
      });
      log(`supervisor: started process ${index} (pid ${child.pid})`);
      child.on('exit', (code, signal) => onExit({ code, signal }));
      child.on('error', (error) => log(`supervisor: process ${index}: ${error.message}`));
      return {
        kill: (signal) => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        },
      };
    },
    setTimer: (run, ms) => setTimeout(run, ms),
    clearTimer: (timer) => clearTimeout(timer as NodeJS.Timeout),
    now: () => Date.now(),
    log,
  });
  const onSignal = (signal: NodeJS.Signals) => supervisor.signal(signal);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  log(`supervisor: running ${count} worker processes in one group; Ctrl-C to stop`);
  try {
    return await supervisor.run();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
