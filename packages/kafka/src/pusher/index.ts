export { KafkaPusher, type KafkaPusherOptions } from './kafka-pusher.js';
export { type Acks, kafkaPusherDefaults, type PusherOptions } from './options.js';
export type { PushOptions } from './push-options.js';
export { newTaskPusher, TaskPusher, type TaskPusherOptions } from './task-pusher.js';
