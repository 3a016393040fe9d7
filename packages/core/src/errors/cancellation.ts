import { ErrorCodes } from './codes.js';
import { TasksError } from './tasks-error.js';

/** `ctx.signal.reason` when a run outlived its timeout; the attempt counts as failed and is retried. */
export class RunTimeoutError extends TasksError {
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super(ErrorCodes.RunTimeout, `the run took longer than its timeout of ${timeoutMs} ms`, {
      retriable: true,
    });
    this.timeoutMs = timeoutMs;
  }
}

/** `ctx.signal.reason` when the run's partition was revoked; the message is the next owner's now. */
export class PartitionRevokedError extends TasksError {
  readonly topic: string;
  readonly partition: number;

  constructor(topic: string, partition: number) {
    super(ErrorCodes.PartitionRevoked, `partition ${topic}[${partition}] was revoked`, {
      retriable: true,
    });
    this.topic = topic;
    this.partition = partition;
  }
}
