import type { MessageHeaders } from '../transport/types.js';

/** Every header the server adds to a dead letter starts with this. */
export const deadLetterHeaderPrefix = 'tasks.dlq.';

/**
 * The headers of a dead letter (values are UTF-8 text, except `key`, which
 * is the original key's bytes). The message's own headers are kept beside them.
 */
export const DeadLetterHeaders = {
  /** The topic, partition and offset the message was consumed from. */
  topic: 'tasks.dlq.topic',
  partition: 'tasks.dlq.partition',
  offset: 'tasks.dlq.offset',
  /** The original key's bytes (absent for a message without a key). */
  key: 'tasks.dlq.key',
  /** The original record's timestamp, ms since the epoch. */
  timestamp: 'tasks.dlq.timestamp',
  /** The task key that ran it and the consumer group. */
  task: 'tasks.dlq.task',
  group: 'tasks.dlq.group',
  /** The last error's `name`, `message` (at most 4,000 characters) and `code` (a `TasksError`'s). */
  errorName: 'tasks.dlq.error.name',
  errorMessage: 'tasks.dlq.error.message',
  errorCode: 'tasks.dlq.error.code',
  /** Attempts made, the first included. */
  attempts: 'tasks.dlq.attempts',
  /** When the first and the last attempt failed, ISO 8601 in UTC. */
  firstFailure: 'tasks.dlq.first-failure',
  lastFailure: 'tasks.dlq.last-failure',
} as const;

/**
 * Carried by a replayed message (not a dead-letter header: it survives the
 * replay, so a message that dies again brings it back to the dead-letter
 * topic): how many times it was replayed.
 */
export const replayCountHeader = 'tasks.replay.count';

/** Longest error message a dead letter carries. */
export const maxErrorMessageLength = 4_000;

/** What the server knows of a message that failed for good. */
export interface DeadLetterFacts {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly timestamp: number;
  readonly taskKey: string;
  readonly group: string;
  readonly error: Error;
  readonly attempts: number;
  readonly firstFailureAt: number;
  readonly lastFailureAt: number;
}

const text = (value: string | number): Buffer => Buffer.from(String(value), 'utf8');

/** True for a header the server adds to dead letters (replay strips them). */
export function isDeadLetterHeader(name: string): boolean {
  return name.startsWith(deadLetterHeaderPrefix);
}

/**
 * The dead letter's headers: the message's own (any stale `tasks.dlq.*`
 * dropped) and the `DeadLetterHeaders`.
 */
export function deadLetterHeaders(
  original: MessageHeaders,
  facts: DeadLetterFacts,
): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(original)) {
    if (!isDeadLetterHeader(name)) out[name] = value;
  }
  const h = DeadLetterHeaders;
  out[h.topic] = text(facts.topic);
  out[h.partition] = text(facts.partition);
  out[h.offset] = text(facts.offset);
  if (facts.key !== null) out[h.key] = facts.key;
  out[h.timestamp] = text(facts.timestamp);
  out[h.task] = text(facts.taskKey);
  out[h.group] = text(facts.group);
  out[h.errorName] = text(facts.error.name || 'Error');
  out[h.errorMessage] = text(facts.error.message.slice(0, maxErrorMessageLength));
  const code = (facts.error as { code?: unknown }).code;
  if (typeof code === 'string' && code.length > 0) out[h.errorCode] = text(code);
  out[h.attempts] = text(facts.attempts);
  out[h.firstFailure] = text(new Date(facts.firstFailureAt).toISOString());
  out[h.lastFailure] = text(new Date(facts.lastFailureAt).toISOString());
  return out;
}
