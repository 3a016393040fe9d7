import { ConfigError, type ConfigProblem } from '../errors/index.js';
import type { OutboundMessage } from '../transport/push.js';
import type { InboundMessage, MessageHeaders } from '../transport/types.js';
import { DeadLetterHeaders, isDeadLetterHeader, replayCountHeader } from './headers.js';

/** A dead letter's headers, read back. */
export interface DeadLetterInfo {
  /** Where the message was consumed from, and its key. */
  readonly original: {
    readonly topic: string;
    readonly partition: number;
    readonly offset: string;
    readonly key: Buffer | null;
  };
  readonly taskKey: string | undefined;
  readonly group: string | undefined;
  readonly errorName: string | undefined;
  readonly errorMessage: string | undefined;
  readonly attempts: number | undefined;
  /** ms since the epoch. */
  readonly firstFailureAt: number | undefined;
  readonly lastFailureAt: number | undefined;
  /** Replays the message went through before it died this time (0: never replayed). */
  readonly replayCount: number;
}

/** Which dead letters a replay sends back. Every field given must match. */
export interface ReplayFilter {
  /** Only letters of these task keys. */
  readonly taskKeys?: readonly string[];
  /** Only letters whose last error has one of these names (e.g. `NonRetriableError`). */
  readonly errorNames?: readonly string[];
  /** Only letters whose last failure was at or after this time (ms since the epoch). */
  readonly since?: number;
  /** Only letters whose last failure was before this time (ms since the epoch). */
  readonly until?: number;
}

/** Options every replay function takes. */
export interface ReplayOptions {
  readonly filter?: ReplayFilter;
  /** Read and report what would be sent; send nothing. */
  readonly dryRun?: boolean;
  /** Called for each dead letter that matches, once it was sent (or would be, in a dry run). */
  readonly onLetter?: (entry: ReplayEntry) => void;
}

/** One dead letter a replay sent back (or would send, in a dry run). */
export interface ReplayEntry {
  /** Where the letter sits in the dead-letter topic. */
  readonly from: { readonly topic: string; readonly partition: number; readonly offset: string };
  /** Where it goes: its original topic, with its original key (UTF-8, or null). */
  readonly to: { readonly topic: string; readonly key: string | null };
  readonly taskKey: string | undefined;
  readonly errorName: string | undefined;
  readonly lastFailure: string | undefined;
  /** The `tasks.replay.count` the replayed message carries. */
  readonly replayCount: number;
  readonly sent: boolean;
}

/** What one replay did. */
export interface ReplayResult {
  readonly topic: string;
  readonly dryRun: boolean;
  /** Records read, up to the end offsets taken at the start. */
  readonly scanned: number;
  /** Records that match the filter. */
  readonly matched: number;
  readonly sent: number;
  /** Records without dead-letter headers (not written by a task server): never sent. */
  readonly notDeadLetters: number;
  /** The end offset of each partition when the replay started: where it stopped. */
  readonly endOffsets: Readonly<Record<number, string>>;
}

const utf8 = (headers: MessageHeaders, name: string): string | undefined =>
  headers[name]?.toString('utf8');

function integer(raw: string | undefined): number | undefined {
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  return Number(raw);
}

