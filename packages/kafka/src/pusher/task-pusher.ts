import {
  createConsoleLogger,
  type ITaskServerCtx,
  type KqConf,
  type PushMiddleware,
  pushRoutes,
  RouteError,
  type TaskServerPlugin,
} from '@tasks/core';
import { type Problems, show } from '../client/client-options.js';
import { checkTopic, type PusherOptions, resolvePusherOptions } from './options.js';
import { type PushOptions, toOutbound } from './push-options.js';
import { PushRouter } from './push-router.js';

/** Options of `TaskPusher`: the shared pusher options and the task route. */
export interface TaskPusherOptions extends PusherOptions {
  /** Task key to topic, as in `ITaskServerCtx.taskRoute()`. */
  readonly route: Readonly<Record<string, string>>;
  /** Their `pushMiddleware` runs outside `middleware` (e.g. `@tasks/otel`'s PRODUCER span). */
  readonly plugins?: readonly TaskServerPlugin[];
  /**
   * Wrap values in gopkg's `kqkafka` envelope
   * (`{"carrier":{"Traceparent":[...]},"body":"..."}`) for Go `kqkafka`
   * consumers: `true` for every route, or the task keys whose topics get it.
   * W3C headers are written either way. Default false.
   */
  readonly envelope?: boolean | readonly string[];
}

/**
 * Pushes tasks by task key: the route says which topic. One producer serves
 * every topic; each topic batches on its own.
 *
 * ```ts
 * const pusher = newTaskPusher(serverCtx);
 * await pusher.pushTask('order', JSON.stringify(order), { key: order.id });
 * ```
 */
export class TaskPusher {
  readonly #route: Readonly<Record<string, string>>;
  readonly #router: PushRouter;

  /** Throws a `ConfigError` naming each bad field and value, before anything connects. */
  constructor(options: TaskPusherOptions) {
    const route = options.route ?? {};
    const fromPlugins: PushMiddleware[] = (options.plugins ?? []).flatMap((p) =>
      p.pushMiddleware ? [p.pushMiddleware] : [],
    );
    const own = options.middleware ?? [];
    // A malformed `middleware` is passed on as is, for the options check to name it.
    const middleware = Array.isArray(own) ? [...fromPlugins, ...own] : own;
    const resolved = resolvePusherOptions({ ...options, middleware }, 'taskPusher', (problems) => {
      if (typeof route !== 'object' || Object.keys(route).length === 0) {
        problems.add('route', 'must map at least one task key to a topic');
      }
      for (const [key, topic] of Object.entries(route)) checkTopic(problems, `route.${key}`, topic);
      checkEnvelope(problems, options.envelope, route);
    });
    this.#route = { ...route };
    const wrapped = envelopeTopics(options.envelope, route);
    this.#router = new PushRouter(
      resolved,
      options.logger ?? createConsoleLogger(),
      wrapped === 'all' ? () => true : (topic) => wrapped.has(topic),
    );
  }

  /** The topic a task key routes to; throws a `RouteError` for an unknown key. */
  topicOf(taskKey: string): string {
    const topic = Object.hasOwn(this.#route, taskKey) ? this.#route[taskKey] : undefined;
    if (topic === undefined) {
      throw new RouteError([
        {
          path: `taskRoute.${taskKey}`,
          message: `no topic for task key "${taskKey}" (routed: ${Object.keys(this.#route).join(', ')})`,
        },
      ]);
    }
    return topic;
  }

  /**
   * Sends one task to its topic; resolves when the brokers acknowledged it,
   * rejects with a `RouteError` (unknown key) or a `TASKS_PUSH_FAILED` `TransportError`.
   */
  pushTask(
    taskKey: string,
    value: string | Buffer | null,
    options: PushOptions = {},
  ): Promise<void> {
    let topic: string;
    try {
      topic = this.topicOf(taskKey);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#router.push(toOutbound(topic, value, options));
  }

  /** Sends what is buffered without waiting for the flush interval. */
  flush(): Promise<void> {
    return this.#router.flush();
  }

  /** Flushes every accepted push and disconnects; later pushes reject. */
  close(): Promise<void> {
    return this.#router.close();
  }
}

function checkEnvelope(
  problems: Problems,
  envelope: TaskPusherOptions['envelope'],
  route: Readonly<Record<string, string>>,
): void {
  if (envelope === undefined || typeof envelope === 'boolean') return;
  if (!Array.isArray(envelope) || envelope.some((key) => typeof key !== 'string')) {
    problems.add('envelope', `must be true, false or a list of task keys, got ${show(envelope)}`);
    return;
  }
  for (const key of envelope) {
    if (!Object.hasOwn(route, key)) {
      problems.add(
        'envelope',
        `names task key "${key}", which has no route (routed: ${Object.keys(route).join(', ')})`,
      );
    }
  }
}

/** The topics whose values get the envelope. */
function envelopeTopics(
  envelope: TaskPusherOptions['envelope'],
  route: Readonly<Record<string, string>>,
): 'all' | ReadonlySet<string> {
  if (envelope === true) return 'all';
  if (!Array.isArray(envelope)) return new Set();
  return new Set(envelope.flatMap((key) => (Object.hasOwn(route, key) ? [route[key]!] : [])));
}

/** A conf field as written: camelCase, or go-zero's PascalCase. */
function confField(conf: KqConf, name: string): unknown {
  const raw = conf as unknown as Record<string, unknown>;
  return raw[name] ?? raw[name[0]!.toUpperCase() + name.slice(1)];
}

/** Connection fields of a `KqConf` (and its `compression`), the ones a pusher needs. */
function connectionOf(conf: KqConf | undefined): Partial<PusherOptions> {
  if (!conf) return {};
  const out: Record<string, unknown> = {};
  for (const name of ['brokers', 'caFile', 'username', 'password', 'compression']) {
    const value = confField(conf, name);
    if (value !== undefined) out[name] = value;
  }
  return out as Partial<PusherOptions>;
}

/**
 * A `TaskPusher` for a server context: its task route (gopkg-form entries,
 * `"<topic>.<group>": taskKey`, read back as task key to topic), and the
 * brokers, credentials and `compression` of its first Kafka conf unless
 * `options` gives them.
 */
export function newTaskPusher<T>(
  serverCtx: ITaskServerCtx<T>,
  options: Partial<TaskPusherOptions> = {},
): TaskPusher {
  const confs = serverCtx.kafkaConf();
  const connection = connectionOf(confs[0]);
  return new TaskPusher({
    ...connection,
    ...options,
    brokers: options.brokers ?? connection.brokers ?? [],
    route: options.route ?? pushRoutes(serverCtx.taskRoute(), routeKeysOf(confs)),
  });
}

/** Topic and group of each conf, as written (go-zero's `Topic`/`Group` too). */
function routeKeysOf(confs: readonly KqConf[]): Array<{ topic: string; group: string }> {
  return confs.map((conf) => ({
    topic: String(confField(conf, 'topic')),
    group: String(confField(conf, 'group')),
  }));
}
