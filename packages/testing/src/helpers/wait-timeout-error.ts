/**
 * A `waitFor` deadline passed. Says what was awaited and what was last seen,
 * so a failing test explains itself. Not a `TasksError`: it reports a test's
 * expectation, not a failure of the system under test.
 */
export class WaitTimeoutError extends Error {
  /** What was awaited. */
  readonly waitedFor: string;
  readonly timeoutMs: number;
  /** The state when the deadline passed, if the caller could describe it. */
  readonly lastSeen: string | undefined;

  constructor(
    waitedFor: string,
    timeoutMs: number,
    lastSeen: string | undefined,
    options: { cause?: unknown } = {},
  ) {
    super(
      `timed out after ${timeoutMs} ms waiting for ${waitedFor}${lastSeen === undefined ? '' : `; last seen: ${lastSeen}`}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'WaitTimeoutError';
    this.waitedFor = waitedFor;
    this.timeoutMs = timeoutMs;
    this.lastSeen = lastSeen;
  }
}
