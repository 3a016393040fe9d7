import {
  applyKafkaEnv,
  type ConsumerStatus,
  createConsoleLogger,
  type DeadLetterSink,
  type KqConf,
  type Logger,
  type MessageHandler,
  type ResolvedKqConf,
  resolveKqConf,
  StateError,
  type Transport,
  type TransportEvent,
  type TransportListener,
} from '@tasks/core';
import { newKafkaClient } from '../client/kafka-client.js';
import { toKafkaConfig } from '../client/kafka-config.js';
import { installCodecs } from '../codecs/index.js';
import { KafkaDeadLetterSink } from '../dead-letter/kafka-dead-letter-sink.js';
import { GroupMember } from './group-member.js';
import {
  type KafkaTransportOptions,
  type ResolvedTransportOptions,
  resolveTransportOptions,
} from './options.js';
import { PartitionOwners } from './partition-owners.js';

type State = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * core's `Transport` over kafkajs consumer groups: go-queue's `kq` queue.
 * Each subscribed conf opens `conns` group members; each member fetches
 * `consumers` partitions at a time and runs up to `processors` messages at
 * once through core's `Dispatcher`. Offsets are committed only over finished,
 * contiguous runs: on an interval, when partitions are revoked, and at stop.
 *
 * ```ts
 * const server = newTaskServer(ctx, { transport: new KafkaTransport({ logger }) });
 * await server.start();
 * ```
 */
export class KafkaTransport implements Transport {
  readonly name = 'kafka';
  readonly #options: ResolvedTransportOptions;
  readonly #logger: Logger;
  readonly #listeners = new Set<TransportListener>();
  readonly #members: GroupMember[] = [];
  #subscriptions = 0;
  #state: State = 'idle';
  #stopping: Promise<void> | undefined;

  /** Throws a `ConfigError` naming each bad option, before anything connects. */
  constructor(options: KafkaTransportOptions = {}) {
    this.#options = resolveTransportOptions(options);
    this.#logger = options.logger ?? createConsoleLogger();
    installCodecs();
  }

  /**
   * Adds a conf (validated again here, with `env` applied if configured:
   * a `ConfigError` names each bad field). Call before `start()`.
   */
  subscribe(conf: KqConf | ResolvedKqConf, handler: MessageHandler): void {
    if (this.#state !== 'idle') {
      throw new StateError(
        `subscribe() must come before start() (the transport is ${this.#state})`,
      );
    }
    const index = this.#subscriptions++;
    const env = this.#options.env;
    const resolved = resolveKqConf(env ? applyKafkaEnv(conf, env) : conf, `kafkaConf[${index}]`);
    const config = toKafkaConfig(resolved, this.#options, this.#logger);
    const kafka = newKafkaClient(config);
    // Checks the topic before each connection attempt without kafkajs's own
    // retries, so every failed attempt is logged at once, with its backoff.
    const probe = newKafkaClient({ ...config, retry: { ...config.retry, retries: 0 } });
    // With several members in this process, one hands a moved partition to another only once it revoked it.
    const owners =
      resolved.conns > 1
        ? new PartitionOwners(this.#options.sessionTimeoutMs, this.#logger)
        : undefined;
    for (let i = 0; i < resolved.conns; i++) {
      const member = resolved.conns > 1 ? ` (member ${i + 1}/${resolved.conns})` : '';
      this.#members.push(
        new GroupMember({
          kafka,
          probe,
          conf: resolved,
          handler,
          options: this.#options,
          logger: this.#logger,
          emit: (event) => this.#emit(event),
          label: `group "${resolved.group}" on "${resolved.topic}"${member}`,
          ...(owners ? { owners } : {}),
        }),
      );
    }
  }

  /**
   * Connects every member and resolves once each joined its group and
   * resolved its start positions, so a message pushed after `start()`
   * resolves is consumed even with `offset: "last"`. Connection failures are
   * retried with backoff (each reported as an `error` event); refused
   * credentials or a missing topic reject with a `TransportError`.
   */
  async start(): Promise<void> {
    if (this.#state !== 'idle') throw new StateError(`start() called while ${this.#state}`);
    this.#state = 'starting';
    let failure: unknown;
    const members = this.#members;
    await Promise.allSettled(
      members.map((member) =>
        member.start().catch(async (error: unknown) => {
          failure ??= error;
          await Promise.all(members.map((m) => m.stop()));
        }),
      ),
    );
    if (failure !== undefined) {
      this.#state = 'stopped';
      throw failure;
    }
    if (this.#state === 'starting') this.#state = 'running';
  }

  /** Commits every finished, contiguous run of offsets now. */
  async commit(): Promise<void> {
    await Promise.all(this.#members.map((member) => member.commit()));
  }

  /**
   * Stops fetching, waits for every run it started to settle, commits what
   * finished and leaves the groups. Safe to call more than once, and while
   * `start()` is still retrying.
   */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#state = 'stopping';
      await Promise.all(this.#members.map((member) => member.stop()));
      this.#state = 'stopped';
    })();
    return this.#stopping;
  }

  /** Each group member's state: joined, partitions, last fetch and commit, waits, uncommitted runs. */
  status(): ConsumerStatus[] {
    return this.#members.map((member) => member.status());
  }

  /**
   * Writes dead letters with a producer per set of brokers the confs name
   * (`env` applied as for consuming); a missing dead-letter topic is created
   * at start when `createTopics` says how, and refused otherwise.
   */
  deadLetters(): DeadLetterSink {
    return new KafkaDeadLetterSink(this.#options, this.#logger);
  }

  onEvent(listener: TransportListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(event: TransportEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#logger.error('a transport listener threw', { error });
      }
    }
  }
}
