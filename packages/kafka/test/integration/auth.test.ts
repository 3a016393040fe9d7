import { randomUUID } from 'node:crypto';
import { ErrorCodes, type LogFields, type Logger } from '@tasks/core';
import { type KafkaLogLevel, TaskPusher } from '@tasks/kafka';
import { uniqueName, waitFor } from '@tasks/testing';
import { describe, expect, it } from 'vitest';
import { saslBrokers, saslUser } from './helpers/kafka-env.js';
import { saslConnection, testTransportOptions } from './helpers/kafka-harness.js';
import { kafkaSuite } from './helpers/kafka-suite.js';
import { expectRefusedPush, expectRefusedStart } from './helpers/refusals.js';
import { expectDeliveredOnce } from './helpers/round-trip.js';
import { createWorker, startWorker } from './helpers/worker.js';

// SASL/PLAIN on the listener kafka.sh opens next to PLAINTEXT (broker port + 10;
// KAFKA_SASL_BROKERS / KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD override it).

/** A core `Logger` that keeps every record, each also as one JSON line. */
class CapturingLogger implements Logger {
  readonly records: Array<{ level: string; message: string; fields: LogFields | undefined }> = [];

  debug(message: string, fields?: LogFields): void {
    this.records.push({ level: 'debug', message, fields });
  }
  info(message: string, fields?: LogFields): void {
    this.records.push({ level: 'info', message, fields });
  }
  warn(message: string, fields?: LogFields): void {
    this.records.push({ level: 'warn', message, fields });
  }
  error(message: string, fields?: LogFields): void {
    this.records.push({ level: 'error', message, fields });
  }

  /** Every record as JSON, nested fields and errors (message, stack, cause chain) included. */
  lines(): string[] {
    return this.records.map((record) => JSON.stringify(record, errorsToo));
  }

  /** The lines that mention any of the secrets (should be none). */
  leaks(...secrets: string[]): string[] {
    return this.lines().filter((line) => secrets.some((secret) => line.includes(secret)));
  }
}

/** `JSON.stringify` drops an Error's own message and stack; keep them, and its cause. */
function errorsToo(this: unknown, _key: string, value: unknown): unknown {
  if (value instanceof Error) {
    return {
      ...value,
      name: value.name,
      message: value.message,
      stack: value.stack,
      cause: value.cause,
    };
  }
  if (typeof value === 'bigint') return String(value);
  return value;
}

/** The error and its causes, flattened to text. */
function errorText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 8; depth++) {
    parts.push(String(current), JSON.stringify(current, errorsToo) ?? '');
    current = (current as { cause?: unknown }).cause;
  }
  return parts.join('\n');
}

/** Chatty kafkajs, so the "no secret in the logs" checks have something to look at. */
const kafkaLogLevel: KafkaLogLevel = 'debug';

/** A wrong password that shares nothing with the right one. */
const wrongPassword = () => `bad-${randomUUID()}`;

/** The time a refused start or push may take: one connect, no retry loop. */

