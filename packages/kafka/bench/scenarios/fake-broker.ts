import {
  newTaskServer,
  newTaskServerCtx,
  silentLogger,
  withFuncRegister,
  withKafkaConf,
  withTaskRoute,
} from '@tasks/core';
import { FakeBroker } from '@tasks/testing';
import { partitions, recordBytes } from '../lib/kafka.ts';
import { Meter, type Rate } from '../lib/meter.ts';
import { fromRounds, type ScenarioResult, target } from '../lib/result.ts';
import { alternate } from '../lib/rounds.ts';
import { tunedSettings } from '../lib/task-server.ts';

/** No-op tasks through the same `TaskServer` on @tasks/testing's in-memory broker. */
async function once(messages: number): Promise<Rate> {
  const broker = new FakeBroker();
  const topic = 'bench-fake';
  broker.createTopic(topic, { partitions });
  const value = Buffer.alloc(recordBytes, 'x');
  for (let sent = 0; sent < messages; sent += 10_000) {
    const n = Math.min(10_000, messages - sent);
    await broker.produce(
      topic,
      Array.from({ length: n }, (_, i) => ({ key: `k${sent + i}`, value })),
    );
  }
  const meter = new Meter(messages);
  const server = newTaskServer(
    newTaskServerCtx(
      withTaskRoute({ bench: topic }),
      withKafkaConf({
        brokers: [...broker.brokers],
        group: 'bench',
        topic,
        offset: 'first',
        ...tunedSettings,
      }),
      withFuncRegister((factory) =>
        factory.gen('bench', () => ({
          run: async () => {
            meter.tick();
          },
          stop() {},
        })),
      ),
    ),
    { transport: broker.transport(), logger: silentLogger },
  );
  await server.start();
  try {
    return await meter.rate(300_000);
  } finally {
    await server.stop();
  }
}

export async function fakeBroker(
  rounds: number,
  messages: number,
  log: (line: string) => void,
): Promise<ScenarioResult> {
  const r = await alternate(
    'fake-broker',
    rounds,
    [{ name: 'fake', run: () => once(messages) }],
    log,
  );
  return {
    scenario: 'fake-broker',
    description: "no-op tasks through the same TaskServer on @tasks/testing's FakeBroker",
    settings: { messages, recordBytes, partitions, ...tunedSettings },
    figures: fromRounds('@tasks on FakeBroker', r, 'fake'),
    targets: [
      target(
        'fake-broker',
        'msg per CPU-second through the fake broker (one thread: what an idle core gives)',
        r.cpu('fake')!.median,
        '>=',
        200_000,
      ),
    ],
  };
}
