import * as v from 'valibot';
import { orderings } from '../transport/ordering.js';

/**
 * The one definition of a consumer conf (go-queue's `kq.KqConf`, camelCase).
 * The TypeScript types, the validation in `resolveKqConf` and the worker's
 * published JSON Schema are all derived from it. Messages say what is wrong,
 * show the value (never a password's) and say what to write instead.
 */

/** Kafka's batch codecs, as a pusher's `compression` names them. */
export const compressionNames = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type CompressionName = (typeof compressionNames)[number];

export const startOffsets = ['first', 'last'] as const;
export type StartOffset = (typeof startOffsets)[number];

/** What a conf gets for each field it leaves out. */
export const kqConfDefaults = {
  offset: 'last',
  conns: 1,
  consumers: 8,
  processors: 8,
  minBytes: 10_240,
  maxBytes: 10_485_760,
  maxWaitMs: 1_000,
  forceCommit: true,
  commitInOrder: false,
  ordering: 'unordered',
  taskTimeoutMs: 0,
  unwrapEnvelope: true,
  deadLetter: { enabled: true },
} as const;

/**
 * The `maxUncommitted` of a conf that sets none: 10,000 messages per
 * partition, or 32 per processor when that is more (so the room a key-ordered
 * partition parks behind busy keys, 16 per processor, always fits below it).
 */
export function defaultMaxUncommitted(processors: number): number {
  return Math.max(10_000, processors * 32);
}

/** The dead-letter topic of a conf that names none: `<topic>.dlq`. */
export const deadLetterSuffix = '.dlq';

/** A value as a message shows it: `"text"`, `[]`, `nothing`. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'nothing';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** A message that ends with the value given: `must be ..., got 0`. */
const got =
  (text: string) =>
  (issue: { input: unknown }): string =>
    `${text}, got ${describeValue(issue.input)}`;

const topicName = /^[a-zA-Z0-9._-]{1,249}$/;
const brokerAddress = /^(\[[0-9a-fA-F:.]+\]|[^\s:/]+):\d{1,5}$/;

function wholeNumber(min: number, fallback: number, description: string) {
  const message = got(`must be a whole number of at least ${min}`);
  return v.optional(
    v.pipe(
      v.number(message),
      v.integer(message),
      v.minValue(min, message),
      v.description(description),
    ),
    fallback,
  );
}

function flag(fallback: boolean, description: string) {
  return v.optional(
    v.pipe(v.boolean(got('must be true or false')), v.description(description)),
    fallback,
  );
}

const nonEmpty = (description: string, secret = false) => {
  const message = secret ? 'must be a non-empty string' : got('must be a non-empty string');
  return v.optional(v.pipe(v.string(message), v.minLength(1, message), v.description(description)));
};

/** What to say when a required field is missing. */
const missing: Readonly<Record<string, string>> = {
  brokers: `must list at least one "host:port", got nothing`,
  group: 'is required (the consumer group id)',
  topic: 'is required',
};

