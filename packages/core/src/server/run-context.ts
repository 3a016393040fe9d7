import type { Logger } from '../logger/logger.js';
import type { TaskContext, TraceCarrier } from '../task/types.js';
import type { InboundMessage } from '../transport/types.js';
import { type DecodedPayload, traceCarrierOf } from './decode.js';

/** Where the runner keeps the decoded key and value on a context. */
export const payloadOf: unique symbol = Symbol('tasks.payload');

/** A `TaskContext` as the runner builds it: the decoded strings ride along. */
export interface RunContext extends TaskContext {
  readonly [payloadOf]: DecodedPayload;
}

/** What every attempt at one message shares. */
export class MessageState {
  readonly message: InboundMessage;
  readonly payload: DecodedPayload;
  readonly trace: TraceCarrier;

  constructor(message: InboundMessage, payload: DecodedPayload, unwrapEnvelope: boolean) {
    this.message = message;
    this.payload = payload;
    this.trace = traceCarrierOf(message, payload, unwrapEnvelope);
  }

  /** The context of one attempt. Every field is its own, so spreading it keeps them all. */
  context(
    taskKey: string,
    group: string,
    attempt: number,
    signal: AbortSignal,
    logger: Logger,
  ): RunContext {
    return new AttemptContext(this, taskKey, group, attempt, signal, logger);
  }
}

class AttemptContext implements RunContext {
  readonly signal: AbortSignal;
  readonly taskKey: string;
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly timestamp: number;
  readonly headers: InboundMessage['headers'];
  readonly attempt: number;
  readonly rawKey: Buffer | null;
  readonly rawValue: Buffer | null;
  readonly message: InboundMessage;
  readonly trace: TraceCarrier;
  readonly logger: Logger;
  readonly [payloadOf]: DecodedPayload;

  constructor(
    state: MessageState,
    taskKey: string,
    group: string,
    attempt: number,
    signal: AbortSignal,
    logger: Logger,
  ) {
    const { message } = state;
    this.signal = signal;
    this.taskKey = taskKey;
    this.group = group;
    this.topic = message.topic;
    this.partition = message.partition;
    this.offset = message.offset;
    this.timestamp = message.timestamp;
    this.headers = message.headers;
    this.attempt = attempt;
    this.rawKey = message.key;
    this.rawValue = message.value;
    this.message = message;
    this.trace = state.trace;
    this.logger = logger;
    this[payloadOf] = state.payload;
  }
}
