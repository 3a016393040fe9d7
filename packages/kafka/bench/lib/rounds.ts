import { type Spread, spread } from './stats.ts';

/** One side of a comparison: a name and a run that resolves with its figure. */
export interface Contender {
  readonly name: string;
  readonly run: () => Promise<number>;
}

/**
 * Runs every contender `rounds` times, alternating, and rotating who goes
 * first each round so no side always runs on the warmest (or most loaded)
 * slot. Returns each contender's median and spread.
 */
export async function alternate(
  label: string,
  rounds: number,
  contenders: readonly Contender[],
  log: (line: string) => void,
): Promise<Record<string, Spread>> {
  const samples = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (let round = 0; round < rounds; round++) {
    const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]!);
    const line: string[] = [];
    for (const contender of order) {
      const value = await contender.run();
      samples.get(contender.name)!.push(value);
      line.push(`${contender.name} ${Math.round(value)}`);
    }
    log(`${label} round ${round + 1}/${rounds}: ${line.join(', ')}`);
  }
  return Object.fromEntries([...samples].map(([name, values]) => [name, spread(values)]));
}