/** The kq fields, in camelCase, with their checks and defaults. */
export const kqConfFields = {
  brokers: v.pipe(
    v.array(
      v.pipe(
        v.string(got('must be "host:port"')),
        v.regex(brokerAddress, got('must be "host:port"')),
      ),
      got('must list at least one "host:port"'),
    ),
    v.minLength(1, got('must list at least one "host:port"')),
    v.description('Kafka brokers, "host:port" each.'),
  ),
  group: v.pipe(
    v.string(got('must be a non-empty string')),
    v.minLength(1, got('must be a non-empty string')),
    v.description('The consumer group id.'),
  ),
  topic: v.pipe(
    v.string(got('must be a non-empty string')),
    v.minLength(1, got('must be a non-empty string')),
    v.regex(topicName, got('must be 1-249 characters of [a-zA-Z0-9._-]')),
    v.description('The topic this conf consumes.'),
  ),
  caFile: nonEmpty("PEM file with the CA that signs the brokers' certificates; turns TLS on."),
  offset: v.optional(
    v.pipe(
      v.picklist(startOffsets, got('must be "first" or "last"')),
      v.description('Where a group with no committed offset starts reading.'),
    ),
    kqConfDefaults.offset,
  ),
  conns: wholeNumber(1, kqConfDefaults.conns, 'Group members (connections) this conf opens.'),
  consumers: wholeNumber(
    1,
    kqConfDefaults.consumers,
    'Partitions fetched concurrently per member.',
  ),
  processors: wholeNumber(1, kqConfDefaults.processors, 'Task runs in flight at once per member.'),
  minBytes: wholeNumber(
    1,
    kqConfDefaults.minBytes,
    'Smallest fetch the broker answers with, in bytes (it waits up to maxWaitMs).',
  ),
  maxBytes: wholeNumber(1, kqConfDefaults.maxBytes, 'Largest fetch, in bytes.'),
  maxWaitMs: wholeNumber(
    0,
    kqConfDefaults.maxWaitMs,
    'Longest the broker holds a fetch waiting for minBytes, in milliseconds.',
  ),
  username: nonEmpty('SASL/PLAIN user name; needs password too.'),
  password: nonEmpty('SASL/PLAIN password; needs username too.', true),
  forceCommit: flag(
    kqConfDefaults.forceCommit,
    'Commit past a message whose task failed for good (after the error handler saw it).',
  ),
  commitInOrder: flag(
    kqConfDefaults.commitInOrder,
    "go-queue's CommitInOrder, accepted for compatibility: it changes no concurrency (commits here always follow the watermark). For one run at a time per partition, set ordering: partition.",
  ),
  ordering: v.optional(
    v.pipe(
      v.picklist(orderings, got(`must be one of ${orderings.map((o) => `"${o}"`).join(', ')}`)),
      v.description(
        'How runs may overlap: unordered (any message as soon as a processor is free, as go-queue), partition (one at a time per partition) or key (one at a time per key, keys concurrently).',
      ),
    ),
    kqConfDefaults.ordering,
  ),
  maxUncommitted: v.optional(
    v.pipe(
      v.number(got('must be a whole number of at least 1')),
      v.integer(got('must be a whole number of at least 1')),
      v.minValue(1, got('must be a whole number of at least 1')),
      v.description(
        'Messages of one partition begun above its commit watermark at most (running, or finished behind a run still going). At the bound the partition is paused until the run holding the watermark ends; other partitions go on. Default: 10000, or 32 x processors when more.',
      ),
    ),
  ),
  taskTimeoutMs: wholeNumber(
    0,
    kqConfDefaults.taskTimeoutMs,
    "Longest one attempt of a run may take, in milliseconds (0: no limit); past it ctx.signal fires with a RunTimeoutError and the attempt counts as failed. A task registration's timeoutMs wins.",
  ),
  unwrapEnvelope: flag(
    kqConfDefaults.unwrapEnvelope,
    'Unwrap the {"carrier":{...},"body":"..."} envelope Go kqkafka producers write, so the task receives body.',
  ),
  deadLetter: v.optional(
    v.pipe(
      v.strictObject(
        {
          enabled: flag(
            kqConfDefaults.deadLetter.enabled,
            'Produce a message that failed for good (last attempt, or a NonRetriableError) to the dead-letter topic before committing past it. false: log it and commit past it, as go-queue does.',
          ),
          topic: v.optional(
            v.pipe(
              v.string(got('must be a non-empty string')),
              v.regex(topicName, got('must be 1-249 characters of [a-zA-Z0-9._-]')),
              v.description(`The dead-letter topic; default "<topic>${deadLetterSuffix}".`),
            ),
          ),
        },
        (issue) =>
          `must be an object such as { enabled: true, topic: "orders${deadLetterSuffix}" }, got ${describeValue(issue.input)}`,
      ),
      v.description(
        'Where messages that failed for good go (on by default): { enabled, topic }. The topic must exist at start (or be created by the transport).',
      ),
    ),
    kqConfDefaults.deadLetter,
  ),
  compression: v.optional(
    v.pipe(
      v.picklist(
        compressionNames,
        got(`must be one of ${compressionNames.map((c) => `"${c}"`).join(', ')}`),
      ),
      v.description(
        "Codec of the batches newTaskPusher writes with this conf's brokers (the pusher's default when absent).",
      ),
    ),
  ),
};

/**
 * The fields `KqConf` gets from embedding go-zero's `service.ServiceConf`.
 * Real go-zero YAML carries them; none of them steers consuming (gopkg even
 * replaces `Telemetry` with the server's own), so they are accepted, not
 * checked, and listed in one informational log line at start.
 */
