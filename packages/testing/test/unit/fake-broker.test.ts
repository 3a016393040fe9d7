import {
  ConfigError,
  ErrorCodes,
  isTasksError,
  type PushMiddleware,
  TransportError,
} from '@tasks/core';
import { composePush } from '@tasks/core/transport';
import { FakeBroker, partitionForKey, waitFor } from '@tasks/testing';
import { describe, expect, it } from 'vitest';
import { confFor, recorder } from './support.js';

describe('FakeBroker topics', () => {
  it('creates a topic with its partitions, once', () => {
    const broker = new FakeBroker();
    broker.createTopic('orders', { partitions: 3 });
    broker.createTopic('orders', { partitions: 3 });
    expect(broker.partitionCount('orders')).toBe(3);
    expect(broker.topicNames()).toEqual(['orders']);
    expect(() => broker.createTopic('orders', { partitions: 4 })).toThrow(
      /"orders" already exists with 3 partition\(s\), not 4/,
    );
  });

  it('rejects a bad topic name or partition count with a ConfigError naming both', () => {
    const broker = new FakeBroker();
    const error = (() => {
      try {
        broker.createTopic('bad topic!', { partitions: 0 });
      } catch (thrown) {
        return thrown;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.path)).toEqual(['topic', 'partitions']);
  });

  it('auto-creates a topic with defaultPartitions on first produce', async () => {
    const broker = new FakeBroker({ defaultPartitions: 4 });
    await broker.produce('auto', { value: 'x' });
    expect(broker.partitionCount('auto')).toBe(4);
  });

  it('refuses an unknown topic when auto-creation is off', async () => {
    const broker = new FakeBroker({ autoCreateTopics: false });
    const failure = broker.produce('nope', { value: 'x' });
    await expect(failure).rejects.toBeInstanceOf(TransportError);
    await expect(failure).rejects.toMatchObject({ code: ErrorCodes.TopicNotFound });
    expect(() => broker.partitionCount('nope')).toThrow(/topic "nope" does not exist/);
  });

  it('validates its options', () => {
    expect(() => new FakeBroker({ defaultPartitions: 0 })).toThrow(ConfigError);
    expect(() => new FakeBroker({ brokers: [] })).toThrow(/fakeBroker.brokers/);
  });
});

describe('FakeBroker produce', () => {
  it('numbers offsets per partition from 0, as decimal strings', async () => {
    const broker = new FakeBroker();
    broker.createTopic('t', { partitions: 2 });
    const written = await broker.produce('t', [
      { value: 'a', partition: 0 },
      { value: 'b', partition: 1 },
      { value: 'c', partition: 0 },
    ]);
    expect(written.map((r) => [r.partition, r.offset])).toEqual([
      [0, '0'],
      [1, '0'],
      [0, '1'],
    ]);
    expect(broker.endOffsets('t')).toEqual(
      new Map([
        [0, 2],
        [1, 1],
      ]),
    );
  });

  it('puts a keyed message on the murmur2 partition', async () => {
    const broker = new FakeBroker();
    broker.createTopic('t', { partitions: 12 });
    const written = await broker.produce(
      't',
      ['foobar', 'abc', '0', '100:48069'].map((key) => ({ key, value: key })),
    );
    expect(written.map((r) => r.partition)).toEqual([6, 3, 8, 9]);
    expect(written.map((r) => r.partition)).toEqual(
      ['foobar', 'abc', '0', '100:48069'].map((k) => partitionForKey(k, 12)),
    );
  });

  it('spreads keyless messages round robin and honours an explicit partition', async () => {
    const broker = new FakeBroker();
    broker.createTopic('t', { partitions: 3 });
    const keyless = await broker.produce(
      't',
      Array.from({ length: 6 }, () => ({ value: 'x' })),
    );
    expect(keyless.map((r) => r.partition)).toEqual([0, 1, 2, 0, 1, 2]);
    const [pinned] = await broker.produce('t', { key: 'foobar', value: 'x', partition: 2 });
    expect(pinned?.partition).toBe(2);
  });

  it('rejects a partition the topic does not have, naming topic and partition', async () => {
    const broker = new FakeBroker();
    broker.createTopic('orders', { partitions: 3 });
    const failure = broker.produce('orders', { value: 'x', partition: 3 });
    await expect(failure).rejects.toThrow('topic "orders" has no partition 3: it has 3 (0-2)');
    await expect(failure).rejects.toMatchObject({ code: ErrorCodes.PushFailed });
    await expect(broker.produce('orders', { value: 'x', partition: -1 })).rejects.toSatisfy(
      isTasksError,
    );
  });

  it('writes a batch whole or not at all', async () => {
    const broker = new FakeBroker();
    broker.createTopic('t', { partitions: 1 });
    await expect(
      broker.produce('t', [{ value: 'ok' }, { value: 'bad', partition: 7 }]),
    ).rejects.toBeInstanceOf(TransportError);
    expect(broker.endOffsets('t').get(0)).toBe(0);
  });

  it('stores copies: changing the caller buffers later changes nothing', async () => {
    const broker = new FakeBroker();
    const value = Buffer.from('abc');
    const header = Buffer.from([1, 2]);
    await broker.produce('t', { value, headers: { h: header } });
    value[0] = 0x7a;
    header[0] = 9;
    const [stored] = broker.messages('t');
    expect(stored?.value?.toString()).toBe('abc');
    expect([...stored!.headers.h!]).toEqual([1, 2]);
    stored!.value![0] = 0x7a;
    expect(broker.messages('t')[0]?.value?.toString()).toBe('abc');
  });

  it('stamps records with the broker clock unless the record has a timestamp', async () => {
    const broker = new FakeBroker({ now: () => 1_000 });
    const [stamped, explicit] = await broker.produce('t', [
      { value: 'a' },
      { value: 'b', timestamp: 42 },
    ]);
    expect([stamped?.timestamp, explicit?.timestamp]).toEqual([1_000, 42]);
    expect(broker.messages('t').map((m) => m.timestamp)).toEqual([1_000, 42]);
    await expect(broker.produce('t', { value: 'c', timestamp: Number.NaN })).rejects.toThrow(
      /timestamp/,
    );
  });

  it('rejects a value that is neither string, Buffer nor null', async () => {
    const broker = new FakeBroker();
    const bad = { value: 42 } as unknown as { value: string };
    await expect(broker.produce('t', bad)).rejects.toThrow(/records\[0\]\.value must be/);
  });

  it('ends a push middleware chain through send()', async () => {
    const broker = new FakeBroker();
    const tag: PushMiddleware = (message, next) =>
      next({ ...message, headers: { ...message.headers, traceparent: '00-abc-def-01' } });
    const push = composePush([tag], (message) => broker.send(message));
    await push({ topic: 'pushed', key: 'k', value: 'v', headers: {} });
    const [message] = broker.messages('pushed');
    expect(message?.key?.toString()).toBe('k');
    expect(message?.headers.traceparent?.toString()).toBe('00-abc-def-01');
  });

  it('never delivers inside produce(): handlers run asynchronously', async () => {
    const broker = new FakeBroker();
    broker.createTopic('t', { partitions: 1 });
    const inbox = recorder();
    const transport = broker.transport();
    transport.subscribe(confFor(broker, 't', 'g'), inbox.handler);
    await transport.start();
    const producing = broker.produce('t', { value: 'x' });
    expect(inbox.received).toHaveLength(0);
    await producing;
    await waitFor(() => inbox.received.length === 1);
    await transport.stop();
  });
});
