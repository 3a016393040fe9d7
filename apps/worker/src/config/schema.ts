import { kqConfSchema, traceConfigSchema } from '@tasks/core';
import * as v from 'valibot';

/**
 * The worker's YAML file, defined once (camelCase; the loader and the
 * published JSON Schema also take go-zero's PascalCase). The consumer confs
 * and the Telemetry section reuse `@tasks/core`'s schemas.
 */

const taskRouteMessage = 'must map at least one task key to a topic';
const kafkaConfMessage = 'must list at least one consumer conf';
const nameMessage = 'must be a non-empty string';

/** What to say when a section the file must have is missing. */
const missing: Readonly<Record<string, string>> = {
  taskRoute: taskRouteMessage,
  kafkaConf: kafkaConfMessage,
};

function sectionMessage(issue: { input: unknown; path?: readonly { key: unknown }[] }): string {
  const key = issue.path?.at(-1)?.key;
  if (issue.input === undefined && typeof key === 'string' && key in missing) {
    return missing[key]!;
  }
  return 'must be a mapping of Name, TaskRoute, KafkaConf, Telemetry';
}

const topicMessage = (issue: { input: unknown }) =>
  `must be a topic name, got ${JSON.stringify(issue.input) ?? 'nothing'}`;

/** The sections the worker itself checks. */
const ownSections = {
  name: v.optional(
    v.pipe(
      v.string(nameMessage),
      v.minLength(1, nameMessage),
      v.description('The service name (and Telemetry.Name when that is absent).'),
    ),
    'task-worker',
  ),
  taskRoute: v.pipe(
    v.record(
      v.string(),
      v.pipe(v.string(topicMessage), v.minLength(1, topicMessage)),
      taskRouteMessage,
    ),
    v.minEntries(1, taskRouteMessage),
    v.description('Task key -> Kafka topic.'),
  ),
};

const kafkaConfDescription =
  "One consumer conf per topic: go-queue's kq.KqConf fields. KAFKA_BROKERS, KAFKA_USERNAME and KAFKA_PASSWORD override them.";

/**
 * The checks of the file's sections. Each `KafkaConf` entry is checked by
 * `resolveKqConf` after the environment overrides, and `Telemetry` by
 * `resolveTraceConfig`, so both are only required to be there here.
 */
export const workerSectionsValidator = v.object(
  {
    ...ownSections,
    kafkaConf: v.pipe(v.array(v.unknown(), kafkaConfMessage), v.minLength(1, kafkaConfMessage)),
    telemetry: v.nullish(v.unknown()),
  },
  sectionMessage,
);

/** The names of the file's sections, camelCase. */
export const workerSections: readonly string[] = Object.keys(workerSectionsValidator.entries);

/** The whole file, consumer confs and Telemetry included: what editors validate against. */
export const workerConfigSchema = v.strictObject({
  ...ownSections,
  kafkaConf: v.pipe(v.array(kqConfSchema), v.minLength(1), v.description(kafkaConfDescription)),
  telemetry: v.nullish(
    v.pipe(
      v.strictObject({
        ...traceConfigSchema.entries,
        name: v.optional(traceConfigSchema.entries.name),
      }),
      v.description("go-zero's trace.Config. Name defaults to the worker's Name."),
    ),
  ),
});
