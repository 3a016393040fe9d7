import type { InboundMessage } from '@tasks/core';
import type { ContractFixture, ContractSettings } from '../fixture.js';

/** What every group of cases gets: the current case's fixture and the suite's settings. */
export interface CaseContext {
  readonly fixture: () => ContractFixture;
  readonly settings: ContractSettings;
}

/** Bytes as hex, `null` kept: readable diffs when bytes differ. */
export function hex(bytes: string | Buffer | null | undefined): string | null {
  if (bytes === null || bytes === undefined) return null;
  return (typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes).toString('hex');
}

/** `id-0`, `id-1`, ... */
export function ids(prefix: string, count: number, from = 0): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${from + i}`);
}

export function coordinates(message: InboundMessage): string {
  return `${message.topic}[${message.partition}]@${message.offset}`;
}

/** Lists what is missing from `seen`, for timeout messages. */
export function missing(expected: Iterable<string>, seen: ReadonlySet<string>): string {
  const out = [...expected].filter((id) => !seen.has(id));
  return out.length === 0
    ? 'nothing missing'
    : `missing ${out.length}: ${out.slice(0, 10).join(', ')}`;
}
