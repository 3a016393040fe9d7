import snappy from 'snappyjs';

/**
 * The stream framing of Java's xerial `SnappyOutputStream`, which Kafka's Java
 * client and Go's kafka-go (klauspost/compress `snappy/xerial`) write: an
 * 8-byte magic, two int32 versions, then blocks of `int32 length, raw snappy`.
 */
const magic = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const headerBytes = 16;
/** xerial's default block size: what Java writes, and what readers expect. */
const blockBytes = 32 * 1024;

function isFramed(data: Buffer): boolean {
  return data.length >= headerBytes && data.subarray(0, magic.length).equals(magic);
}

/** Raw snappy or xerial-framed snappy, as a Kafka record batch holds it. */
export function snappyDecompress(data: Buffer): Buffer {
  if (!isFramed(data)) return Buffer.from(snappy.uncompress(data));
  const blocks: Buffer[] = [];
  let at = headerBytes;
  // Plain Errors: internal, never reach a caller. kafkajsCodec's `decompress` turns
  // them into the reason of an undecodable-batch mark (an UndecodableBatchError).
  while (at < data.length) {
    if (at + 4 > data.length) throw new Error('truncated xerial snappy block length');
    const size = data.readInt32BE(at);
    at += 4;
    if (size < 0 || at + size > data.length) {
      throw new Error(`xerial snappy block of ${size} bytes overruns the buffer`);
    }
    blocks.push(Buffer.from(snappy.uncompress(data.subarray(at, at + size))));
    at += size;
  }
  return Buffer.concat(blocks);
}

/** xerial-framed snappy, the way the Java and Go clients write it. */
export function snappyCompress(data: Buffer): Buffer {
  const header = Buffer.alloc(headerBytes);
  magic.copy(header, 0);
  header.writeInt32BE(1, 8);
  header.writeInt32BE(1, 12);
  const parts: Buffer[] = [header];
  for (let at = 0; at < data.length; at += blockBytes) {
    const block = Buffer.from(snappy.compress(data.subarray(at, at + blockBytes)));
    const size = Buffer.alloc(4);
    size.writeInt32BE(block.length, 0);
    parts.push(size, block);
  }
  return Buffer.concat(parts);
}