describe('SASL/PLAIN authentication (KqConf username/password)', () => {
  const suite = kafkaSuite(saslConnection);
  const { cleanup } = suite;
  const { username, password } = saslUser;

  it('with the right username and password, a TaskServer consumes every message a TaskPusher pushed', async () => {
    const topic = uniqueName('sasl-ok');
    const partitions = 3;
    await suite.client.createTopic(topic, partitions);
    const logger = new CapturingLogger();
    const group = uniqueName('g');
    const worker = await startWorker(
      {
        topic,
        group,
        brokers: saslBrokers,
        conf: { username, password },
        transport: { logger, kafkaLogLevel },
        logger,
      },
      cleanup,
    );
    expect(worker.events.filter((e) => e.type === 'error')).toEqual([]);

    const pusher = new TaskPusher({
      brokers: saslBrokers,
      username,
      password,
      route: { work: topic },
      logger,
      kafkaLogLevel,
      flushIntervalMs: 10,
    });
    cleanup.push(() => pusher.close());
    await expectDeliveredOnce({
      pusher,
      worker,
      client: suite.client,
      group,
      topic,
      partitions,
      via: 'over SASL',
    });

    expect(logger.records.some((r) => r.message.startsWith('kafkajs '))).toBe(true);
    expect(logger.leaks(password)).toEqual([]);
  });

  it('with a wrong password, KafkaTransport.start() rejects promptly with AuthenticationFailed and an error event', async () => {
    const topic = uniqueName('sasl-bad');
    await suite.client.createTopic(topic, 1);
    const bad = wrongPassword();
    const logger = new CapturingLogger();
    const worker = createWorker({
      topic,
      group: uniqueName('g'),
      brokers: saslBrokers,
      conf: { username, password: bad },
      transport: { logger, kafkaLogLevel },
      logger,
    });
    cleanup.push(() => worker.stop());

    const error = await expectRefusedStart(worker, saslBrokers);
    expect(error.message).toContain('check username, password');
    expect(logger.records.filter((r) => r.message.includes('retrying in'))).toEqual([]);

    expect(errorText(error)).not.toContain(bad);
    expect(logger.leaks(bad, password)).toEqual([]);
  });

  it('with a wrong password, a push rejects with PushFailed caused by AuthenticationFailed', async () => {
    const topic = uniqueName('sasl-bad-push');
    await suite.client.createTopic(topic, 1);
    const bad = wrongPassword();
    const logger = new CapturingLogger();
    const pusher = new TaskPusher({
      brokers: saslBrokers,
      username,
      password: bad,
      route: { work: topic },
      logger,
      kafkaLogLevel,
      flushIntervalMs: 0,
      clientRetry: testTransportOptions.clientRetry,
    });
    cleanup.push(() => pusher.close());

    const error = await expectRefusedPush(pusher, topic, suite.client);

    expect(errorText(error)).not.toContain(bad);
    expect(logger.leaks(bad, password)).toEqual([]);
  });

  it('the password appears in no log line, with kafkajs at debug level, accepted or refused', async () => {
    const topic = uniqueName('sasl-logs');
    await suite.client.createTopic(topic, 1);
    const bad = wrongPassword();
    const logger = new CapturingLogger();

    // Accepted: a worker and a pusher on the right password, one message through.
    const worker = await startWorker(
      {
        topic,
        group: uniqueName('g'),
        brokers: saslBrokers,
        conf: { username, password },
        transport: { logger, kafkaLogLevel },
        logger,
      },
      cleanup,
    );
    const pusher = new TaskPusher({
      brokers: saslBrokers,
      username,
      password,
      route: { work: topic },
      logger,
      kafkaLogLevel,
      flushIntervalMs: 0,
    });
    cleanup.push(() => pusher.close());
    await pusher.pushTask('work', 'logged');
    await waitFor(() => worker.runs.length === 1, { timeoutMs: 20_000, message: 'one run' });
    await worker.stop();
    await pusher.close();

    // Refused: a worker and a pusher on a wrong password.
    const refused = createWorker({
      topic,
      group: uniqueName('g'),
      brokers: saslBrokers,
      conf: { username, password: bad },
      transport: { logger, kafkaLogLevel },
      logger,
    });
    cleanup.push(() => refused.stop());
    await expect(refused.server.start()).rejects.toMatchObject({
      code: ErrorCodes.AuthenticationFailed,
    });
    const badPusher = new TaskPusher({
      brokers: saslBrokers,
      username,
      password: bad,
      route: { work: topic },
      logger,
      kafkaLogLevel,
      flushIntervalMs: 0,
    });
    cleanup.push(() => badPusher.close());
    await expect(badPusher.pushTask('work', 'refused')).rejects.toMatchObject({
      code: ErrorCodes.PushFailed,
    });
    await badPusher.close();

    // The check is not vacuous: kafkajs talked at debug level, SASL included, and the
    // refusal was logged.
    const lines = logger.lines();
    expect(lines.filter((line) => line.includes('kafkajs ')).length).toBeGreaterThan(20);
    expect(lines.some((line) => /sasl/i.test(line))).toBe(true);
    expect(logger.records.some((r) => r.level === 'error' || r.level === 'warn')).toBe(true);
    expect(logger.leaks(password, bad)).toEqual([]);
  });
});
