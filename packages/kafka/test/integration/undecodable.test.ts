import { ErrorCodes, isTasksError } from '@tasks/core';
import { UndecodableBatchError } from '@tasks/kafka';
import { uniqueName, waitFor } from '@tasks/testing';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { lz4Compress } from '../../src/codecs/lz4-frame.js';
import { installCodecs, kafkajsCodec } from '../../src/codecs/registry.js';
import { kafkaSuite } from './helpers/kafka-suite.js';
import { startWorker } from './helpers/worker.js';

/**
 * The broker refuses a corrupt compressed batch, so a batch this worker
 * cannot decode is one written in a codec it cannot read. That is simulated
 * here: lz4 batches are written for real, and this process's lz4 decoder
 * fails (kafkajs's codec registry is per process, and so per test file).
 */
function breakLz4Decoding(): void {
  installCodecs();
  const broken = kafkajsCodec('lz4', {
    compress: lz4Compress,
    decompress: () => {
      throw new Error('simulated: no lz4 decoder');
    },
  });
  const registry = kafkajs.CompressionCodecs as unknown as Record<number, () => unknown>;
  registry[kafkajs.CompressionTypes.LZ4] = () => broken;
}

describe('a batch the worker cannot decode', () => {
  const suite = kafkaSuite();
  const { cleanup } = suite;

  it('is a typed error naming topic, partition, offset and codec; that partition holds, the others run', async () => {
    breakLz4Decoding();
    const topic = uniqueName('undecodable');
    await suite.client.createTopic(topic, 2);
    const values = ['a', 'b', 'c'];
    await suite.client.producer.send({
      topic,
      compression: kafkajs.CompressionTypes.GZIP,
      messages: values.map((value) => ({ value: `ok-${value}`, partition: 1 })),
    });
    await suite.client.producer.send({
      topic,
      compression: kafkajs.CompressionTypes.LZ4,
      messages: values.map((value) => ({ value: `lz4-${value}`, partition: 0 })),
    });

    const group = uniqueName('g');
    const worker = await startWorker({ topic, group, conf: { offset: 'first' } }, cleanup);
    const undecodable = () =>
      worker.events.flatMap((event) =>
        event.type === 'error' && event.error instanceof UndecodableBatchError ? [event.error] : [],
      );
    await waitFor(() => worker.runs.length >= values.length && undecodable().length > 0, {
      timeoutMs: 60_000,
      message: 'the decodable partition ran and the other was reported',
      describe: () => `${worker.runs.length} runs, ${undecodable().length} reports`,
    });

    expect(worker.runs.map((r) => r.value).sort()).toEqual(['ok-a', 'ok-b', 'ok-c']);
    expect(worker.runs.every((r) => r.partition === 1)).toBe(true);
    const [error] = undecodable();
    expect(error).toMatchObject({ topic, partition: 0, offset: '0', codec: 'lz4' });
    expect(isTasksError(error) && error.code).toBe(ErrorCodes.MessageInvalid);
    expect(error?.message).toContain(`${topic}[0] at offset 0`);
    expect(error?.message).toContain('simulated: no lz4 decoder');
    expect(worker.events.some((e) => e.type === 'error' && /connect/i.test(e.error.message))).toBe(
      false,
    );
    expect(worker.server.state).toBe('running');

    // Nothing of partition 0 is committed: its records are neither run nor skipped.
    await worker.transport.commit();
    const committed = await suite.client.committed(group, topic);
    expect(committed.get(1)).toBe('3');
    expect(committed.get(0) ?? '-1').not.toBe('3');
    expect(Number(committed.get(0) ?? '0')).toBeLessThanOrEqual(0);
  });
});
