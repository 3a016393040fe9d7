import { toJsonSchema } from '@valibot/to-json-schema';
import { workerConfigSchema } from './schema.js';

type Json = { [key: string]: unknown };

function isJson(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const pascal = (key: string) => key[0]!.toUpperCase() + key.slice(1);

/**
 * go-zero files spell keys in PascalCase (`Brokers`), ours in camelCase:
 * every property gets its PascalCase twin, and a required property is
 * satisfied by either spelling.
 */
function withPascalCase(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withPascalCase);
  if (!isJson(node)) return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node)) out[key] = withPascalCase(value);
  if (isJson(out.properties)) {
    const properties: Json = {};
    for (const [key, value] of Object.entries(out.properties)) {
      properties[key] = value;
      properties[pascal(key)] = value;
    }
    out.properties = properties;
  }
  if (Array.isArray(out.required) && out.required.length > 0) {
    const required = out.required as string[];
    delete out.required;
    out.allOf = required.map((key) => ({
      anyOf: [{ required: [key] }, { required: [pascal(key)] }],
    }));
  }
  return out;
}

/**
 * The JSON Schema of `etc/worker.yaml`, for editors (yaml-language-server).
 * `pnpm --filter @tasks/worker config-schema` writes it to `etc/worker.schema.json`.
 */
export function workerJsonSchema(): Json {
  const { $schema, ...schema } = withPascalCase(
    toJsonSchema(workerConfigSchema, { typeMode: 'input' }),
  ) as Json;
  return {
    $schema,
    title: 'tasks worker configuration',
    description:
      "The sample worker's YAML file (Name, TaskRoute, KafkaConf, Telemetry), go-zero PascalCase or camelCase keys. Generated from apps/worker/src/config/schema.ts by `pnpm --filter @tasks/worker config-schema`; do not edit.",
    ...schema,
  };
}

/** The file's text: what the generator writes and the staleness test compares. */
export function workerJsonSchemaText(): string {
  return `${JSON.stringify(workerJsonSchema(), null, 2)}\n`;
}
