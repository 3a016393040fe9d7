import type { LogFields, Logger } from '@tasks/core';
import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createKafkaLogCreator, scrubSecrets } from '../../src/client/log-creator.js';

function capture(): { logger: Logger; lines: Array<[string, string, LogFields | undefined]> } {
  const lines: Array<[string, string, LogFields | undefined]> = [];
  const at = (level: string) => (message: string, fields?: LogFields) => {
    lines.push([level, message, fields]);
  };
  return {
    lines,
    logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
  };
}

describe('kafkajs logs -> core Logger', () => {
  it('maps levels and keeps the namespace and extra fields', () => {
    const { logger, lines } = capture();
    const log = createKafkaLogCreator(logger)(logLevel.INFO);
    const entry = (level: logLevel, message: string) => ({
      namespace: 'Consumer',
      level,
      label: 'x',
      log: { timestamp: 'now', logger: 'kafkajs', message, groupId: 'g' },
    });
    log(entry(logLevel.ERROR, 'e'));
    log(entry(logLevel.WARN, 'w'));
    log(entry(logLevel.INFO, 'i'));
    log(entry(logLevel.DEBUG, 'd'));
    expect(lines).toEqual([
      ['error', 'kafkajs Consumer: e', { groupId: 'g' }],
      ['warn', 'kafkajs Consumer: w', { groupId: 'g' }],
      ['info', 'kafkajs Consumer: i', { groupId: 'g' }],
      ['debug', 'kafkajs Consumer: d', { groupId: 'g' }],
    ]);
  });

  it('never passes on a secret: by key, or by value anywhere', () => {
    const { logger, lines } = capture();
    const log = createKafkaLogCreator(logger, ['hunter2'])(logLevel.DEBUG);
    log({
      namespace: 'Connection',
      level: logLevel.ERROR,
      label: 'ERROR',
      log: {
        timestamp: 'now',
        logger: 'kafkajs',
        message: 'auth as alice:hunter2 failed',
        sasl: { mechanism: 'plain', username: 'alice', password: 'hunter2' },
        request: { body: ['x', 'token=hunter2'] },
      },
    });
    const text = JSON.stringify(lines);
    expect(text).not.toContain('hunter2');
    expect(lines[0]![1]).toBe('kafkajs Connection: auth as alice:[redacted] failed');
    expect(lines[0]![2]).toMatchObject({
      sasl: '[redacted]',
      request: { body: ['x', 'token=[redacted]'] },
    });
  });

  it('scrubSecrets ignores empty secrets', () => {
    expect(scrubSecrets('abc', [''])).toBe('abc');
    expect(scrubSecrets('a-s-a', ['s'])).toBe('a-[redacted]-a');
  });
});
