/**
 * LZ4 in the frame format Kafka uses (independent blocks), through
 * `lz4-napi` (lz4_flex, prebuilt per platform in the registry tarballs). It
 * is loaded on first use, so a platform without a prebuilt binary fails only
 * the batches that need LZ4, never the import of this package.
 */
type Lz4 = typeof import('lz4-napi');
let lz4: Promise<Lz4> | undefined;

function load(): Promise<Lz4> {
  lz4 ??= import('lz4-napi').then((module) => (module as { default?: Lz4 }).default ?? module);
  return lz4;
}

export async function lz4Decompress(data: Buffer): Promise<Buffer> {
  return (await load()).decompressFrame(data);
}

export async function lz4Compress(data: Buffer): Promise<Buffer> {
  return (await load()).compressFrame(data);
}
