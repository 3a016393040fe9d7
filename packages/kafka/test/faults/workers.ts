import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = fileURLToPath(new URL('../..', import.meta.url));
const fixture = join(packageDir, 'test/faults/fault-worker.ts');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile())
      newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** The worker imports the built packages: fail clearly when they are missing or stale. */
export function requireBuild(): void {
  const core = join(packageDir, '../core');
  for (const dir of [packageDir, core]) {
    const dist = join(dir, 'dist/index.js');
    if (!existsSync(dist)) throw new Error(`${dist} is missing: run \`pnpm build\` first`);
    if (statSync(dist).mtimeMs < newestMtime(join(dir, 'src'))) {
      throw new Error(
        `${dir}/dist is older than src: run \`pnpm build\` first (\`pnpm test\` does)`,
      );
    }
  }
}

export interface FaultWorker {
  readonly child: ChildProcess;
  readonly stderr: string[];
  readonly stdout: string[];
  readonly exited: Promise<number | null>;
  readonly ready: Promise<void>;
}

export function spawnWorker(env: Record<string, string>): FaultWorker {
  const child = spawn(process.execPath, [fixture], {
    cwd: packageDir,
    env: { ...process.env, ...env, NODE_NO_WARNINGS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  const stdout: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout.push(chunk.toString());
      if (chunk.toString().includes('ready')) resolve();
    });
    exited.then((code) =>
      reject(new Error(`worker exited (${code}) before ready: ${stderr.join('')}`)),
    );
  });
  ready.catch(() => {});
  return { child, stderr, stdout, exited, ready };
}

export interface Record_ {
  readonly at: number;
  readonly partition: number;
  readonly id: string;
}

export function records(file: string): Record_[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [at, partition, id] = line.split(' ');
      return { at: Number(at), partition: Number(partition), id: id! };
    });
}

/** Ids recorded more than once, counted once per extra run. */
export function duplicates(list: readonly Record_[]): number {
  return list.length - new Set(list.map((r) => r.id)).size;
}

/** The longest gap between consecutive records, and where it started. */
export function longestGap(list: readonly Record_[]): { ms: number; from: number } {
  const times = list.map((r) => r.at).sort((a, b) => a - b);
  let best = { ms: 0, from: times[0] ?? 0 };
  for (let i = 1; i < times.length; i++) {
    const gap = times[i]! - times[i - 1]!;
    if (gap > best.ms) best = { ms: gap, from: times[i - 1]! };
  }
  return best;
}

/** The JSON log lines a worker wrote to stderr. */
export function logLines(worker: FaultWorker): Array<{ time: string; level: string; msg: string }> {
  return worker.stderr
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as { time: string; level: string; msg: string }];
      } catch {
        return [];
      }
    });
}
