import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BenchError } from '../lib/bench-error.ts';
import { uniqueName } from '../lib/kafka.ts';
import type { Rate } from '../lib/meter.ts';

const run = promisify(execFile);
const source = fileURLToPath(new URL('../go/', import.meta.url));
const cacheDir = fileURLToPath(
  new URL('../../../../node_modules/.cache/tasks-bench/', import.meta.url),
);

/** The Go consumer's binary, and whether this run had to build it. */
export interface GoBuild {
  readonly binary: string | undefined;
  /** `cached`, `built in N s`, or why there is no binary. */
  readonly how: string;
}

/**
 * Builds the Go kq-style consumer (`bench/go`) with `go build`, once per
 * source and Go version: the binary is cached under node_modules/.cache.
 * Asynchronous, so a first build overlaps the scenarios that need no Go.
 * Resolves without a binary when Go is missing or the build fails.
 */
export async function buildGoConsumer(log: (line: string) => void): Promise<GoBuild> {
  let goVersion: string;
  try {
    goVersion = (await run('go', ['version'])).stdout;
  } catch {
    log('go: not installed, the Go baseline is skipped');
    return { binary: undefined, how: 'skipped: go is not installed' };
  }
  const hash = createHash('sha256').update(goVersion);
  for (const file of ['main.go', 'go.mod', 'go.sum']) hash.update(readFileSync(`${source}${file}`));
  const binary = `${cacheDir}kqconsumer-${hash.digest('hex').slice(0, 12)}`;
  if (existsSync(binary)) return { binary, how: 'cached' };
  mkdirSync(cacheDir, { recursive: true });
  log('go: building the kq consumer in the background (kafka-go from the Go module proxy)');
  const started = performance.now();
  try {
    await run('go', ['build', '-o', binary, '.'], { cwd: source, timeout: 600_000 });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    log(`go: build failed, the Go baseline is skipped: ${reason}`);
    return { binary: undefined, how: `skipped: go build failed: ${reason}` };
  }
  const seconds = Math.round((performance.now() - started) / 1000);
  log(`go: built in ${seconds} s`);
  return { binary, how: `built in ${seconds} s, alongside the first scenarios` };
}

export interface GoRun {
  readonly binary: string;
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly messages: number;
  readonly ioMs: number;
  readonly consumers: number;
  readonly processors: number;
  readonly maxWaitMs: number;
}

/** One run of the Go consumer over the topic; resolves with its msg/s, by the wall clock and per CPU-second of its process. */
export async function goKq(options: GoRun): Promise<Rate> {
  const { stdout } = await run(
    options.binary,
    [
      `-brokers=${options.brokers.join(',')}`,
      `-topic=${options.topic}`,
      `-group=${uniqueName('bench-go-kq')}`,
      `-count=${options.messages}`,
      `-consumers=${options.consumers}`,
      `-processors=${options.processors}`,
      `-max-wait=${options.maxWaitMs}ms`,
      `-io=${options.ioMs}ms`,
    ],
    { timeout: 300_000 },
  );
  const line = stdout.trim().split('\n').at(-1) ?? '';
  const parsed = JSON.parse(line) as { perSecond?: unknown; perCpuSecond?: unknown };
  if (typeof parsed.perSecond !== 'number' || typeof parsed.perCpuSecond !== 'number') {
    throw new BenchError(`go: unexpected output ${line}`);
  }
  return { perSecond: parsed.perSecond, perCpuSecond: parsed.perCpuSecond };
}
