import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type KqConf, resolveKqConf, silentLogger } from '@tasks/core';
import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { toKafkaConfig } from '../../src/client/kafka-config.js';
import {
  partitionFetchBytes,
  toConsumerConfig,
  toRunConfig,
  toSubscription,
} from '../../src/consumer/consumer-config.js';
import { resolveTransportOptions } from '../../src/consumer/options.js';

const conf = (extra: Partial<KqConf> = {}) =>
  resolveKqConf({ brokers: ['b1:9092', 'b2:9093'], group: 'g', topic: 't', ...extra });

describe('conf -> kafkajs consumer options', () => {
  it("maps go-queue's knobs onto kafkajs", () => {
    const options = resolveTransportOptions({
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 1000,
      rebalanceTimeoutMs: 9000,
    });
    const c = conf({ minBytes: 1, maxBytes: 5_000_000, maxWaitMs: 250, consumers: 3 });
    const consumer = toConsumerConfig(c, options);
    expect(consumer).toMatchObject({
      groupId: 'g',
      sessionTimeout: 6000,
      heartbeatInterval: 1000,
      rebalanceTimeout: 9000,
      minBytes: 1,
      maxBytes: 5_000_000,
      maxBytesPerPartition: 1_048_576,
      maxWaitTimeInMs: 250,
      allowAutoTopicCreation: false,
      readUncommitted: false,
    });
    expect(consumer.retry?.restartOnFailure).toBeTypeOf('function');
    const eachBatch = async () => {};
    expect(toRunConfig(c, eachBatch)).toEqual({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 3,
      eachBatch,
    });
  });

  it('keeps kafkajs from restarting a crashed consumer (the member does it)', async () => {
    const consumer = toConsumerConfig(conf(), resolveTransportOptions());
    await expect(consumer.retry!.restartOnFailure!(new Error('x'))).resolves.toBe(false);
  });

  it('caps the per-partition fetch at maxBytes when that is smaller', () => {
    const consumer = toConsumerConfig(
      conf({ minBytes: 1, maxBytes: 1000 }),
      resolveTransportOptions(),
    );
    expect(consumer.maxBytesPerPartition).toBe(1000);
  });

  it("gives each partition an equal share of maxBytes, within kafkajs's 1 MiB default and maxBytes", () => {
    const mib = 1_048_576;
    // kq's default maxBytes (10 MiB) over 4 partitions: one fetch carries all four, full.
    expect(partitionFetchBytes(10 * mib, 4)).toBe(2.5 * mib);
    expect(partitionFetchBytes(10 * mib, 1)).toBe(10 * mib);
    // Many partitions: never below the default, so no partition gets a share too small for a batch.
    expect(partitionFetchBytes(10 * mib, 20)).toBe(mib);
    // Not known (or nonsense): kafkajs's default.
    expect(partitionFetchBytes(10 * mib, undefined)).toBe(mib);
    expect(partitionFetchBytes(10 * mib, 0)).toBe(mib);
    // maxBytes below the default caps every share.
    expect(partitionFetchBytes(1000, 4)).toBe(1000);
    expect(
      toConsumerConfig(conf({ maxBytes: 8 * mib }), resolveTransportOptions(), 4)
        .maxBytesPerPartition,
    ).toBe(2 * mib);
  });

  it("offset 'first' reads from the beginning, 'last' from the end", () => {
    expect(toSubscription(conf({ offset: 'first' }))).toEqual({
      topics: ['t'],
      fromBeginning: true,
    });
    expect(toSubscription(conf({ offset: 'last' }))).toEqual({
      topics: ['t'],
      fromBeginning: false,
    });
  });
});

describe('conf -> kafkajs client options', () => {
  it('plain connection: no TLS, no SASL, quiet logs', () => {
    const config = toKafkaConfig(conf(), resolveTransportOptions(), silentLogger);
    expect(config.brokers).toEqual(['b1:9092', 'b2:9093']);
    expect(config.ssl).toBeUndefined();
    expect(config.sasl).toBeUndefined();
    expect(config.logLevel).toBe(logLevel.NOTHING);
    expect(config.clientId).toBe('tasks');
  });

  it('caFile turns TLS on with that CA; username/password turn SASL/PLAIN on', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tasks-kafka-'));
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const options = resolveTransportOptions({ kafkaLogLevel: 'warn', clientId: 'worker-1' });
    const config = toKafkaConfig(
      conf({ caFile, username: 'alice', password: 's3cret' }),
      options,
      silentLogger,
    );
    expect(config.ssl).toEqual({
      ca: ['-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'],
      rejectUnauthorized: true,
    });
    expect(config.sasl).toEqual({ mechanism: 'plain', username: 'alice', password: 's3cret' });
    expect(config.logLevel).toBe(logLevel.WARN);
    expect(config.clientId).toBe('worker-1');
  });

  it('passes timeouts and retries through', () => {
    const options = resolveTransportOptions({
      connectionTimeoutMs: 1234,
      requestTimeoutMs: 5678,
      clientRetry: { retries: 2, initialRetryTimeMs: 50, maxRetryTimeMs: 400 },
    });
    const config = toKafkaConfig(conf(), options, silentLogger);
    expect(config).toMatchObject({
      connectionTimeout: 1234,
      requestTimeout: 5678,
      retry: { retries: 2, initialRetryTime: 50, maxRetryTime: 400 },
    });
  });
});
