import { createRequire } from 'node:module';
import snappy from 'snappyjs';
import { describe, expect, it } from 'vitest';
import {
  type Compression,
  compressionTypes,
  installCodecs,
  readUndecodableMark,
  undecodableHeader,
} from '../../src/codecs/index.js';

// kafkajs's own record batch coder: what its producer writes and its consumer reads.
const require = createRequire(import.meta.url);
const kafkajsDir = require.resolve('kafkajs').replace(/index\.js$/, '');
type Encoded = { buffer: Buffer };
const { RecordBatch } = require(`${kafkajsDir}src/protocol/recordBatch/v0/index.js`) as {
  RecordBatch: (batch: { compression: number; records: Encoded[] }) => Promise<Encoded>;
};
const Record = require(`${kafkajsDir}src/protocol/recordBatch/record/v0/index.js`) as (r: {
  offsetDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
}) => Encoded;
const Decoder = require(`${kafkajsDir}src/protocol/decoder.js`) as new (buffer: Buffer) => unknown;
const decodeBatch = require(`${kafkajsDir}src/protocol/recordBatch/v0/decoder.js`) as (
  decoder: unknown,
) => Promise<{
  records: Array<{
    offset: string;
    key: Buffer | null;
    value: Buffer | null;
    headers: Record<string, Buffer>;
  }>;
}>;

installCodecs();

const texts = ['plain ascii', 'grüße, 注文, заказ 🚀', 'x'.repeat(100_000)];

async function encode(compression: number, values: readonly string[]): Promise<Buffer> {
  const records = values.map((value, offsetDelta) =>
    Record({
      offsetDelta,
      key: Buffer.from(`k-${offsetDelta}`),
      value: Buffer.from(value, 'utf8'),
      headers: { h: Buffer.from(`v-${offsetDelta}`) },
    }),
  );
  return (await RecordBatch({ compression, records })).buffer;
}

/** A fetch-response-like buffer: the batch sits inside a bigger allocation, as kafkajs sees it. */
function inResponse(batch: Buffer): Buffer {
  const response = Buffer.alloc(batch.length + 64);
  batch.copy(response, 32);
  return response.subarray(32, 32 + batch.length);
}

describe('compression codecs in kafkajs', () => {
  const codecs: Compression[] = ['gzip', 'snappy', 'lz4', 'zstd'];
  for (const name of codecs) {
    it(`round-trips a ${name} batch through kafkajs's record batch coder`, async () => {
      const batch = await encode(compressionTypes[name], texts);
      const { records } = await decodeBatch(new Decoder(inResponse(batch)));
      expect(records.map((r) => r.value?.toString('utf8'))).toEqual(texts);
      expect(records.map((r) => r.key?.toString())).toEqual(['k-0', 'k-1', 'k-2']);
      expect(records.map((r) => r.headers.h?.toString())).toEqual(['v-0', 'v-1', 'v-2']);
      expect(records.every((r) => r.headers[undecodableHeader] === undefined)).toBe(true);
    });
  }

  it('writes snappy in the xerial framing the Java and Go clients read', async () => {
    const batch = await encode(compressionTypes.snappy, texts);
    // 61 bytes of batch header, then the compressed records.
    expect(batch.subarray(61, 69)).toEqual(Buffer.from('82534e4150505900', 'hex'));
  });

  it('reads raw (unframed) snappy too', async () => {
    const records = [Record({ offsetDelta: 0, key: null, value: Buffer.from('raw'), headers: {} })];
    const plain = await encode(compressionTypes.none, ['raw']);
    const framed = await encode(compressionTypes.snappy, ['raw']);
    // Swap the framed body for a raw snappy one: same records, no xerial header.
    const body = Buffer.concat(records.map((r) => r.buffer));
    const raw = Buffer.concat([framed.subarray(0, 61), Buffer.from(snappy.compress(body))]);
    raw.writeInt32BE(raw.length - 12, 8);
    const { records: decoded } = await decodeBatch(new Decoder(inResponse(raw)));
    expect(decoded.map((r) => r.value?.toString())).toEqual(['raw']);
    expect(plain.length).toBeGreaterThan(0);
  });

  it('turns a batch it cannot decompress into stand-in records naming codec and reason', async () => {
    const batch = await encode(compressionTypes.zstd, ['a', 'b', 'c']);
    batch.fill(0x55, 61); // garble the compressed records
    const { records } = await decodeBatch(new Decoder(inResponse(batch)));
    expect(records.map((r) => r.offset)).toEqual(['0', '1', '2']);
    const mark = readUndecodableMark(records[0]?.headers[undecodableHeader]);
    expect(mark?.codec).toBe('zstd');
    expect(mark?.reason).toMatch(/./);
  });
});
