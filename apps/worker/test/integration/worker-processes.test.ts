import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runWorker, type StartedWorker, startWorker, summaryOf } from '../support.js';

const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const dir = mkdtempSync(join(tmpdir(), 'worker-processes-'));
const kafka = { KAFKA_BROKERS: brokers, WORKER_PROCESSES: undefined };

function write(name: string, lines: readonly string[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/**
 * Fresh topics and groups: the supervised worker consumes `orders` (its
 * dead-letter topic is created with it); the pusher, the single-process
 * worker's demo, sends its orders there and consumes its payments itself.
 */
function configs() {
  const id = randomUUID().slice(0, 8);
  const orders = `procs-orders-${id}`;
  const worker = write(`worker-${id}.yaml`, [
    `TaskRoute: { order: ${orders}, payment: procs-unused-${id} }`,
    'KafkaConf:',
    `  - { Brokers: [${brokers}], Group: procs-${id}, Topic: ${orders}, Offset: first }`,
  ]);
  const payments = `procs-payments-${id}`;
  const pusher = write(`pusher-${id}.yaml`, [
    `TaskRoute: { order: ${orders}, payment: ${payments} }`,
    'KafkaConf:',
    `  - { Brokers: [${brokers}], Group: procs-pusher-${id}, Topic: ${payments}, Offset: first }`,
  ]);
  return { worker, pusher };
}

/** Each process's latest count of settled runs, from its `[process i] ... ran N tasks` lines. */
function ranByProcess(stderr: string, prefix = ''): Map<number, number> {
  const ran = new Map<number, number>();
  const line = new RegExp(`^\\[process (\\d+)\\] ${prefix}ran (\\d+) tasks`, 'gm');
  for (const match of stderr.matchAll(line)) ran.set(Number(match[1]), Number(match[2]));
  return ran;
}

const total = (ran: Map<number, number>) => [...ran.values()].reduce((a, b) => a + b, 0);

/** Whether each child printed its `running` line at least `times` times. */
const running = (stderr: string, times = 1) =>
  [0, 1].every(
    (i) => stderr.split(`[process ${i}] worker "task-worker" running on kafka`).length - 1 >= times,
  );

/** The pid the supervisor last started child `index` with. */
function pidOf(stderr: string, index: number): number {
  const pids = [...stderr.matchAll(new RegExp(`started process ${index} \\(pid (\\d+)\\)`, 'g'))];
  const pid = pids.at(-1)?.[1];
  if (pid === undefined) throw new Error(`no pid for process ${index}\n${stderr}`);
  return Number(pid);
}

let started: StartedWorker | undefined;
afterEach(async () => {
  if (started && started.child.exitCode === null && started.child.signalCode === null) {
    started.child.kill('SIGKILL');
    await started.exited;
  }
  started = undefined;
});

describe('the built worker with --processes 2 on Kafka', () => {
  it('splits the group between two children, loses nothing, and drains on SIGTERM', async () => {
    const { worker, pusher } = configs();
    started = startWorker(['--config', worker, '--processes', '2', '--transport', 'kafka'], kafka);
    const supervisor = started;
    await supervisor.waitForStderr((stderr) => running(stderr), 90_000);

    const push = await runWorker(
      ['--config', pusher, '--demo', '200', '--exit-when-idle'],
      kafka,
      110_000,
    );
    expect(push.code, push.stderr).toBe(0);
    expect(summaryOf(push)).toMatchObject({ pushed: 200, pushedElsewhere: 100 });

    // Every order settled in one child or the other.
    await supervisor.waitForStderr((stderr) => total(ranByProcess(stderr)) >= 100, 60_000);

    supervisor.child.kill('SIGTERM');
    const run = await supervisor.exited;
    expect(run.code, run.stderr).toBe(0);
    const stopped = ranByProcess(run.stderr, 'stopped: ');
    expect([...stopped.keys()].sort(), run.stderr).toEqual([0, 1]);
    expect(total(stopped), run.stderr).toBe(100);
    for (const count of stopped.values()) expect(count, run.stderr).toBeGreaterThan(0);
    expect(run.stderr).toMatch(/supervisor: SIGTERM received: stopping 2 worker processes/);
    expect(run.stderr).not.toMatch(/failed [1-9]/);
  });
});

describe('the built worker with --processes 2 on Kafka, a child killed', () => {
  it('restarts the child after its backoff, and the group still settles every order', async () => {
    const { worker, pusher } = configs();
    started = startWorker(['--config', worker, '--processes', '2', '--transport', 'kafka'], kafka);
    const supervisor = started;
    await supervisor.waitForStderr((stderr) => running(stderr), 90_000);
    const killed = pidOf(supervisor.output.stderr, 1);
    process.kill(killed, 'SIGKILL');
    await supervisor.waitForStderr(
      (stderr) =>
        /supervisor: process 1 exited with signal SIGKILL; restarting it in 1 s/.test(stderr),
      30_000,
    );
    // The new process 1 joined the group.
    await supervisor.waitForStderr(
      (stderr) => stderr.split('[process 1] worker "task-worker" running on kafka').length - 1 >= 2,
      90_000,
    );
    expect(pidOf(supervisor.output.stderr, 1)).not.toBe(killed);

    const push = await runWorker(
      ['--config', pusher, '--demo', '200', '--exit-when-idle'],
      kafka,
      110_000,
    );
    expect(push.code, push.stderr).toBe(0);
    await supervisor.waitForStderr((stderr) => total(ranByProcess(stderr)) >= 100, 60_000);

    supervisor.child.kill('SIGTERM');
    const run = await supervisor.exited;
    expect(run.code, run.stderr).toBe(0);
    const stopped = ranByProcess(run.stderr, 'stopped: ');
    expect(total(stopped), run.stderr).toBe(100);
    expect(stopped.get(1), run.stderr).toBeGreaterThan(0);
  });
});

describe('the built worker with --processes 2 on Kafka, the supervisor killed', () => {
  it('leaves no orphans: each child drains and exits once its supervisor is gone', async () => {
    const { worker } = configs();
    started = startWorker(['--config', worker, '--processes', '2', '--transport', 'kafka'], kafka);
    const supervisor = started;
    await supervisor.waitForStderr((stderr) => running(stderr), 90_000);
    supervisor.child.kill('SIGKILL');
    // The children hold the same stderr pipe: it closes once both exited
    // (the test would time out while one of them still ran).
    const run = await supervisor.exited;
    expect(run.stderr).toMatch(/^\[process 0\] stopped: ran 0 tasks/m);
    expect(run.stderr).toMatch(/^\[process 1\] stopped: ran 0 tasks/m);
  });
});

describe('the built worker with --processes 2, a configuration mistake', () => {
  it('does not restart a child that exited 2: the supervisor stops the other and exits 2', async () => {
    const id = randomUUID().slice(0, 8);
    // Loads (the supervisor's check), but the children's routing refuses a topic no key routes to.
    const path = write(`unrouted-${id}.yaml`, [
      `TaskRoute: { order: procs-o-${id}, payment: procs-p-${id} }`,
      'KafkaConf:',
      `  - { Brokers: [${brokers}], Group: procs-${id}, Topic: procs-x-${id} }`,
    ]);
    const run = await runWorker(
      ['--config', path, '--processes', '2', '--transport', 'kafka'],
      kafka,
      60_000,
    );
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/RouteError \[TASKS_ROUTE_INVALID\]/);
    expect(run.stderr).toMatch(
      /supervisor: process \d exited with code 2 \(a configuration mistake\): stopping the others/,
    );
    expect(run.stderr).not.toMatch(/restarting/);
  });
});
