import type { Rounds } from './rounds.ts';
import type { Spread } from './stats.ts';

/** A target a scenario checks: the measured value against a bound. */
export interface Target {
  readonly name: string;
  /** What is compared, in words: "tasks (tuned) / raw eachBatch". */
  readonly measure: string;
  readonly value: number;
  readonly op: '>=' | '<=';
  readonly bound: number;
  readonly met: boolean;
}

export function target(
  name: string,
  measure: string,
  value: number,
  op: '>=' | '<=',
  bound: number,
): Target {
  const rounded = Math.round(value * 100) / 100;
  return {
    name,
    measure,
    value: rounded,
    op,
    bound,
    met: op === '>=' ? value >= bound : value <= bound,
  };
}

/** A figure for the results table: a label, a value, its unit and (optionally) its spread. */
export interface Figure {
  readonly label: string;
  readonly value: number;
  readonly unit: string;
  readonly spread?: Spread;
}

export interface ScenarioResult {
  readonly scenario: string;
  readonly description: string;
  readonly settings: Record<string, unknown>;
  readonly figures: readonly Figure[];
  readonly targets: readonly Target[];
}

export function fromSpread(label: string, s: Spread, unit = 'msg/s'): Figure {
  return { label, value: s.median, unit, spread: s };
}

/** A contender's wall-clock figure and, for one in this process, its figure per CPU-second. */
export function fromRounds(label: string, rounds: Rounds, name: string): Figure[] {
  const cpu = rounds.cpu(name);
  const wall = fromSpread(label, rounds.wall(name));
  return cpu ? [wall, fromSpread(`${label}, per CPU-second`, cpu, 'msg/cpu-s')] : [wall];
}
