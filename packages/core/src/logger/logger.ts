import { ConfigError } from '../errors/index.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type LogFields = Readonly<Record<string, unknown>>;

/** The logging seam. Bring your own (pino, winston) by adapting these four methods. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

const levels: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

const secretKey = /pass(word)?|secret|token|credential|authorization|sasl|api[-_]?key/i;

/**
 * Replaces the values of secret-looking keys, at any depth, with `[redacted]`.
 * Every logger this package builds runs its fields through it.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  // Deeper than this is cut, not passed through: an unvisited object could hold a
  // secret, or a cycle that would make JSON.stringify throw.
  if (depth > 6) return '[truncated]';
  if (value instanceof Error) {
    return { name: value.name, message: value.message, code: (value as { code?: unknown }).code };
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = secretKey.test(key) && inner !== undefined ? '[redacted]' : redact(inner, depth + 1);
  }
  return out;
}

export interface ConsoleLoggerOptions {
  level?: LogLevel;
  /** Where lines go; defaults to stderr so stdout stays free for program output. */
  write?: (line: string) => void;
}

/** A logger writing one JSON object per line, secrets redacted. */
export function createConsoleLogger(options: ConsoleLoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const threshold = levels[level];
  if (threshold === undefined) {
    throw new ConfigError([
      {
        path: 'level',
        message: `must be one of ${Object.keys(levels).join(', ')}, got ${String(level)}`,
      },
    ]);
  }
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const log = (level: LogLevel, message: string, fields?: LogFields) => {
    if (levels[level] < threshold) return;
    const record: Record<string, unknown> = { time: new Date().toISOString(), level, msg: message };
    for (const [key, value] of Object.entries(redact(fields ?? {}) as object)) {
      // A field may not overwrite the record's own time, level or msg: it keeps its value under another name.
      record[key in record ? `field.${key}` : key] = value;
    }
    write(JSON.stringify(record, jsonSafe));
  };
  return {
    debug: (message, fields) => log('debug', message, fields),
    info: (message, fields) => log('info', message, fields),
    warn: (message, fields) => log('warn', message, fields),
    error: (message, fields) => log('error', message, fields),
  };
}

/** JSON has no BigInt: write it as a decimal string rather than throw. */
function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
