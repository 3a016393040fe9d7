import { ErrorCodes, type InboundMessage, isTasksError, silentLogger } from '@tasks/core';
import { Dispatcher } from '@tasks/core/transport';
import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { UndecodableBatchError, undecodableHeader } from '../../src/codecs/index.js';
import { FetchLoop } from '../../src/consumer/fetch-loop.js';
import { batchPayload } from './helpers/fake-kafkajs.js';

function real(offset: number): KafkaMessage {
  return {
    key: null,
    value: Buffer.from(`m-${offset}`),
    timestamp: '1700000000000',
    attributes: 0,
    offset: String(offset),
    headers: {},
  };
}

function standIn(offset: number): KafkaMessage {
  const mark = JSON.stringify({ codec: 'lz4', reason: 'corrupt frame' });
  const message = real(offset);
  message.headers = { [undecodableHeader]: Buffer.from(mark) };
  return message;
}

describe('a batch no codec could decode', () => {
  it('is reported with topic, partition, offset and codec, and holds its partition there', async () => {
    const handled: InboundMessage[] = [];
    const reported: Error[] = [];
    const dispatcher = new Dispatcher({
      processors: 4,
      commitInOrder: false,
      handler: async (m) => {
        handled.push(m);
      },
    });
    const loop = new FetchLoop({
      dispatcher,
      heartbeatEveryMs: 5,
      stopSignal: new AbortController().signal,
      accepting: () => true,
      logger: silentLogger,
      report: (error) => reported.push(error),
    });
    const payload = batchPayload(3, [real(40), real(41), standIn(42), standIn(43), real(44)], {
      topic: 'orders',
    });

    await loop.eachBatch(payload);
    await loop.idle();

    expect(handled.map((m) => m.offset)).toEqual(['40', '41']);
    expect(payload.resolved).toEqual(['41']); // never past the undecodable record
    expect(payload.paused.count).toBe(1);
    expect(reported).toHaveLength(1);
    const error = reported[0];
    expect(error).toBeInstanceOf(UndecodableBatchError);
    expect(isTasksError(error) && error.code).toBe(ErrorCodes.MessageInvalid);
    expect(error).toMatchObject({ topic: 'orders', partition: 3, offset: '42', codec: 'lz4' });
    expect(error?.message).toContain('orders[3] at offset 42');
    expect(error?.message).toContain('lz4');
    expect(error?.message).not.toMatch(/connect/i);
  });
});