function time(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const ms = Date.parse(raw);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Reads a dead letter's headers; undefined when the record is not one (no `tasks.dlq.topic`). */
export function readDeadLetter(record: InboundMessage): DeadLetterInfo | undefined {
  const h = DeadLetterHeaders;
  const { headers } = record;
  const topic = utf8(headers, h.topic);
  const partition = integer(utf8(headers, h.partition));
  const offset = utf8(headers, h.offset);
  if (topic === undefined || topic.length === 0 || partition === undefined || offset === undefined)
    return undefined;
  return {
    original: { topic, partition, offset, key: headers[h.key] ?? record.key },
    taskKey: utf8(headers, h.task),
    group: utf8(headers, h.group),
    errorName: utf8(headers, h.errorName),
    errorMessage: utf8(headers, h.errorMessage),
    attempts: integer(utf8(headers, h.attempts)),
    firstFailureAt: time(utf8(headers, h.firstFailure)),
    lastFailureAt: time(utf8(headers, h.lastFailure)),
    replayCount: integer(utf8(headers, replayCountHeader)) ?? 0,
  };
}

/** True when the letter passes every part of the filter (time: its last failure, else the record's timestamp). */
export function matchesReplayFilter(
  record: InboundMessage,
  letter: DeadLetterInfo,
  filter: ReplayFilter = {},
): boolean {
  if (filter.taskKeys && !filter.taskKeys.includes(letter.taskKey ?? '')) return false;
  if (filter.errorNames && !filter.errorNames.includes(letter.errorName ?? '')) return false;
  const at = letter.lastFailureAt ?? record.timestamp;
  if (filter.since !== undefined && at < filter.since) return false;
  if (filter.until !== undefined && at >= filter.until) return false;
  return true;
}

/**
 * The message a replay sends for a dead letter: to its original topic, with
 * its original key and value, its original headers (every `tasks.dlq.*`
 * stripped) and `tasks.replay.count` one more than before. No partition is
 * pinned: the key goes where the producer's partitioner puts it today.
 */
export function replayMessage(record: InboundMessage, letter: DeadLetterInfo): OutboundMessage {
  const headers: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(record.headers)) {
    if (!isDeadLetterHeader(name) && name !== replayCountHeader) headers[name] = value;
  }
  headers[replayCountHeader] = Buffer.from(String(letter.replayCount + 1), 'utf8');
  return {
    topic: letter.original.topic,
    key: letter.original.key,
    value: record.value,
    headers,
  };
}

/**
 * What a replay does with one record: undefined when it is not a dead letter
 * or does not match, otherwise the message to send and the entry to report.
 */
export function planReplay(
  record: InboundMessage,
  filter: ReplayFilter | undefined,
):
  | { readonly message: OutboundMessage; readonly entry: Omit<ReplayEntry, 'sent'> }
  | 'not-a-dead-letter'
  | undefined {
  const letter = readDeadLetter(record);
  if (letter === undefined) return 'not-a-dead-letter';
  if (!matchesReplayFilter(record, letter, filter)) return undefined;
  const message = replayMessage(record, letter);
  return {
    message,
    entry: {
      from: { topic: record.topic, partition: record.partition, offset: record.offset },
      to: { topic: message.topic, key: letter.original.key?.toString('utf8') ?? null },
      taskKey: letter.taskKey,
      errorName: letter.errorName,
      lastFailure:
        letter.lastFailureAt === undefined
          ? undefined
          : new Date(letter.lastFailureAt).toISOString(),
      replayCount: letter.replayCount + 1,
    },
  };
}

/** Checks a replay's options; throws a `ConfigError` naming each bad field. */
export function checkReplayOptions(topic: unknown, options: ReplayOptions, path = 'replay'): void {
  const problems: ConfigProblem[] = [];
  if (typeof topic !== 'string' || !/^[a-zA-Z0-9._-]{1,249}$/.test(topic)) {
    problems.push({
      path: `${path}.topic`,
      message: `must be 1-249 characters of [a-zA-Z0-9._-], got ${JSON.stringify(topic)}`,
    });
  }
  const filter = options.filter ?? {};
  for (const field of ['since', 'until'] as const) {
    const value = filter[field];
    if (value !== undefined && !Number.isFinite(value)) {
      problems.push({
        path: `${path}.filter.${field}`,
        message: `must be ms since the epoch, got ${String(value)}`,
      });
    }
  }
  if (
    filter.since !== undefined &&
    filter.until !== undefined &&
    Number.isFinite(filter.since) &&
    Number.isFinite(filter.until) &&
    filter.until <= filter.since
  ) {
    problems.push({ path: `${path}.filter.until`, message: 'must be after since' });
  }
  for (const field of ['taskKeys', 'errorNames'] as const) {
    const value = filter[field];
    if (
      value !== undefined &&
      (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
    ) {
      problems.push({ path: `${path}.filter.${field}`, message: 'must be a list of strings' });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems, 'invalid replay options');
}
