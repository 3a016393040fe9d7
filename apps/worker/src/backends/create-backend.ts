import type { Logger } from '@tasks/core';
import type { Backend, BackendOptions } from './backend.js';
import { createKafkaBackend } from './kafka-backend.js';
import { createMemoryBackend } from './memory-backend.js';

export function createBackend(
  kind: 'memory' | 'kafka',
  options: BackendOptions,
  logger: Logger,
): Backend {
  return kind === 'kafka' ? createKafkaBackend(options, logger) : createMemoryBackend(options);
}
