import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { workerJsonSchema, workerJsonSchemaText } from '../../src/config/json-schema.js';
import { parseWorkerConfig } from '../../src/config/load-config.js';
import { workerRoot } from '../support.js';

const schemaPath = join(workerRoot, 'etc/worker.schema.json');
const yamlPath = join(workerRoot, 'etc/worker.yaml');
const validate = new Ajv({ allErrors: true }).compile(workerJsonSchema());

/** What an editor says about `config`: the JSON Schema errors, as `path: message`. */
function editorErrors(config: unknown): string[] {
  if (validate(config)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath}: ${e.message}`);
}

/** Whether the loader accepts `config` (no env overrides). */
function loaderAccepts(config: unknown): boolean {
  try {
    parseWorkerConfig(config, {});
    return true;
  } catch {
    return false;
  }
}

const pascal = {
  Name: 'w',
  TaskRoute: { order: 'order-tasks' },
  KafkaConf: [{ Brokers: ['127.0.0.1:9092'], Group: 'g', Topic: 'order-tasks', Processors: 4 }],
  Telemetry: { Batcher: 'file', Endpoint: './spans.jsonl', Disabled: true },
};
const camel = {
  name: 'w',
  taskRoute: { order: 'order-tasks' },
  kafkaConf: [{ brokers: ['127.0.0.1:9092'], group: 'g', topic: 'order-tasks', processors: 4 }],
};

describe('the published JSON Schema of etc/worker.yaml', () => {
  it('is what the generator writes from the schema (run `pnpm --filter @tasks/worker config-schema` after `pnpm build` when this fails)', () => {
    expect(readFileSync(schemaPath, 'utf8')).toBe(workerJsonSchemaText());
  });

  it('is referenced from etc/worker.yaml for yaml-language-server, and the shipped file passes it', () => {
    const text = readFileSync(yamlPath, 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=./worker.schema.json');
    expect(editorErrors(parse(text))).toEqual([]);
  });

  it('takes PascalCase and camelCase keys, and a go-zero KqConf with its ServiceConf fields', () => {
    expect(editorErrors(pascal)).toEqual([]);
    expect(editorErrors(camel)).toEqual([]);
    const goZero = {
      ...pascal,
      KafkaConf: [{ ...pascal.KafkaConf[0], Name: 'c', Log: { Mode: 'console' }, MetricsUrl: 'x' }],
    };
    expect(editorErrors(goZero)).toEqual([]);
  });

  it.each([
    [
      'a typo in a conf field',
      { ...pascal, KafkaConf: [{ ...pascal.KafkaConf[0], Procesors: 4 }] },
    ],
    ['an unknown section', { ...pascal, Colour: 'blue' }],
    ['a missing Topic', { ...pascal, KafkaConf: [{ Brokers: ['h:1'], Group: 'g' }] }],
    ['a missing TaskRoute', { Name: 'w', KafkaConf: pascal.KafkaConf }],
    ['no consumer conf', { ...pascal, KafkaConf: [] }],
    ['offset "middle"', { ...pascal, KafkaConf: [{ ...pascal.KafkaConf[0], Offset: 'middle' }] }],
    ['processors 0', { ...camel, kafkaConf: [{ ...camel.kafkaConf[0], processors: 0 }] }],
    ['fractional conns', { ...camel, kafkaConf: [{ ...camel.kafkaConf[0], conns: 1.5 }] }],
    ['a broker with no port', { ...camel, kafkaConf: [{ ...camel.kafkaConf[0], brokers: ['k'] }] }],
    ['a topic with a space', { ...camel, kafkaConf: [{ ...camel.kafkaConf[0], topic: 'a b' }] }],
    ['an unknown codec', { ...camel, kafkaConf: [{ ...camel.kafkaConf[0], compression: 'br' }] }],
    ['an empty route', { ...camel, taskRoute: { order: '' } }],
    ['a sampler above 1', { ...pascal, Telemetry: { Sampler: 2 } }],
    ['an unknown batcher', { ...pascal, Telemetry: { Batcher: 'kafka' } }],
  ])('flags %s, as the loader does', (_label, config) => {
    expect(editorErrors(config)).not.toEqual([]);
    expect(loaderAccepts(config)).toBe(false);
  });
});
