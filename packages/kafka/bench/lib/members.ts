import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BenchError } from './bench-error.ts';
import { partitions, uniqueName } from './kafka.ts';
import type { MemberConfig, MemberReport } from './member-child.ts';
import type { Rate } from './meter.ts';
import type { ConsumerSettings } from './task-server.ts';

const child = fileURLToPath(new URL('./member-child.ts', import.meta.url));

export interface MembersRun {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly messages: number;
  /** Group members, each a process of its own with one TaskServer. */
  readonly members: number;
  readonly settings: ConsumerSettings;
}

/**
 * The no-op task in `members` processes of one group. The members start
 * together and hold their runs until the group has dealt every partition
 * among all of them (each reports its partitions as it joins): otherwise the
 * first to join reads the backlog alone until the rebalance the others
 * cause, and that stall lands in the figure. Then msg/s by the wall clock
 * from the end of the warm-up (the first tenth of the records, as the other
 * contenders) to the last message each member had run when together they
 * counted `messages` (each reports every 10 ms), and per CPU-second of all
 * the members together (from each one's first message).
 */
export async function tasksInMembers(run: MembersRun): Promise<Rate> {
  const config: MemberConfig = {
    brokers: [...run.brokers],
    topic: run.topic,
    group: uniqueName('bench-members'),
    settings: { ...run.settings },
  };
  const counts = new Array<number>(run.members).fill(0);
  const lastAt = new Array<number>(run.members).fill(0);
  const dealt = new Array<number>(run.members).fill(0);
  const warmup = Math.floor(run.messages / 10);
  let warm: { readonly at: number; readonly count: number } | undefined;
  const done = Promise.withResolvers<number>();
  const formed = Promise.withResolvers<void>();
  const ready: Promise<void>[] = [];
  const children: ChildProcess[] = [];
  for (let i = 0; i < run.members; i++) {
    const member = fork(child, [JSON.stringify(config)], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    children.push(member);
    const isReady = Promise.withResolvers<void>();
    ready.push(isReady.promise);
    member.on('message', (report: MemberReport) => {
      if (report.type === 'ready') isReady.resolve();
      else if (report.type === 'partitions') {
        dealt[i] = report.partitions;
        // Every partition dealt once, and none of the members left without one.
        const each = Math.min(1, Math.floor(partitions / run.members));
        if (dealt.reduce((a, b) => a + b, 0) === partitions && dealt.every((d) => d >= each)) {
          formed.resolve();
        }
      } else if (report.type === 'count') {
        counts[i] = report.count;
        lastAt[i] = report.at;
        const total = counts.reduce((a, b) => a + b, 0);
        if (!warm && total >= warmup) warm = { at: Math.max(...lastAt), count: total };
        if (total >= run.messages) done.resolve(Math.max(...lastAt));
      }
    });
    member.on('exit', (code) => {
      if (code !== 0) done.reject(new BenchError(`member ${i} exited with ${code}`));
    });
  }
  const timer = setTimeout(
    () =>
      done.reject(
        new BenchError(
          `members: only ${counts.reduce((a, b) => a + b, 0)}/${run.messages} messages within 300 s`,
        ),
      ),
    300_000,
  );
  try {
    await Promise.all(ready);
    for (const member of children) member.send({ type: 'go' });
    await Promise.race([formed.promise, done.promise]);
    for (const member of children) member.send({ type: 'open' });
    const last = await done.promise;
    const cpu = await Promise.all(
      children.map(
        (member) =>
          new Promise<number>((resolve) => {
            member.on('message', (report: MemberReport) => {
              if (report.type === 'cpu') resolve(report.seconds);
            });
            member.send({ type: 'stop' });
          }),
      ),
    );
    const total = counts.reduce((a, b) => a + b, 0);
    return {
      perSecond: ((total - warm!.count) / (last - warm!.at)) * 1000,
      perCpuSecond: total / cpu.reduce((a, b) => a + b, 0),
    };
  } finally {
    clearTimeout(timer);
    await Promise.all(
      children.map(
        (member) =>
          new Promise<void>((resolve) => {
            if (member.exitCode !== null || member.signalCode !== null) return resolve();
            member.once('exit', () => resolve());
            // A member that does not leave within 30 s is killed.
            setTimeout(() => member.kill('SIGKILL'), 30_000).unref();
          }),
      ),
    );
  }
}
