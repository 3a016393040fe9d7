// `@tasks/core/transport`: the machinery a transport or pusher author builds
// on. Task authors need none of it; the root entry keeps their API.
export { type CommitPosition, CommitTracker } from './commit-tracker.js';
export { Dispatcher, type DispatcherOptions } from './dispatcher.js';
export { type Ordering, orderings } from './ordering.js';
export { PartitionState } from './partition-state.js';
export { composePush, type OutboundMessage, type PushMiddleware } from './push.js';
export { type Settle, type SettleHandler, settleForm } from './settle.js';
export type {
  ConsumerStatus,
  HeldPartition,
  InboundMessage,
  MessageHandler,
  MessageHeaders,
  Transport,
  TransportEvent,
  TransportListener,
} from './types.js';
