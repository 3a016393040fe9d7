import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import {
  newTaskServer,
  newTaskServerCtx,
  silentLogger,
  withFuncRegister,
  withKafkaConf,
  withTaskRoute,
} from '@tasks/core';
import { FakeBroker } from '@tasks/testing';

const messages = 300_000;
const broker = new FakeBroker();
broker.createTopic('t', { partitions: 4 });
const value = Buffer.alloc(200, 'x');
for (let s = 0; s < messages; s += 10_000)
  await broker.produce(
    't',
    Array.from({ length: 10_000 }, (_, i) => ({ key: `k${s + i}`, value })),
  );
let n = 0;
let first = 0;
const done = Promise.withResolvers<void>();
const server = newTaskServer(
  newTaskServerCtx(
    withTaskRoute({ b: 't' }),
    withKafkaConf({
      brokers: [...broker.brokers],
      group: 'g',
      topic: 't',
      offset: 'first',
      processors: 64,
      consumers: 4,
      maxWaitMs: 100,
    }),
    withFuncRegister((f) =>
      f.gen('b', () => ({
        run: async () => {
          if (n++ === 0) first = performance.now();
          if (n === messages) done.resolve();
        },
        stop() {},
      })),
    ),
  ),
  { transport: broker.transport(), logger: silentLogger },
);
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.start');
await server.start();
await done.promise;
const ms = performance.now() - first;
const { profile } = await session.post('Profiler.stop');
mkdirSync('/tmp/prof2', { recursive: true });
writeFileSync('/tmp/prof2/p.cpuprofile', JSON.stringify(profile));
console.log(Math.round((messages / ms) * 1000), 'msg/s');
await server.stop();
