/** Command-line settings of `pnpm bench`. */
export interface BenchOptions {
  /** The short run CI makes (< 3 minutes). */
  readonly quick: boolean;
  /** Exit 1 when a target is missed. */
  readonly check: boolean;
  /** Run only these scenarios (`--only=noop,pusher`); all when empty. */
  readonly only: ReadonlySet<string>;
}

export function parseOptions(argv: readonly string[]): BenchOptions {
  const only = argv
    .filter((a) => a.startsWith('--only='))
    .flatMap((a) => a.slice('--only='.length).split(','))
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return { quick: argv.includes('--quick'), check: argv.includes('--check'), only: new Set(only) };
}

export function wanted(options: BenchOptions, scenario: string): boolean {
  return options.only.size === 0 || options.only.has(scenario);
}
