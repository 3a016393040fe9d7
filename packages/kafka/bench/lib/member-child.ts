// One group member of the `members` contender: a TaskServer with a no-op task
// (it returns nothing) in a process of its own. Starts when the parent says
// `go` (so every member joins the same first generation), reports its first
// message's time, then every 10 ms its count and its last message's time, and
// on `stop` its CPU time from its first message on.
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
        run: () => {
          count += 1;
          lastAt = now();
          if (count === 1) {
            cpuFirst = process.cpuUsage();
            send({ type: 'first', at: lastAt });
          }
        },
        stop() {},
      })),
    ),
  ),
  { transport: new KafkaTransport({ logger: silentLogger }), logger: silentLogger },
);

const reporter = setInterval(() => {
  if (count === reported) return;
  reported = count;
  send({ type: 'count', count, at: lastAt });
}, reportEveryMs);

process.on('message', (message: { type: string }) => {
  if (message.type === 'go') {
    void server.start();
  } else if (message.type === 'stop') {
    const cpu = process.cpuUsage(cpuFirst);
    clearInterval(reporter);
    send({ type: 'cpu', seconds: cpuFirst ? (cpu.user + cpu.system) / 1e6 : 0, count });
    void server.stop().finally(() => process.disconnect());
  }
});
send({ type: 'ready' });
