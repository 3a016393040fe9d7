import { promisify } from 'node:util';
import zlib from 'node:zlib';

/** Node's own zstd (Node 22.15 and later, 23.8 and later): no package needed. */
const hasZstd = typeof zlib.zstdCompress === 'function';
const compress = hasZstd ? promisify(zlib.zstdCompress) : undefined;
const decompress = hasZstd ? promisify(zlib.zstdDecompress) : undefined;

function missing(): Error {
  return new Error(`zstd needs Node.js 22.15 or later (this is ${process.version})`);
}

export async function zstdDecompress(data: Buffer): Promise<Buffer> {
  if (!decompress) throw missing();
  return decompress(data);
}

export async function zstdCompress(data: Buffer): Promise<Buffer> {
  if (!compress) throw missing();
  return compress(data);
}
