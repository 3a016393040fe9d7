import { ConfigError, type ConfigProblem } from '@tasks/core';

/** How a `FakeTransport` behaves; every field is optional. */
export interface FakeTransportOptions {
  /** The transport's `name` (shown in the server's logs). */
  readonly name?: string;
  /** Prefix of this transport's member ids; unique per broker by default. */
  readonly clientId?: string;
  /**
   * Commit finished offsets without being asked. Off, offsets are committed
   * only by `commit()`, on revocation and on `stop()`: handy to leave work
   * uncommitted before a `crash()`.
   */
  readonly autoCommit?: boolean;
  /**
   * With `autoCommit`: 0 commits as soon as runs finish (coalesced to one
   * commit per event-loop turn); more commits on that interval instead.
   */
  readonly commitIntervalMs?: number;
  /**
   * On revocation, how long to wait for the partition's runs in flight
   * before committing its finished offsets and handing it over (their
   * `ctx.signal` fires when it is handed over). Default 0: hand over at once.
   */
  readonly revokeGraceMs?: number;
}

export interface ResolvedFakeTransportOptions {
  readonly name: string;
  readonly clientId: string | undefined;
  readonly autoCommit: boolean;
  readonly commitIntervalMs: number;
  readonly revokeGraceMs: number;
}

export const fakeTransportDefaults = {
  name: 'fake',
  autoCommit: true,
  commitIntervalMs: 0,
  revokeGraceMs: 0,
} as const;

/** Fills in defaults; throws a `ConfigError` naming every bad field. */
export function resolveFakeTransportOptions(
  options: FakeTransportOptions = {},
): ResolvedFakeTransportOptions {
  const out = { ...fakeTransportDefaults, clientId: undefined, ...options };
  const problems: ConfigProblem[] = [];
  if (!(Number.isFinite(out.commitIntervalMs) && out.commitIntervalMs >= 0)) {
    problems.push({
      path: 'fakeTransport.commitIntervalMs',
      message: `must be a finite number of ms >= 0, got ${out.commitIntervalMs}`,
    });
  }
  if (!(Number.isFinite(out.revokeGraceMs) && out.revokeGraceMs >= 0)) {
    problems.push({
      path: 'fakeTransport.revokeGraceMs',
      message: `must be a finite number of ms >= 0, got ${out.revokeGraceMs}`,
    });
  }
  if (out.clientId !== undefined && (typeof out.clientId !== 'string' || out.clientId === '')) {
    problems.push({ path: 'fakeTransport.clientId', message: 'must be a non-empty string' });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}
