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

const otel = await import(new URL('../../otel/dist/index.js', import.meta.url).href);
const messages = 200_000;
async function once(sampler: number | undefined, prof = false) {
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
  const plugins =
    sampler === undefined
      ? []
      : [await otel.setupTracing({ name: 'b', batcher: 'file', endpoint: '/dev/null', sampler })];
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
    { transport: broker.transport(), logger: silentLogger, plugins },
  );
  const session = new Session();
  session.connect();
  if (prof) {
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  await server.start();
  await done.promise;
  const ms = performance.now() - first;
  if (prof) {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync('/tmp/prof3', { recursive: true });
    writeFileSync('/tmp/prof3/p.cpuprofile', JSON.stringify(profile));
  }
  await server.stop();
  return Math.round((messages / ms) * 1000);
}
const mode = process.argv[2];
if (mode === 'prof') console.log('sampler0 prof', await once(0, true));
else
  for (let r = 0; r < 3; r++)
    console.log('off', await once(undefined), 's0', await once(0), 's1', await once(1));
