import {
  type InboundMessage,
  type ITask,
  type KqConf,
  type MessageHandler,
  newTaskServerCtx,
  type ResolvedKqConf,
  type RunListener,
  resolveKqConf,
  silentLogger,
  TaskServer,
  type TaskServerOptions,
  type Transport,
  withFuncRegister,
  withKafkaConf,
  withTaskRoute,
} from '@tasks/core';
import type { HarnessMessage, TransportHarness } from '../harness/types.js';
import { type AssignmentTracker, trackAssignments } from '../helpers/assignment-tracker.js';
import { createDeferred, type Deferred } from '../helpers/deferred.js';
import { waitFor } from '../helpers/wait-for.js';

/** Deadlines of the suite's waits. */
export interface ContractSettings {
  readonly timeoutMs: number;
  readonly pollMs: number;
}

/** A started transport with one subscription, and its partition events. */
export interface Consumer {
  readonly transport: Transport;
  readonly assignments: AssignmentTracker;
  readonly conf: ResolvedKqConf;
  /** Partitions this consumer owns now. */
  partitions(): number[];
}

/** The text of a message's value (the suite's message ids live there). */
export function valueText(message: InboundMessage): string {
  return message.value === null ? '' : message.value.toString('utf8');
}

/**
 * Records what a handler received and finished. `then` decides how each
 * message is handled (default: resolve at once).
 */
export class Inbox {
  readonly received: InboundMessage[] = [];
  readonly finished: InboundMessage[] = [];

  handler(
    then: (message: InboundMessage) => void | Promise<void> = () => undefined,
  ): MessageHandler {
    return async (message) => {
      this.received.push(message);
      await then(message);
      this.finished.push(message);
    };
  }

  /** Distinct values received, in first-seen order. */
  receivedValues(): Set<string> {
    return new Set(this.received.map(valueText));
  }

  finishedValues(): Set<string> {
    return new Set(this.finished.map(valueText));
  }
}

/**
 * One contract case's resources: unique names, the transports it started
 * (stopped afterwards) and the gates it holds handlers on (opened afterwards).
 */
export class ContractFixture {
  readonly #harness: TransportHarness;
  readonly #settings: ContractSettings;
  readonly #live = new Set<Transport>();
  readonly #servers = new Set<TaskServer>();
  readonly #trackers: AssignmentTracker[] = [];
  readonly #gates: Deferred[] = [];

  constructor(harness: TransportHarness, settings: ContractSettings) {
    this.#harness = harness;
    this.#settings = settings;
  }

  name(prefix: string): string {
    return this.#harness.uniqueName(`contract-${prefix}`);
  }

  /** A new topic with a unique name. */
  async topic(partitions: number): Promise<string> {
    const topic = this.name('topic');
    await this.#harness.createTopic(topic, partitions);
    return topic;
  }

  /** A resolved conf on the harness's brokers; `offset` defaults to `first`. */
  conf(topic: string, group: string, extra: Partial<KqConf> = {}): ResolvedKqConf {
    return resolveKqConf({
      offset: 'first',
      ...extra,
      brokers: [...this.#harness.brokers],
      group,
      topic,
    });
  }

  produce(topic: string, messages: readonly HarnessMessage[]): Promise<void> {
    return this.#harness.produce(topic, messages);
  }

  committed(group: string, topic: string): Promise<ReadonlyMap<number, string>> {
    return this.#harness.committedOffsets(group, topic);
  }

  /** A new transport subscribed with `handler`, started. */
  async consumer(conf: ResolvedKqConf, handler: MessageHandler): Promise<Consumer> {
    const transport = await this.#harness.newTransport();
    this.#live.add(transport);
    const assignments = trackAssignments(transport);
    this.#trackers.push(assignments);
    transport.subscribe(conf, handler);
    await transport.start();
    return {
      transport,
      assignments,
      conf,
      partitions: () => assignments.partitions(conf.group, conf.topic),
    };
  }

  /** The harness, for what only some harnesses offer (`readTopic`, `refuseWrites`, `replay`). */
  get harness(): TransportHarness {
    return this.#harness;
  }

  /**
   * A `TaskServer` on a new transport running `task` under the key `work`
   * for `conf`, with `onRun` listening from the start, started; stopped when
   * the case ends if not before.
   */
  async server(
    conf: ResolvedKqConf,
    task: ITask,
    options: Omit<TaskServerOptions, 'transport'> = {},
    onRun?: RunListener,
  ): Promise<TaskServer> {
    const transport = await this.#harness.newTransport();
    const server = new TaskServer(
      newTaskServerCtx(
        withTaskRoute({ work: conf.topic }),
        withKafkaConf(conf),
        withFuncRegister((factory) => factory.gen('work', () => task)),
      ),
      { logger: silentLogger, ...options, transport },
    );
    this.#servers.add(server);
    if (onRun) server.onRun(onRun);
    await server.start();
    return server;
  }

  async stop(consumer: Consumer): Promise<void> {
    await consumer.transport.stop();
    this.#live.delete(consumer.transport);
  }

  async crash(consumer: Consumer): Promise<void> {
    this.#live.delete(consumer.transport);
    await this.#harness.crash(consumer.transport);
  }

  /** A gate to hold handlers on; opened when the case ends, if not before. */
  gate(): Deferred {
    const gate = createDeferred();
    this.#gates.push(gate);
    return gate;
  }

  /** Waits for `condition` with the suite's deadline. */
  async until(
    condition: () => boolean | Promise<boolean>,
    message: string,
    describe?: () => string,
  ): Promise<void> {
    await waitFor(condition, {
      timeoutMs: this.#settings.timeoutMs,
      intervalMs: this.#settings.pollMs,
      message,
      ...(describe ? { describe } : {}),
    });
  }

  /** Opens every gate and stops every transport still running. */
  async dispose(): Promise<void> {
    for (const gate of this.#gates) gate.resolve();
    const servers = [...this.#servers];
    this.#servers.clear();
    await Promise.allSettled(servers.map((s) => s.stop()));
    const live = [...this.#live];
    this.#live.clear();
    await Promise.allSettled(live.map((t) => t.stop()));
    for (const tracker of this.#trackers) tracker.dispose();
  }
}
