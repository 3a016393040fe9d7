// One group member of the `members` contender: a TaskServer with a no-op task
// (it returns nothing) in a process of its own. Starts when the parent says
// `go`, and reports its partitions as it joins. Until the parent says `open`
// every run waits (so a member that joined first holds its processors and
// fetches no further, instead of reading the backlog alone until the others
// join: with `group.initial.rebalance.delay.ms=0`, the test broker's setting,
// the first member forms the group's first generation by itself). Once open,
// runs return at once; it reports its first message's time, then every 10 ms
// its count and its last message's time, and on `stop` its CPU time from its
// first message on.
import {
  newTaskServer,
  newTaskServerCtx,
  silentLogger,
  withFuncRegister,
  withKafkaConf,
  withTaskRoute,
} from '@tasks/core';
import { KafkaTransport } from '@tasks/kafka';

export interface MemberConfig {
  readonly brokers: string[];
  readonly topic: string;
  readonly group: string;
  readonly settings: Record<string, number>;
}

/** Parent <- member messages. */
export type MemberReport =
  | { readonly type: 'ready' }
  | { readonly type: 'partitions'; readonly partitions: number }
  | { readonly type: 'first'; readonly at: number }
  | { readonly type: 'count'; readonly count: number; readonly at: number }
  | { readonly type: 'cpu'; readonly seconds: number; readonly count: number };

/** How often a member tells its count (when it moved), with the time of its last message. */
const reportEveryMs = 10;
const config = JSON.parse(process.argv[2] ?? '{}') as MemberConfig;
const send = (report: MemberReport) => process.send?.(report);
/** Epoch milliseconds with sub-millisecond resolution, comparable across processes. */
const now = () => performance.timeOrigin + performance.now();

let count = 0;
let open = false;
const opened = Promise.withResolvers<void>();
let reported = 0;
let lastAt = 0;
let cpuFirst: NodeJS.CpuUsage | undefined;
const server = newTaskServer(
  newTaskServerCtx(
    withTaskRoute({ bench: config.topic }),
    withKafkaConf({
      brokers: config.brokers,
      group: config.group,
      topic: config.topic,
      offset: 'first',
      deadLetter: { enabled: false },
      ...config.settings,
    }),
    withFuncRegister((factory) =>
      factory.gen('bench', () => ({
        // A run held before `open` that lost its partition meanwhile is the new owner's to count.
        run: (ctx) =>
          open
            ? tick()
            : opened.promise.then(() => {
                if (!ctx.signal.aborted) tick();
              }),
        stop() {},
      })),
    ),
  ),
  { transport: new KafkaTransport({ logger: silentLogger }), logger: silentLogger },
);

function tick(): void {
  count += 1;
  lastAt = now();
  if (count === 1) {
    cpuFirst = process.cpuUsage();
    send({ type: 'first', at: lastAt });
  }
}

let partitions = -1;
const reporter = setInterval(() => {
  if (!open) {
    const held = server
      .status()
      .consumers.reduce(
        (sum, consumer) => sum + (consumer.joined ? consumer.partitions.length : 0),
        0,
      );
    if (held !== partitions) {
      partitions = held;
      send({ type: 'partitions', partitions });
    }
    return;
  }
  if (count === reported) return;
  reported = count;
  send({ type: 'count', count, at: lastAt });
}, reportEveryMs);

process.on('message', (message: { type: string }) => {
  if (message.type === 'go') {
    void server.start();
  } else if (message.type === 'open') {
    open = true;
    opened.resolve();
  } else if (message.type === 'stop') {
    const cpu = process.cpuUsage(cpuFirst);
    clearInterval(reporter);
    send({ type: 'cpu', seconds: cpuFirst ? (cpu.user + cpu.system) / 1e6 : 0, count });
    void server.stop().finally(() => process.disconnect());
  }
});
send({ type: 'ready' });
