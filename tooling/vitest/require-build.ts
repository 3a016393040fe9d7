import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

interface SourceMap {
  readonly sources: readonly string[];
  readonly sourcesContent?: readonly (string | null)[];
}

/** Files of `dir/dist` whose embedded sources differ from the files in `src` today. */
function staleSources(dir: string): string[] {
  const dist = join(dir, 'dist');
  const maps = readdirSync(dist).filter((name) => name.endsWith('.js.map'));
  if (maps.length === 0) return [`${relative(repoRoot, dist)} has no source maps`];
  const stale = new Set<string>();
  for (const name of maps) {
    const map = JSON.parse(readFileSync(join(dist, name), 'utf8')) as SourceMap;
    map.sources.forEach((source, i) => {
      const file = resolve(dist, source);
      const built = map.sourcesContent?.[i];
      if (!file.startsWith(join(dir, 'src'))) return;
      if (!existsSync(file) || readFileSync(file, 'utf8') !== built) {
        stale.add(relative(repoRoot, file));
      }
    });
  }
  return [...stale];
}

/**
 * Tests that spawn Node on a package's built `dist` (a child process cannot
 * use vitest's source aliases) call this first. It compares the sources each
 * bundle's source map embeds with the files in `src` today (by content, so a
 * build restored from turbo's cache counts as fresh) and throws, naming the
 * files, when a `dist` is missing or was built from other sources: a stale
 * build fails loudly instead of testing yesterday's code.
 *
 * `packages` are paths relative to the repository root, e.g. `packages/core`.
 */
export function requireFreshBuild(packages: readonly string[]): void {
  const problems: string[] = [];
  for (const name of packages) {
    const dir = join(repoRoot, name);
    if (!existsSync(join(dir, 'dist'))) problems.push(`${name}/dist is missing`);
    else {
      const stale = staleSources(dir);
      if (stale.length > 0) problems.push(`${name}/dist predates ${stale.join(', ')}`);
    }
  }
  if (problems.length > 0) {
    throw new Error(
      `stale build: ${problems.join('; ')}. Run \`pnpm build\` first (\`pnpm test\` does).`,
    );
  }
}
