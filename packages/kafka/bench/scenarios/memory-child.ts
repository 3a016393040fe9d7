// A child process of the memory scenario: starts a TaskServer whose task
// waits `ioMs` per message, samples its own RSS for `windowMs` once the
// server has started, and prints {"peakRss":..,"processed":..} on stdout.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  newTaskServer,
  newTaskServerCtx,
  silentLogger,
  withFuncRegister,
  withKafkaConf,
  withTaskRoute,
} from '@tasks/core';
import { KafkaTransport } from '@tasks/kafka';

interface ChildConfig {
  readonly brokers: string[];
  readonly topic: string;
  readonly group: string;
  readonly ioMs: number;
  readonly windowMs: number;
  readonly settings: Record<string, number>;
}

const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
let processed = 0;
const server = newTaskServer(
  newTaskServerCtx(
    withTaskRoute({ bench: config.topic }),
    withKafkaConf({
      brokers: config.brokers,
      group: config.group,
      topic: config.topic,
      offset: 'first',
      // The bench topics have no dead-letter topic (no task fails here).
      deadLetter: { enabled: false },
      ...config.settings,
    }),
    withFuncRegister((factory) =>
      factory.gen('bench', () => ({
        run: async () => {
          await sleep(config.ioMs);
          processed += 1;
        },
        stop() {},
      })),
    ),
  ),
  { transport: new KafkaTransport({ logger: silentLogger }), logger: silentLogger },
);
await server.start();
let peak = process.memoryUsage.rss();
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage.rss());
}, 20);
await sleep(config.windowMs);
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage.rss());
await server.stop();
process.stdout.write(`${JSON.stringify({ peakRss: peak, processed })}\n`);
