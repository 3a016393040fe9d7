import { readFileSync } from 'node:fs';
import type { Logger } from '@tasks/core';
import type { KafkaConfig } from 'kafkajs';
import type { ResolvedClientOptions } from './client-options.js';
import { createKafkaLogCreator, kafkajsLogLevels } from './log-creator.js';

/** Where the brokers are and how to authenticate: go-queue's connection fields. */
export interface ConnectionSettings {
  readonly brokers: readonly string[];
  /** PEM file with the CA that signs the brokers' certificates; turns TLS on. */
  readonly caFile?: string | undefined;
  /** SASL/PLAIN credentials; both or neither. */
  readonly username?: string | undefined;
  readonly password?: string | undefined;
}

/**
 * The kafkajs client configuration for one set of brokers: TLS when `caFile`
 * is set (the CA is read now), SASL/PLAIN when a username and password are,
 * kafkajs's logs mapped into `logger` with the password scrubbed.
 */
export function toKafkaConfig(
  connection: ConnectionSettings,
  options: ResolvedClientOptions,
  logger: Logger,
): KafkaConfig {
  const { username, password, caFile } = connection;
  const config: KafkaConfig = {
    clientId: options.clientId,
    brokers: [...connection.brokers],
    connectionTimeout: options.connectionTimeoutMs,
    requestTimeout: options.requestTimeoutMs,
    retry: {
      retries: options.clientRetry.retries,
      initialRetryTime: options.clientRetry.initialRetryTimeMs,
      maxRetryTime: options.clientRetry.maxRetryTimeMs,
    },
    logLevel: kafkajsLogLevels[options.kafkaLogLevel],
    logCreator: createKafkaLogCreator(logger, password === undefined ? [] : [password]),
  };
  if (options.socketFactory) config.socketFactory = options.socketFactory;
  if (caFile !== undefined) {
    config.ssl = {
      ca: [readFileSync(caFile, 'utf8')],
      rejectUnauthorized: options.tlsRejectUnauthorized,
    };
  }
  if (username !== undefined && password !== undefined) {
    config.sasl = { mechanism: 'plain', username, password };
  }
  return config;
}
