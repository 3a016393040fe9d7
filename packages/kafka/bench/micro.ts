// The runtime's own CPU per message without a broker: a TaskServer on a
// minimal transport that feeds pre-built messages through core's Dispatcher
// the way the Kafka fetch loop does (tryDispatch, ready() when full).
//   node packages/kafka/bench/micro.ts [messages] [sync|async] [through|otel0]
// (`through`: one middleware that only calls next(); `otel0`: @tasks/otel at sampler 0)
import {
  type InboundMessage,
  type MessageHandler,
  newTaskServer,
  newTaskServerCtx,
  type ResolvedKqConf,
  silentLogger,
  type Transport,
  withFuncRegister,
  withKafkaConf,
  withTaskRoute,
} from '@tasks/core';
import { Dispatcher } from '@tasks/core/transport';
import { tracingPlugin } from './lib/otel.ts';

const total = Number(process.argv[2] ?? 2_000_000);
const mode = process.argv[3] ?? 'async';
const through = process.argv[4] === 'through';
const otel0 = process.argv[4] === 'otel0';
const batchSize = 500;
const value = Buffer.alloc(200, 'x');
const headers = Object.freeze({});

class FeedTransport implements Transport {
  readonly name = 'feed';
  #handler: MessageHandler | undefined;
  subscribe(_conf: ResolvedKqConf, handler: MessageHandler): void {
    this.#handler = handler;
  }
  async start(): Promise<void> {}
  async commit(): Promise<void> {}
  async stop(): Promise<void> {}
  onEvent(): () => void {
    return () => {};
  }
  async feed(n: number): Promise<void> {
    const dispatcher = new Dispatcher({ processors: 64, handler: this.#handler! });
    const never = new AbortController().signal;
    let offset = 0;
    for (let p = 0; offset < n; p = (p + 1) % 4) {
      const state = dispatcher.partition('t', p);
      // A batch of fresh messages, as kafkajs hands them.
      const batch: InboundMessage[] = [];
      for (let i = 0; i < batchSize; i++) {
        batch.push({
          topic: 't',
          partition: p,
          offset: String(offset + i),
          timestamp: 0,
          key: Buffer.from(`k${offset + i}`),
          value: Buffer.from(value),
          headers,
        });
      }
      for (let i = 0; i < batch.length; i++) {
        const m = batch[i]!;
        const o = offset + i;
        while (!dispatcher.tryDispatch(state, m, o)) await dispatcher.ready(state, never);
      }
      offset += batchSize;
      for (const pos of dispatcher.tracker.pending()) dispatcher.tracker.markCommitted(pos);
    }
    await dispatcher.idle();
  }
}

let done = 0;
const transport = new FeedTransport();
const server = newTaskServer(
  newTaskServerCtx(
    withTaskRoute({ t: 't' }),
    withKafkaConf({ brokers: ['x:1'], group: 'g', topic: 't', deadLetter: { enabled: false } }),
    withFuncRegister((f) =>
      f.gen('t', () => ({
        run:
          mode === 'sync'
            ? () => {
                done++;
              }
            : async () => {
                done++;
              },
        stop() {},
      })),
    ),
  ),
  {
    transport,
    logger: silentLogger,
    middleware: through ? [(_ctx, next) => next()] : [],
    plugins: otel0 ? [await tracingPlugin(0)] : [],
  },
);
await server.start();
await transport.feed(200_000); // warm-up
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await transport.feed(total);
const cpu = process.cpuUsage(cpu0);
const ms = performance.now() - t0;
process.stdout.write(
  `${mode}: ${((cpu.user + cpu.system) / total).toFixed(3)} us cpu/msg, ${Math.round((total / ms) * 1000)} msg/s (${done})\n`,
);
await server.stop();
