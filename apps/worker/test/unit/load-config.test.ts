import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@tasks/core';
import { describe, expect, it } from 'vitest';
import { loadWorkerConfig, parseWorkerConfig } from '../../src/config/load-config.js';
import { workerRoot } from '../support.js';

const dir = mkdtempSync(join(tmpdir(), 'worker-config-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('loadWorkerConfig', () => {
  it('reads the shipped etc/worker.yaml', () => {
    const config = loadWorkerConfig(join(workerRoot, 'etc/worker.yaml'), {});
    expect(config.taskRoute).toEqual({ order: 'order-tasks', payment: 'payment-tasks' });
    expect(config.kafkaConf.map((c) => c.topic)).toEqual(['order-tasks', 'payment-tasks']);
    expect(config.kafkaConf[0]).toMatchObject({
      group: 'task-worker',
      offset: 'first',
      processors: 8,
    });
    expect(config.telemetry?.disabled).toBe(true);
  });

  it('takes camelCase keys as well as go-zero PascalCase', () => {
    const config = parseWorkerConfig(
      {
        name: 'w',
        taskRoute: { order: 'o' },
        kafkaConf: [{ brokers: ['h:1'], group: 'g', topic: 'o', forceCommit: false }],
      },
      {},
    );
    expect(config.kafkaConf[0]).toMatchObject({ brokers: ['h:1'], forceCommit: false });
    expect(config.telemetry).toBeUndefined();
  });

  it('lets KAFKA_BROKERS and credentials from the environment win over the file', () => {
    const path = file(
      'env.yaml',
      'TaskRoute: { order: o }\nKafkaConf:\n  - { Brokers: [a:1], Group: g, Topic: o }\n',
    );
    const config = loadWorkerConfig(path, {
      KAFKA_BROKERS: 'k1:9092, k2:9092',
      KAFKA_USERNAME: 'svc',
      KAFKA_PASSWORD: 'hunter2',
    });
    expect(config.kafkaConf[0]).toMatchObject({
      brokers: ['k1:9092', 'k2:9092'],
      username: 'svc',
      password: 'hunter2',
    });
  });

  it('lists every problem of a bad file with its path, and never echoes a password', () => {
    const path = file(
      'bad.yaml',
      [
        'Colour: blue',
        'TaskRoute: { order: "" }',
        'KafkaConf:',
        '  - { Brokers: [], Group: g, Topic: o, Offset: middle, Processors: 0, Username: u, Password: 7 }',
        'Telemetry: { Name: t, Sampler: 2 }',
      ].join('\n'),
    );
    const problems = problemsOf(() => loadWorkerConfig(path, {}));
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Colour: unknown section/),
        expect.stringMatching(/^TaskRoute\.order: must be a topic name/),
        expect.stringMatching(/^KafkaConf\[0\]\.Brokers: /),
        expect.stringMatching(/^KafkaConf\[0\]\.Offset: .*"middle"/),
        expect.stringMatching(/^KafkaConf\[0\]\.Processors: .*0/),
        expect.stringMatching(/^KafkaConf\[0\]\.Password: /),
        expect.stringMatching(/^Telemetry\.Sampler: /),
      ]),
    );
    expect(problems.join('\n')).not.toMatch(/: 7\b|got 7/);
  });

  it('says where YAML syntax is broken: the line at fault, no dangling colon', () => {
    const path = file('syntax.yaml', 'Name: w\nTaskRoute:\n  order: [unclosed\n');
    const [problem, ...rest] = problemsOf(() => loadWorkerConfig(path, {}));
    expect(rest).toEqual([]);
    expect(problem).toMatch(new RegExp(`^${path.replaceAll('.', '\\.')}:3: `));
    expect(problem).not.toMatch(/:\s*$/);
    expect(problem).not.toMatch(/at line \d+/);
    const dup = file('dup.yaml', 'Name: w\nName: v\n');
    expect(problemsOf(() => loadWorkerConfig(dup, {}))).toEqual([
      `${dup}:2: Map keys must be unique`,
    ]);
  });

  it('names fields in the spelling the file uses', () => {
    const pascal = file(
      'pascal.yaml',
      'TaskRoute: { order: o }\nKafkaConf:\n  - { Brokers: [], Group: g, Topic: o, Offset: middle }\n',
    );
    expect(problemsOf(() => loadWorkerConfig(pascal, {}))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^KafkaConf\[0\]\.Brokers: /),
        expect.stringMatching(/^KafkaConf\[0\]\.Offset: /),
      ]),
    );
    const camelCase = file(
      'camel.yaml',
      'taskRoute: { order: "" }\nkafkaConf:\n  - { brokers: [h:1], topic: o, processors: 0 }\n',
    );
    expect(problemsOf(() => loadWorkerConfig(camelCase, {}))).toEqual(
      expect.arrayContaining([
        'taskRoute.order: must be a topic name, got ""',
        expect.stringMatching(/^kafkaConf\[0\]\.processors: /),
        // A missing field is named in the style of its siblings.
        expect.stringMatching(/^kafkaConf\[0\]\.group: /),
      ]),
    );
  });

  it('reads DeadLetter in either spelling and names its fields as the file does', () => {
    const good = file(
      'dlq.yaml',
      'TaskRoute: { order: o }\nKafkaConf:\n  - { Brokers: [h:1], Group: g, Topic: o, DeadLetter: { Topic: o-failed } }\n  - { Brokers: [h:1], Group: g2, Topic: o, DeadLetter: { Enabled: false } }\n',
    );
    expect(loadWorkerConfig(good, {}).kafkaConf.map((c) => c.deadLetter)).toEqual([
      { enabled: true, topic: 'o-failed' },
      { enabled: false, topic: 'o.dlq' },
    ]);
    const bad = file(
      'dlq-bad.yaml',
      'TaskRoute: { order: o }\nKafkaConf:\n  - { Brokers: [h:1], Group: g, Topic: o, DeadLetter: { Topic: "no spaces", Enabled: maybe } }\n',
    );
    expect(problemsOf(() => loadWorkerConfig(bad, {}))).toEqual([
      'KafkaConf[0].DeadLetter.Enabled: must be true or false, got "maybe"',
      'KafkaConf[0].DeadLetter.Topic: must be 1-249 characters of [a-zA-Z0-9._-], got "no spaces"',
    ]);
  });

  it("names a missing section and what it must hold, in the file's spelling", () => {
    const path = file('sections.yaml', 'Name: w\n');
    expect(problemsOf(() => loadWorkerConfig(path, {}))).toEqual([
      'TaskRoute: must map at least one task key to a topic',
      'KafkaConf: must list at least one consumer conf',
    ]);
    const camelCase = file('camel-sections.yaml', 'name: w\ntaskRoute: {}\nkafkaConf: []\n');
    expect(problemsOf(() => loadWorkerConfig(camelCase, {}))).toEqual([
      'taskRoute: must map at least one task key to a topic',
      'kafkaConf: must list at least one consumer conf',
    ]);
  });

  it('reports a missing file as a config error', () => {
    expect(problemsOf(() => loadWorkerConfig(join(dir, 'nope.yaml'), {}))).toEqual([
      `${join(dir, 'nope.yaml')}: file not found`,
    ]);
  });
});
