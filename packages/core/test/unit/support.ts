import {
  type DeadLetter,
  type DeadLetterSink,
  type DeadLetterTarget,
  type InboundMessage,
  type ITask,
  type KqConf,
  type LogFields,
  type Logger,
  type MessageHandler,
  newTaskServer,
  newTaskServerCtx,
  type ResolvedKqConf,
  type RunEvent,
  type TaskRunError,
  type TaskServerOptions,
  type Transport,
  type TransportEvent,
  type TransportListener,
  withFuncRegister,
  withKafkaConf,
  withTaskRoute,
} from '@tasks/core';
import { onTestFinished } from 'vitest';

/** A promise with its resolve and reject in hand. */
export interface Deferred<T = void> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every queued microtask and I/O callback run once; no timer involved. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Waits until `condition` holds, turning the event loop meanwhile; fails after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean,
  what = 'condition',
  timeoutMs = 2_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await flush();
  }
}

/** How a promise ended, without awaiting it: for "has it settled yet?" checks. */
export function track<T>(promise: Promise<T>): {
  readonly settled: () => boolean;
  readonly result: Promise<{ ok: true; value: T } | { ok: false; error: unknown }>;
} {
  let settled = false;
  const result = promise.then(
    (value) => {
      settled = true;
      return { ok: true as const, value };
    },
    (error: unknown) => {
      settled = true;
      return { ok: false as const, error };
    },
  );
  return { settled: () => settled, result };
}

let uniqueCounter = 0;

/** A fresh topic (or group) name, so tests never share state by name. */
export function unique(prefix: string): string {
  uniqueCounter += 1;
  return `${prefix}-${process.pid}-${uniqueCounter}`;
}

export function inbound(
  topic: string,
  offset: number | string,
  fields: Partial<Omit<InboundMessage, 'topic' | 'offset'>> & {
    keyText?: string;
    text?: string;
  } = {},
): InboundMessage {
  const { keyText, text, ...rest } = fields;
  return {
    topic,
    partition: 0,
    offset: String(offset),
    timestamp: 1_700_000_000_000,
    key: keyText === undefined ? null : Buffer.from(keyText),
    value: text === undefined ? null : Buffer.from(text),
    headers: {},
    ...rest,
  };
}

interface Subscription {
  readonly conf: ResolvedKqConf;
  readonly handler: MessageHandler;
}

/**
 * A transport driven by hand: `subscribe` stores the handler and the test
 * delivers messages itself. Like a real transport, `stop()` waits for every
 * handler call it made to settle.
 */
export class ManualTransport implements Transport {
  readonly name = 'manual';
  readonly subscriptions: Subscription[] = [];
  readonly calls: string[] = [];
  startError: Error | undefined;
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #listeners = new Set<TransportListener>();

  subscribe(conf: ResolvedKqConf, handler: MessageHandler): void {
    this.calls.push(`subscribe ${conf.topic}`);
    this.subscriptions.push({ conf, handler });
  }

  async start(): Promise<void> {
    this.calls.push('start');
    if (this.startError) throw this.startError;
  }

  async commit(): Promise<void> {
    this.calls.push('commit');
  }

  async stop(): Promise<void> {
    this.calls.push('stop');
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  onEvent(listener: TransportListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Dead letters written through `deadLetters()`, in order, and the topics checked at start. */
  readonly letters: DeadLetter[] = [];
  readonly prepared: DeadLetterTarget[] = [];
  /** While set, every dead-letter write (or, `prepareError`, every start check) fails with it. */
  letterError: Error | undefined;
  prepareError: Error | undefined;
  sinkClosed = 0;

  deadLetters(): DeadLetterSink {
    return {
      prepare: async (target) => {
        if (this.prepareError) throw this.prepareError;
        this.prepared.push(target);
      },
      send: async (letter) => {
        if (this.letterError) throw this.letterError;
        this.letters.push(letter);
      },
      close: async () => {
        this.sinkClosed += 1;
      },
    };
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }

  emit(event: TransportEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  /** Calls the handler subscribed for the message's topic and returns its promise. */
  deliver(message: InboundMessage): Promise<void> {
    const sub = this.subscriptions.find((s) => s.conf.topic === message.topic);
    if (!sub) throw new Error(`nothing subscribed to ${message.topic}`);
    const run = sub.handler(message);
    this.#inFlight.add(run);
    const forget = () => this.#inFlight.delete(run);
    run.then(forget, forget);
    return run;
  }
}

export interface LogRecord {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: LogFields | undefined;
}

/** A logger that keeps what it is given. */
export function captureLogger(): { logger: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const at =
    (level: LogRecord['level']) =>
    (message: string, fields?: LogFields): void => {
      records.push({ level, message, fields });
    };
  return {
    records,
    logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
  };
}

export interface HarnessOptions {
  readonly run?: ITask['run'];
  readonly stop?: ITask['stop'];
  readonly conf?: Partial<KqConf>;
  readonly server?: Partial<TaskServerOptions>;
}

/**
 * One task ("order") on a fresh topic, served over a ManualTransport, with the
 * failures, run events and logs collected. The server is stopped when the test
 * finishes.
 */
export function serverHarness(options: HarnessOptions = {}) {
  const topic = unique('orders');
  const group = unique('group');
  const transport = new ManualTransport();
  const { logger, records } = captureLogger();
  const errors: TaskRunError[] = [];
  const events: RunEvent[] = [];
  let taskStops = 0;
  const ctx = newTaskServerCtx<unknown>(
    withTaskRoute({ order: topic }),
    withKafkaConf({ brokers: ['localhost:9092'], group, topic, ...options.conf }),
    withFuncRegister((factory) =>
      factory.gen('order', () => ({
        run: options.run ?? (() => {}),
        stop: () => {
          taskStops += 1;
          return options.stop?.();
        },
      })),
    ),
  );
  const server = newTaskServer(ctx, {
    transport,
    logger,
    onError: (error) => {
      errors.push(error);
    },
    retry: { maxAttempts: 1, initialDelayMs: 1, maxDelayMs: 1 },
    shutdownTimeoutMs: 200,
    ...options.server,
  });
  server.onRun((event) => events.push(event));
  onTestFinished(() => server.stop());
  return {
    server,
    transport,
    topic,
    group,
    records,
    errors,
    events,
    taskStops: () => taskStops,
    outcomes: () => events.map((e) => `${e.outcome}#${e.attempt}`),
    deliver: (offset: number, fields?: Parameters<typeof inbound>[2]) =>
      transport.deliver(inbound(topic, offset, fields)),
  };
}
