import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Every README a user reads: the repository's, each package's and the worker's. */
export const readmes = [
  'README.md',
  'packages/core/README.md',
  'packages/kafka/README.md',
  'packages/otel/README.md',
  'packages/testing/README.md',
  'apps/worker/README.md',
] as const;

export interface Example {
  readonly readme: string;
  /** The heading the block sits under. */
  readonly heading: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly code: string;
}

/** The ```ts blocks of a README, exactly as written. */
export function examplesOf(readme: string): Example[] {
  const lines = readFileSync(`${repoRoot}${readme}`, 'utf8').split('\n');
  const examples: Example[] = [];
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('#')) heading = line.replace(/^#+\s*/, '');
    if (line !== '```ts') continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]!);
    examples.push({ readme, heading, line: start + 1, code: `${body.join('\n')}\n` });
  }
  return examples;
}

/** The one example under `heading` in `readme`. */
export function exampleUnder(readme: string, heading: string): Example {
  const found = examplesOf(readme).filter((example) => example.heading === heading);
  if (found.length !== 1) {
    throw new Error(`expected one ts block under "${heading}" in ${readme}, found ${found.length}`);
  }
  return found[0]!;
}
