import { setTimeout as sleep } from 'node:timers/promises';
import {
  type KqConf,
  newTaskServer,
  newTaskServerCtx,
  silentLogger,
  type TaskMiddleware,
  type TaskServerPlugin,
  withFuncRegister,
  withKafkaConf,
  withTaskRoute,
} from '@tasks/core';
import { KafkaTransport } from '@tasks/kafka';
import { uniqueName } from './kafka.ts';
import { Meter, type Rate } from './meter.ts';

/** Conf fields a scenario sets; the rest are kq's defaults (`kqConfDefaults`). */
export type ConsumerSettings = Partial<
  Pick<KqConf, 'processors' | 'consumers' | 'conns' | 'maxWaitMs' | 'minBytes' | 'maxBytes'>
>;

/** The settings of the one-process no-op run the issue measured: processors 64, consumers 4, maxWaitMs 100. */
export const tunedSettings = { processors: 64, consumers: 4, maxWaitMs: 100 } as const;

export interface TasksRun {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly messages: number;
  readonly ioMs: number;
  /** With `ioMs` 0: an `async` no-op task instead of one that returns nothing. */
  readonly async?: boolean;
  readonly settings: ConsumerSettings;
  readonly middleware?: readonly TaskMiddleware[];
  readonly plugins?: readonly TaskServerPlugin[];
}

/** The same work through a `TaskServer` on `KafkaTransport`; resolves with msg/s. */
export async function tasksOnKafka(run: TasksRun): Promise<Rate> {
  const meter = new Meter(run.messages);
  const ioMs = run.ioMs;
  const serverCtx = newTaskServerCtx(
    withTaskRoute({ bench: run.topic }),
    withKafkaConf({
      brokers: [...run.brokers],
      group: uniqueName('bench-tasks'),
      topic: run.topic,
      offset: 'first',
      // The bench topics have no dead-letter topic (no task fails here).
      deadLetter: { enabled: false },
      ...run.settings,
    }),
    withFuncRegister((factory) =>
      factory.gen('bench', () => ({
        run:
          ioMs > 0
            ? async () => {
                await sleep(ioMs);
                meter.tick();
              }
            : run.async
              ? async () => {
                  meter.tick();
                }
              : () => {
                  meter.tick();
                },
        stop() {},
      })),
    ),
  );
  const server = newTaskServer(serverCtx, {
    transport: new KafkaTransport({ logger: silentLogger }),
    logger: silentLogger,
    middleware: run.middleware ?? [],
    plugins: run.plugins ?? [],
  });
  await server.start();
  try {
    return await meter.rate(300_000);
  } finally {
    await server.stop();
  }
}