export const serviceConfFields = {
  name: 'go-zero ServiceConf.Name: accepted, not used by a task worker.',
  log: 'go-zero ServiceConf.Log: accepted, not used by a task worker.',
  mode: 'go-zero ServiceConf.Mode: accepted, not used by a task worker.',
  metricsUrl: 'go-zero ServiceConf.MetricsUrl: accepted, not used by a task worker.',
  prometheus: 'go-zero ServiceConf.Prometheus: accepted, not used by a task worker.',
  telemetry:
    "go-zero ServiceConf.Telemetry: accepted, not used (the server's own tracing applies).",
  devServer: 'go-zero ServiceConf.DevServer: accepted, not used by a task worker.',
  shutdown: 'go-zero ServiceConf.Shutdown: accepted, not used by a task worker.',
} as const;

function objectMessage(issue: { input: unknown; path?: readonly { key: unknown }[] }): string {
  const key = issue.path?.at(-1)?.key;
  if (issue.input === undefined && typeof key === 'string') {
    return missing[key] ?? 'is required';
  }
  return `must be an object, got ${describeValue(issue.input)}`;
}

/** username and password go together: set both or neither. */
const pairing = 'username and password go together: set both or neither';

/**
 * The checks of one conf's kq fields (camelCase keys only; `resolveKqConf`
 * maps go-zero's spelling first). Cross-field rules are reported beside the
 * per-field ones, on the field to change.
 */
export const kqConfValidator = v.pipe(
  v.strictObject(kqConfFields, objectMessage),
  v.forward(
    v.partialCheck(
      [['username'], ['password']],
      (conf) => !(conf.username !== undefined && conf.password === undefined),
      pairing,
    ),
    ['password'],
  ),
  v.forward(
    v.partialCheck(
      [['username'], ['password']],
      (conf) => !(conf.password !== undefined && conf.username === undefined),
      pairing,
    ),
    ['username'],
  ),
  v.forward(
    v.partialCheck(
      [['minBytes'], ['maxBytes']],
      (conf) => conf.maxBytes >= conf.minBytes,
      (issue) => {
        const conf = issue.input as { minBytes: number; maxBytes: number };
        return `must be at least minBytes (${conf.minBytes}), got ${conf.maxBytes}`;
      },
    ),
    ['maxBytes'],
  ),
  v.forward(
    v.partialCheck(
      [['topic'], ['deadLetter', 'topic']],
      (conf) => conf.deadLetter.topic !== conf.topic,
      (issue) =>
        `must not be the topic the conf consumes (every dead letter would run again), got ${describeValue((issue.input as { topic: string }).topic)}`,
    ),
    ['deadLetter', 'topic'],
  ),
  // The dead-letter topic and maxUncommitted are always set once resolved.
  v.transform((conf) => ({
    ...conf,
    maxUncommitted: conf.maxUncommitted ?? defaultMaxUncommitted(conf.processors),
    deadLetter: {
      enabled: conf.deadLetter.enabled,
      topic: conf.deadLetter.topic ?? `${conf.topic}${deadLetterSuffix}`,
    },
  })),
);

/**
 * A whole consumer conf as a file may hold it: the kq fields and go-zero's
 * ServiceConf fields (accepted, unused). This is what editors validate against.
 */
export const kqConfSchema = v.strictObject(
  {
    ...kqConfFields,
    ...Object.fromEntries(
      Object.entries(serviceConfFields).map(([key, description]) => [
        key,
        v.optional(v.pipe(v.unknown(), v.description(description))),
      ]),
    ),
  },
  objectMessage,
);

type Fields = v.InferInput<typeof kqConfValidator>;

/**
 * One consumer configuration, with go-queue's `kq.KqConf` fields in camelCase.
 * Only `brokers`, `group` and `topic` are required; see `kqConfDefaults` for the rest.
 */
export type KqConf = Omit<Fields, 'brokers'> & { brokers: readonly string[] };

export type ResolvedKqConf = Readonly<
  v.InferOutput<typeof kqConfValidator> & {
    /**
     * go-zero `service.ServiceConf` fields the conf carried (`Name`, `Log`,
     * ...): accepted, and not used by a task worker.
     */
    serviceFields?: readonly string[];
  }
>;
