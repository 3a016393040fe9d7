// Scenario 5: nothing listens at the broker address. start() fails within
// the configured bound with a typed error naming the last connection failure.
import { createServer } from 'node:net';
import {
  ErrorCodes,
  newTaskServer,
  newTaskServerCtx,
  silentLogger,
  TransportError,
  withFuncRegister,
  withKafkaConf,
  withTaskRoute,
} from '@tasks/core';
import { KafkaTransport } from '@tasks/kafka';
import { describe, expect, it } from 'vitest';
import { report } from './cluster.js';

/** A port nothing listens on: bound by us, then closed. */
async function deadAddress(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `127.0.0.1:${port}`;
}

describe('unreachable broker', () => {
  it('fails start within startTimeoutMs with TASKS_START_TIMEOUT', async () => {
    const bound = 3_000;
    const lines: string[] = [];
    const logger = { ...silentLogger, warn: (msg: string) => void lines.push(msg) };
    const server = newTaskServer(
      newTaskServerCtx(
        withTaskRoute({ work: 'faults-unreachable' }),
        withKafkaConf({ brokers: [await deadAddress()], group: 'g', topic: 'faults-unreachable' }),
        withFuncRegister((factory) => factory.gen('work', () => ({ run() {}, stop() {} }))),
      ),
      { transport: new KafkaTransport({ logger }), logger, startTimeoutMs: bound },
    );
    const started = Date.now();
    const error = await server.start().catch((e: unknown) => e);
    const tookMs = Date.now() - started;
    const attempts = lines.filter((l) => l.includes('retrying in')).length;
    report('5 unreachable broker', {
      'bound ms': bound,
      'failed after ms': tookMs,
      code: (error as TransportError).code,
      'attempt lines': attempts,
    });
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ code: ErrorCodes.StartTimeout });
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect(tookMs).toBeLessThan(bound + 2_000);
    // One line per attempt, each with its backoff: the first within the first second.
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(server.state).toBe('stopped');
  });
});
