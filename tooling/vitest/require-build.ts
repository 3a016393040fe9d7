import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** The newest modification time of any file under `dir`, and that file. */
function newest(dir: string): { file: string; mtimeMs: number } {
  let found = { file: dir, mtimeMs: 0 };
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = join(entry.parentPath, entry.name);
    const { mtimeMs } = statSync(file);
    if (mtimeMs > found.mtimeMs) found = { file, mtimeMs };
  }
  return found;
}

/**
 * Tests that spawn Node on a package's built `dist` (a child process cannot
 * use vitest's source aliases) call this first: it throws, naming the file,
 * when a `dist` is missing or older than any file of its `src`, so a stale
 * build fails loudly instead of testing yesterday's code.
 *
 * `packages` are paths relative to the repository root, e.g. `packages/core`.
 */
export function requireFreshBuild(packages: readonly string[]): void {
  const problems: string[] = [];
  for (const name of packages) {
    const dir = join(repoRoot, name);
    const dist = join(dir, 'dist');
    if (!existsSync(dist)) {
      problems.push(`${name}/dist is missing`);
      continue;
    }
    const built = newest(dist);
    const source = newest(join(dir, 'src'));
    if (source.mtimeMs > built.mtimeMs) {
      problems.push(`${relative(repoRoot, source.file)} is newer than ${name}/dist`);
    }
  }
  if (problems.length > 0) {
    throw new Error(
      `stale build: ${problems.join('; ')}. Run \`pnpm build\` first (\`pnpm test\` does).`,
    );
  }
}
