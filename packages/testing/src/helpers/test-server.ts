import {
  type FuncCreateTask,
  type ITask,
  type KqConf,
  newTaskServerCtx,
  RouteError,
  type RunEvent,
  type ServerCtxOption,
  silentLogger,
  TaskServer,
  type TaskServerOptions,
  type TypedServerCtxOption,
  withFuncRegister,
  withKafkaConf,
  withObject,
  withTaskRoute,
} from '@tasks/core';
import { FakeBroker } from '../broker/fake-broker.js';
import type { ProduceRecord, RecordMetadata } from '../broker/types.js';
import type { FakeTransport } from '../transport/fake-transport.js';
import type { FakeTransportOptions } from '../transport/options.js';
import { RunRecorder } from './run-recorder.js';
import { uniqueName } from './unique-name.js';
import type { WaitForOptions } from './wait-for.js';

/** One task of a test server: its topic and the task (or how to build it). */
export interface TestTaskSpec<T = unknown> {
  readonly topic: string;
  /** The task, or a `FuncCreateTask` as `factory.gen` takes. */
  readonly task: ITask | FuncCreateTask<T>;
  /** Partitions of the topic if this helper creates it. Default 1. */
  readonly partitions?: number;
}

/** What `createTestServer` wires together. */
export interface TestServerOptions<T = unknown> {
  /** Task key to task spec; becomes the route, the registrations and one conf per task. */
  readonly tasks: Readonly<Record<string, TestTaskSpec<T>>>;
  /** Share a broker between servers (e.g. to see redelivery); a new one otherwise. */
  readonly broker?: FakeBroker;
  /** The consumer group of every conf. Default: a unique name. */
  readonly group?: string;
  /** Fields for every conf; `offset` defaults to `first` so nothing produced is skipped. */
  readonly conf?: Partial<Omit<KqConf, 'brokers' | 'group' | 'topic'>>;
  /** Your services object (`withObject`). */
  readonly object?: T;
  readonly transport?: FakeTransportOptions;
  /** Server options; `logger` defaults to silent. */
  readonly server?: Omit<TaskServerOptions<T>, 'transport' | 'factory'>;
}

/**
 * A `TaskServer` on a fake broker, with the route, confs and registrations
 * built from one `tasks` map, and its run events recorded.
 */
export class TestServer<T = unknown> {
  readonly broker: FakeBroker;
  readonly transport: FakeTransport;
  readonly server: TaskServer<T>;
  /** The server's run events, recorded from construction. */
  readonly runs: RunRecorder;
  readonly group: string;
  readonly #routes: Readonly<Record<string, string>>;

  constructor(options: TestServerOptions<T>) {
    this.broker = options.broker ?? new FakeBroker();
    this.group = options.group ?? uniqueName('test-group');
    const entries = Object.entries(options.tasks);
    const routes: Record<string, string> = {};
    const confs: KqConf[] = [];
    for (const [key, spec] of entries) {
      routes[key] = spec.topic;
      confs.push({
        offset: 'first',
        ...options.conf,
        brokers: this.broker.brokers,
        group: this.group,
        topic: spec.topic,
      });
      if (!this.broker.hasTopic(spec.topic) || spec.partitions !== undefined) {
        this.broker.createTopic(spec.topic, { partitions: spec.partitions ?? 1 });
      }
    }
    this.#routes = routes;
    const ctxOptions: (ServerCtxOption | TypedServerCtxOption<T>)[] = [
      withTaskRoute(routes),
      withKafkaConf(confs),
      withFuncRegister<T>((factory) => {
        for (const [key, { task }] of entries) {
          factory.gen(key, typeof task === 'function' ? task : () => task);
        }
      }),
    ];
    if (options.object !== undefined) ctxOptions.push(withObject(options.object));
    this.transport = this.broker.transport(options.transport);
    this.server = new TaskServer(newTaskServerCtx<T>(...ctxOptions), {
      logger: silentLogger,
      ...options.server,
      transport: this.transport,
    });
    this.runs = new RunRecorder(this.server);
  }

  /** Starts the server; resolves once its consumers own their partitions. */
  async start(): Promise<this> {
    await this.server.start();
    return this;
  }

  /** Produces `value` to the topic `taskKey` routes to. */
  async push(
    taskKey: string,
    value: string | Buffer | null,
    options: Omit<ProduceRecord, 'value'> = {},
  ): Promise<RecordMetadata> {
    const [metadata] = await this.broker.produce(this.topicOf(taskKey), { ...options, value });
    return metadata!;
  }

  /** The topic `taskKey` routes to; a `RouteError` for an unknown key. */
  topicOf(taskKey: string): string {
    const topic = this.#routes[taskKey];
    if (topic === undefined) {
      throw new RouteError([
        {
          path: `taskRoute.${taskKey}`,
          message: `no such task key in this test server (known: ${Object.keys(this.#routes).join(', ')})`,
        },
      ]);
    }
    return topic;
  }

  /** Resolves once at least `count` messages settled (succeeded, or failed for good). */
  waitForSettled(count: number, options?: WaitForOptions): Promise<RunEvent[]> {
    return this.runs.waitForSettled(count, options);
  }

  /** The group's committed offsets on `taskKey`'s topic. */
  committedOffsets(taskKey: string): Map<number, number> {
    return this.broker.committedOffsets(this.group, this.topicOf(taskKey));
  }

  /** Stops the server (draining runs) and stops recording. */
  async stop(): Promise<void> {
    try {
      await this.server.stop();
    } finally {
      this.runs.dispose();
    }
  }
}

/** Builds a `TestServer`; call `start()` on it (or use `startTestServer`). */
export function createTestServer<T = unknown>(options: TestServerOptions<T>): TestServer<T> {
  return new TestServer(options);
}

/** Builds and starts a `TestServer`. */
export function startTestServer<T = unknown>(
  options: TestServerOptions<T>,
): Promise<TestServer<T>> {
  return new TestServer(options).start();
}
