import { collectGarbage } from './gc.ts';
import type { Rate } from './meter.ts';
import { median, type Spread, spread } from './stats.ts';

/** One side of a comparison: a name and a run that resolves with its figure. */
export interface Contender {
  readonly name: string;
  /** A plain number (msg/s by the wall clock, or another unit), or both rates. */
  readonly run: () => Promise<number | Rate>;
}

/** What `alternate` measured: per contender, every round's figures. */
export class Rounds {
  readonly #wall: Map<string, number[]>;
  readonly #cpu: Map<string, number[]>;

  constructor(wall: Map<string, number[]>, cpu: Map<string, number[]>) {
    this.#wall = wall;
    this.#cpu = cpu;
  }

  /** Median and spread of the wall-clock figures. */
  wall(name: string): Spread {
    return spread(this.#samples(this.#wall, name));
  }

  /** Median and spread per CPU-second of this process; undefined for a contender in another process. */
  cpu(name: string): Spread | undefined {
    const samples = this.#cpu.get(name) ?? [];
    return samples.length === 0 ? undefined : spread(samples);
  }

  /**
   * The median over rounds of `a / b`, each round's pair measured back to back:
   * steadier than a ratio of medians when the machine's load drifts.
   */
  ratio(a: string, b: string, clock: 'wall' | 'cpu'): number {
    const source = clock === 'wall' ? this.#wall : this.#cpu;
    const as = this.#samples(source, a);
    const bs = this.#samples(source, b);
    return median(as.map((value, i) => value / bs[i]!));
  }

  #samples(source: Map<string, number[]>, name: string): number[] {
    const samples = source.get(name);
    if (!samples || samples.length === 0) throw new RangeError(`no samples for ${name}`);
    return samples;
  }
}

/**
 * Runs every contender `rounds` times, alternating, and rotating who goes
 * first each round so no side always runs on the warmest (or most loaded)
 * slot.
 */
export async function alternate(
  label: string,
  rounds: number,
  contenders: readonly Contender[],
  log: (line: string) => void,
): Promise<Rounds> {
  const wall = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const cpu = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (let round = 0; round < rounds; round++) {
    const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]!);
    const line: string[] = [];
    for (const contender of order) {
      collectGarbage();
      const value = await contender.run();
      if (typeof value === 'number') {
        wall.get(contender.name)!.push(value);
        line.push(`${contender.name} ${Math.round(value)}`);
      } else {
        wall.get(contender.name)!.push(value.perSecond);
        cpu.get(contender.name)!.push(value.perCpuSecond);
        line.push(
          `${contender.name} ${Math.round(value.perSecond)} (${Math.round(value.perCpuSecond)}/cpu-s)`,
        );
      }
    }
    log(`${label} round ${round + 1}/${rounds}: ${line.join(', ')}`);
  }
  return new Rounds(wall, cpu);
}
