import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { CompressionName } from '@tasks/core';
import kafkajs, { type CompressionTypes } from 'kafkajs';
import { lz4Compress, lz4Decompress } from './lz4-frame.js';
import { standInRecords, type UndecodableMark } from './undecodable.js';
import { snappyCompress, snappyDecompress } from './xerial-snappy.js';
import { zstdCompress, zstdDecompress } from './zstd.js';

/** A batch codec: what a pusher's `compression` names. */
export type Compression = CompressionName;

export const compressions: readonly Compression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/** kafkajs's codec number for each name. */
// From the default export: Node's ESM loader does not see these two among kafkajs's named exports.
const { CompressionCodecs, CompressionTypes: types } = kafkajs;

export const compressionTypes: Readonly<Record<Compression, CompressionTypes>> = {
  none: types.None,
  gzip: types.GZIP,
  snappy: types.Snappy,
  lz4: types.LZ4,
  zstd: types.ZSTD,
};

interface Codec {
  compress(data: Buffer): Promise<Buffer> | Buffer;
  decompress(data: Buffer): Promise<Buffer> | Buffer;
}

const gunzip = promisify(zlib.unzip);
const gzip = promisify(zlib.gzip);

const implementations: Record<Exclude<Compression, 'none'>, Codec> = {
  gzip: { compress: gzip, decompress: gunzip },
  snappy: { compress: snappyCompress, decompress: snappyDecompress },
  lz4: { compress: lz4Compress, decompress: lz4Decompress },
  zstd: { compress: zstdCompress, decompress: zstdDecompress },
};

/** Bytes of a v2 record batch between its record count and its compressed records. */
const recordCountBytes = 4;

/**
 * How many records the batch holds: the int32 just before the compressed
 * records. kafkajs hands the codec a slice of the fetch response (its decoder
 * slices, never copies), so those bytes are the batch's own.
 */
function recordCountOf(compressed: Buffer): number | undefined {
  if (compressed.byteOffset < recordCountBytes) return undefined;
  const view = new DataView(compressed.buffer, compressed.byteOffset - recordCountBytes, 4);
  const count = view.getInt32(0);
  return count > 0 && count <= 1_000_000 ? count : undefined;
}

/**
 * The kafkajs codec for `name`. A batch it cannot decompress does not fail
 * the whole fetch (that would stall every partition of the broker and look
 * like a connection problem): it decodes to stand-in records that carry the
 * codec and the reason, and the fetch loop holds that partition there.
 */
export function kafkajsCodec(
  name: Exclude<Compression, 'none'>,
  codec: Codec = implementations[name],
) {
  return {
    async compress(encoder: { buffer: Buffer }): Promise<Buffer> {
      return codec.compress(encoder.buffer);
    },
    async decompress(compressed: Buffer): Promise<Buffer> {
      try {
        return await codec.decompress(compressed);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        const mark: UndecodableMark = { codec: name, reason };
        const count = recordCountOf(compressed);
        // A plain Error on purpose: it goes to kafkajs's fetch, which crashes the consumer;
        // the group member reports that as a TransportError (toTransportError). No caller sees it.
        if (count === undefined)
          throw new Error(`cannot decode a ${name} batch: ${reason}`, { cause: error });
        return standInRecords(count, mark);
      }
    },
  };
}

let installed = false;

/**
 * Registers gzip, snappy (raw and xerial-framed), lz4 and zstd in kafkajs's
 * codec registry. The registry is kafkajs's own and process-wide; this is
 * done once, when a transport or pusher is created.
 */
export function installCodecs(): void {
  if (installed) return;
  installed = true;
  const registry = CompressionCodecs as unknown as Record<number, () => unknown>;
  for (const name of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
    const codec = kafkajsCodec(name);
    registry[compressionTypes[name]] = () => codec;
  }
}
