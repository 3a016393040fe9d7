import { type Logger, redact } from '@tasks/core';
import { type LogEntry, type logCreator, logLevel } from 'kafkajs';
import type { KafkaLogLevel } from './client-options.js';

/** kafkajs's numeric levels for our names. */
export const kafkajsLogLevels: Readonly<Record<KafkaLogLevel, logLevel>> = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
};

/**
 * Replaces every occurrence of the given secrets in a string. kafkajs never
 * logs credentials on purpose; this guards against a future version (or an
 * error message echoing a request) doing it by accident.
 */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length > 0 && out.includes(secret)) out = out.split(secret).join('[redacted]');
  }
  return out;
}

function scrubDeep(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') return scrubSecrets(value, secrets);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => scrubDeep(item, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) out[key] = scrubDeep(inner, secrets, depth + 1);
  return out;
}

/**
 * A kafkajs `logCreator` writing into core's `Logger`: the namespace becomes
 * part of the message, extra fields pass through `redact` (secret-looking
 * keys) and then through `scrubSecrets` (the actual credential values).
 */
export function createKafkaLogCreator(logger: Logger, secrets: readonly string[] = []): logCreator {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _name, ...extra } = log;
      const text = scrubSecrets(`kafkajs ${namespace}: ${String(message)}`, secrets);
      const fields = scrubDeep(redact(extra), secrets) as Record<string, unknown>;
      switch (level) {
        case logLevel.ERROR:
          logger.error(text, fields);
          break;
        case logLevel.WARN:
          logger.warn(text, fields);
          break;
        case logLevel.INFO:
          logger.info(text, fields);
          break;
        default:
          logger.debug(text, fields);
      }
    };
}
