import { ConfigError, createConsoleLogger, type LogLevel, redact, silentLogger } from '@tasks/core';
import { afterEach, describe, expect, it, vi } from 'vitest';

describe('redact', () => {
  it('hides secret-looking keys and keeps the rest', () => {
    expect(
      redact({
        user: 'svc',
        password: 'p',
        passwd: 'p',
        clientSecret: 's',
        accessToken: 't',
        sasl: { mechanism: 'plain', username: 'u', password: 'p' },
        Authorization: 'Bearer x',
        api_key: 'k',
        count: 3,
      }),
    ).toEqual({
      user: 'svc',
      password: '[redacted]',
      passwd: '[redacted]',
      clientSecret: '[redacted]',
      accessToken: '[redacted]',
      sasl: '[redacted]',
      Authorization: '[redacted]',
      api_key: '[redacted]',
      count: 3,
    });
  });

  it('redacts at depth, inside arrays too', () => {
    const out = redact({
      conf: { kafka: [{ brokers: ['a:1'], credentials: { user: 'x' } }, { token: 'abc' }] },
    });
    expect(out).toEqual({
      conf: { kafka: [{ brokers: ['a:1'], credentials: '[redacted]' }, { token: '[redacted]' }] },
    });
  });

  it('never lets a secret through, however deep it sits', () => {
    let nested: Record<string, unknown> = { password: 'deep-secret-value' };
    for (let i = 0; i < 12; i++) nested = { level: nested };
    expect(JSON.stringify(redact(nested))).not.toContain('deep-secret-value');
  });

  it('survives circular structures', () => {
    const loop: Record<string, unknown> = { name: 'loop', secret: 'circular-secret' };
    loop.self = loop;
    const out = redact(loop);
    expect(() => JSON.stringify(out)).not.toThrow();
    expect(JSON.stringify(out)).not.toContain('circular-secret');
  });

  it('keeps an undefined secret undefined, and leaves scalars alone', () => {
    expect(redact({ password: undefined })).toEqual({ password: undefined });
    expect(redact('password')).toBe('password');
    expect(redact(5)).toBe(5);
    expect(redact(null)).toBe(null);
  });

  it('turns errors into name, message and code', () => {
    const error = Object.assign(new TypeError('bad'), { code: 'E_BAD' });
    expect(redact({ error })).toEqual({
      error: { name: 'TypeError', message: 'bad', code: 'E_BAD' },
    });
  });
});

describe('createConsoleLogger', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  function capture(level?: LogLevel) {
    const lines: string[] = [];
    const logger = createConsoleLogger({
      ...(level ? { level } : {}),
      write: (line) => lines.push(line),
    });
    return { logger, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
  }

  it('writes one JSON object per line with time, level, message and redacted fields', () => {
    const { logger, records } = capture();
    logger.info('started', { topic: 'orders', password: 'pw', nested: { apiKey: 'k' } });
    const [record] = records();
    expect(record).toMatchObject({
      level: 'info',
      msg: 'started',
      topic: 'orders',
      password: '[redacted]',
      nested: { apiKey: '[redacted]' },
    });
    expect(new Date(record!.time as string).toISOString()).toBe(record!.time);
  });

  it('drops what is below its level (info by default)', () => {
    const byDefault = capture();
    byDefault.logger.debug('d');
    byDefault.logger.info('i');
    byDefault.logger.warn('w');
    byDefault.logger.error('e');
    expect(byDefault.records().map((r) => r.level)).toEqual(['info', 'warn', 'error']);

    const warnOnly = capture('warn');
    warnOnly.logger.info('i');
    warnOnly.logger.warn('w');
    warnOnly.logger.error('e');
    expect(warnOnly.records().map((r) => r.msg)).toEqual(['w', 'e']);

    const everything = capture('debug');
    everything.logger.debug('d', { n: 1 });
    expect(everything.records()).toMatchObject([{ level: 'debug', msg: 'd', n: 1 }]);
  });

  it('writes to stderr when no writer is given', () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    createConsoleLogger().error('to stderr', { a: 1 });
    expect(write).toHaveBeenCalledTimes(1);
    const line = String(write.mock.calls[0]![0]);
    expect(line.endsWith('\n')).toBe(true);
    expect(JSON.parse(line)).toMatchObject({ level: 'error', msg: 'to stderr', a: 1 });
  });

  it('silentLogger drops everything', () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    silentLogger.error('nothing');
    silentLogger.info('nothing');
    expect(write).not.toHaveBeenCalled();
  });
});

describe('createConsoleLogger record shape', () => {
  it("keeps a field named like the record's own keys under another name", () => {
    const lines: string[] = [];
    const logger = createConsoleLogger({ write: (line) => lines.push(line) });
    logger.info('hello', { msg: 'from a field', level: 'x', offset: 10n });
    const record = JSON.parse(lines[0]!);
    expect(record).toMatchObject({
      msg: 'hello',
      level: 'info',
      'field.msg': 'from a field',
      'field.level': 'x',
    });
    expect(record.offset).toBe('10');
  });

  it('refuses an unknown level instead of logging everything', () => {
    expect(() => createConsoleLogger({ level: 'verbose' as never })).toThrow(ConfigError);
    expect(() => createConsoleLogger({ level: 'verbose' as never })).toThrow(
      /level: must be one of .*, got verbose/,
    );
  });
});
