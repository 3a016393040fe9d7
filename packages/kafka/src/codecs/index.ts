export {
  type Compression,
  compressions,
  compressionTypes,
  installCodecs,
  kafkajsCodec,
} from './registry.js';
export {
  readUndecodableMark,
  UndecodableBatchError,
  type UndecodableMark,
  undecodableHeader,
} from './undecodable.js';
