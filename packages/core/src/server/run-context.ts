import type { Logger } from '../logger/logger.js';
import type { TaskContext, TraceCarrier } from '../task/types.js';
import type { InboundMessage } from '../transport/types.js';
import type { DecodedPayload } from './decode.js';

/** Where the runner keeps the decoded key and value on a context. */
export const payloadOf: unique symbol = Symbol('tasks.payload');

/** A `TaskContext` as the runner builds it: the decoded strings ride along. */
export interface RunContext extends TaskContext {
  readonly [payloadOf]: DecodedPayload;
}

/**
 * The context of one attempt: one object, every field its own (so spreading
 * it keeps them all). A retry builds a new one from the same message,
 * payload and trace.
 */
export class AttemptContext implements RunContext {
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
    message: InboundMessage,
    payload: DecodedPayload,
    trace: TraceCarrier,
    taskKey: string,
    group: string,
    attempt: number,
    signal: AbortSignal,
    logger: Logger,
  ) {
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
    this.trace = trace;
    this.logger = logger;
    this[payloadOf] = payload;
  }
}
