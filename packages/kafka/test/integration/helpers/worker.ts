import {
  type ITask,
  type KqConf,
  type Logger,
  type MessageHeaders,
  newTaskServer,
  newTaskServerCtx,
  type RetryOptions,
  silentLogger,
  type TaskContext,
  type TaskServer,
  type TransportEvent,
  withFuncRegister,
  withKafkaConf,
  withTaskRoute,
} from '@tasks/core';
import { KafkaTransport, type KafkaTransportOptions } from '@tasks/kafka';
import { brokers } from './kafka-env.js';
import { testTransportOptions } from './kafka-harness.js';

/** What a task saw of one message. */
export interface SeenRun {
  readonly key: string;
  readonly value: string;
  readonly rawKey: Buffer | null;
  readonly rawValue: Buffer | null;
  readonly headers: MessageHeaders;
  readonly partition: number;
  readonly offset: string;
  readonly attempt: number;
}

export interface WorkerOptions {
  readonly topic: string;
  readonly group: string;
  readonly conf?: Partial<KqConf>;
  readonly transport?: KafkaTransportOptions;
  /** Brokers of the conf; `KAFKA_BROKERS` by default. */
  readonly brokers?: readonly string[];
  /** The TaskServer's logger; silent by default. */
  readonly logger?: Logger;
  /** The server's retries; one attempt by default. */
  readonly retry?: RetryOptions;
  /** The task's work; runs after the run is recorded. */
  readonly work?: (ctx: TaskContext, key: string, value: string) => Promise<void>;
}

/** A `TaskServer` on a `KafkaTransport` with one recording task, as a worker process runs it. */
export interface TestWorker {
  readonly server: TaskServer;
  readonly transport: KafkaTransport;
  readonly runs: SeenRun[];
  readonly events: TransportEvent[];
  /** Partitions owned now, from the transport's events. */
  partitions(): number[];
  stop(): Promise<void>;
}

export function createWorker(options: WorkerOptions): TestWorker {
  const runs: SeenRun[] = [];
  const events: TransportEvent[] = [];
  const owned = new Set<number>();
  const transport = new KafkaTransport({ ...testTransportOptions, ...options.transport });
  transport.onEvent((event) => {
    events.push(event);
    if (event.type === 'assigned') for (const p of event.partitions) owned.add(p);
    if (event.type === 'revoked') for (const p of event.partitions) owned.delete(p);
  });
  const task: ITask = {
    async run(ctx, key, value) {
      runs.push({
        key,
        value,
        rawKey: ctx.rawKey,
        rawValue: ctx.rawValue,
        headers: ctx.headers,
        partition: ctx.partition,
        offset: ctx.offset,
        attempt: ctx.attempt,
      });
      await options.work?.(ctx, key, value);
    },
    stop() {},
  };
  const ctx = newTaskServerCtx(
    withTaskRoute({ work: options.topic }),
    withKafkaConf({
      offset: 'first',
      minBytes: 1,
      maxWaitMs: 200,
      // Dead letters are the subject of their own tests; these make no dead-letter topic.
      deadLetter: { enabled: false },
      ...options.conf,
      brokers: [...(options.brokers ?? brokers)],
      group: options.group,
      topic: options.topic,
    }),
    withFuncRegister((factory) => factory.gen('work', () => task)),
  );
  const server = newTaskServer(ctx, {
    transport,
    logger: options.logger ?? silentLogger,
    retry: options.retry ?? { maxAttempts: 1 },
    shutdownTimeoutMs: 10_000,
  });
  return {
    server,
    transport,
    runs,
    events,
    partitions: () => [...owned].sort((a, b) => a - b),
    stop: () => server.stop(),
  };
}

/** Starts a worker; stops it when `cleanup` runs. */
export async function startWorker(
  options: WorkerOptions,
  cleanup: Array<() => Promise<void>>,
): Promise<TestWorker> {
  const worker = createWorker(options);
  cleanup.push(() => worker.stop());
  await worker.server.start();
  return worker;
}
