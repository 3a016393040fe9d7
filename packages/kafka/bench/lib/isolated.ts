import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BenchError } from './bench-error.ts';
import type { Rate } from './meter.ts';

const run = promisify(execFile);
const entry = fileURLToPath(new URL('../cpu.ts', import.meta.url));
/** Above a contender's own 300 s limit, so its own error (a BenchError) is what gets reported. */
const timeoutMs = 330_000;

/**
 * One round of a contender (`cpu.ts`'s names) in a fresh process: no
 * contender's JIT state, garbage or background work lands in another's
 * CPU figure, which a shared process could not rule out (a quick run once
 * read sampler 0 at 0.77x of tracing off because it always followed sampler 1).
 */
export async function isolated(
  what: string,
  brokers: readonly string[],
  topic: string,
  messages: number,
): Promise<Rate> {
  const { stdout } = await run(process.execPath, [entry, what, topic, String(messages), '--json'], {
    env: { ...process.env, KAFKA_BROKERS: brokers.join(',') },
    timeout: timeoutMs,
    maxBuffer: 1 << 20,
  }).catch((error: unknown) => {
    throw new BenchError(`${what}: ${failure(error)}`, { cause: error });
  });
  const line = stdout.trim().split('\n').at(-1) ?? '';
  const parsed = JSON.parse(line) as Partial<Rate>;
  if (typeof parsed.perSecond !== 'number' || typeof parsed.perCpuSecond !== 'number') {
    throw new BenchError(`${what}: unexpected output ${line}`);
  }
  return { perSecond: parsed.perSecond, perCpuSecond: parsed.perCpuSecond };
}

/** The child's error line (`BenchError: only 12/600000 messages ...`), not its whole stderr. */
function failure(error: unknown): string {
  const { stderr, killed, signal } = error as {
    stderr?: string;
    killed?: boolean;
    signal?: string;
  };
  if (killed) return `killed (${signal ?? 'no signal'}) after ${timeoutMs} ms`;
  const line = stderr?.split('\n').find((l) => /^\w*Error\b/.test(l));
  return line ?? (error instanceof Error ? error.message : String(error));
}
