import { silentLogger } from '@tasks/core';
import { TaskPusher } from '@tasks/kafka';
import { partitionForKey, uniqueName, waitFor } from '@tasks/testing';
import { describe, expect, it } from 'vitest';
import { brokers } from './helpers/kafka-env.js';
import { kafkaSuite } from './helpers/kafka-suite.js';
import { startWorker } from './helpers/worker.js';

const hex = (b: Buffer | null) => (b === null ? null : b.toString('hex'));

describe('what is pushed is what tasks receive (TaskPusher -> KafkaTransport -> TaskServer)', () => {
  const suite = kafkaSuite();
  const { cleanup } = suite;

  it('keys, null keys, headers, binary values and multi-byte UTF-8 arrive unchanged', async () => {
    const topic = uniqueName('roundtrip');
    const partitions = 3;
    await suite.client.createTopic(topic, partitions);
    const worker = await startWorker({ topic, group: uniqueName('g') }, cleanup);
    const pusher = new TaskPusher({
      brokers,
      route: { echo: topic },
      logger: silentLogger,
      flushIntervalMs: 20,
    });
    cleanup.push(() => pusher.close());

    const binaryKey = Buffer.from([0xde, 0xad, 0xbe, 0xef]);
    const binaryValue = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0xc3, 0x28, 0x0a]);
    await Promise.all([
      pusher.pushTask('echo', 'plain ascii', {
        key: 'order-1',
        headers: { id: '1', 'x-trace': 'abc', 'x-bytes': Buffer.from([1, 0, 255]) },
      }),
      pusher.pushTask('echo', 'no key', { key: null, headers: { id: '2' } }),
      pusher.pushTask('echo', binaryValue, { key: binaryKey, headers: { id: '3' } }),
      pusher.pushTask('echo', 'héllo wörld, 日本語 🚀', { key: 'ключ-🔑', headers: { id: '4' } }),
      pusher.pushTask('echo', null, { key: 'tombstone', headers: { id: '5' } }),
    ]);
    await waitFor(() => worker.runs.length >= 5, { timeoutMs: 30_000, message: '5 runs' });
    const byId = new Map(worker.runs.map((r) => [r.headers.id!.toString(), r]));

    const one = byId.get('1')!;
    expect(one.key).toBe('order-1');
    expect(one.value).toBe('plain ascii');
    expect(one.headers['x-trace']!.toString()).toBe('abc');
    expect(hex(one.headers['x-bytes']!)).toBe('0100ff');
    expect(one.partition).toBe(partitionForKey('order-1', partitions));

    const two = byId.get('2')!;
    expect(two.rawKey).toBeNull();
    expect(two.key).toBe('');
    expect(two.value).toBe('no key');

    const three = byId.get('3')!;
    expect(hex(three.rawKey)).toBe(hex(binaryKey));
    expect(hex(three.rawValue)).toBe(hex(binaryValue));

    const four = byId.get('4')!;
    expect(four.key).toBe('ключ-🔑');
    expect(four.value).toBe('héllo wörld, 日本語 🚀');
    expect(four.partition).toBe(partitionForKey('ключ-🔑', partitions));

    const five = byId.get('5')!;
    expect(five.rawValue).toBeNull();
    expect(five.value).toBe('');
    expect(worker.runs.every((r) => r.attempt === 1)).toBe(true);
  });

  it('many pushes over several batches all arrive, and each push resolves', async () => {
    const topic = uniqueName('batches');
    await suite.client.createTopic(topic, 2);
    const worker = await startWorker({ topic, group: uniqueName('g') }, cleanup);
    const pusher = new TaskPusher({
      brokers,
      route: { echo: topic },
      logger: silentLogger,
      chunkSize: 2_000,
      flushIntervalMs: 50,
    });
    cleanup.push(() => pusher.close());
    const ids = Array.from({ length: 300 }, (_, i) => `id-${i}`);
    await Promise.all(
      ids.map((id) => pusher.pushTask('echo', `${id} ${'x'.repeat(40)}`, { key: id })),
    );
    await waitFor(() => new Set(worker.runs.map((r) => r.key)).size >= ids.length, {
      timeoutMs: 30_000,
      message: '300 runs',
      describe: () => `${worker.runs.length} runs`,
    });
    expect(new Set(worker.runs.map((r) => r.key))).toEqual(new Set(ids));
  });
});
