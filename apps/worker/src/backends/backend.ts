import type { PushMiddleware, Transport } from '@tasks/core';
import type { WorkerConfig } from '../config/load-config.js';

/** Where the worker's messages live: the in-memory broker or real Kafka. */
export interface Backend {
  readonly name: 'memory' | 'kafka';
  readonly transport: Transport;
  /** Sends one task through the task route. */
  pushTask(
    taskKey: string,
    key: string,
    value: string,
    headers: Record<string, string>,
  ): Promise<void>;
  /** Flushes and closes the producer side. */
  close(): Promise<void>;
}

export interface BackendOptions {
  readonly config: WorkerConfig;
  readonly pushMiddleware: readonly PushMiddleware[];
}
