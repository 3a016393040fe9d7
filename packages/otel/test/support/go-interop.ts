import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const goDir = fileURLToPath(new URL('../../../../interop/go/', import.meta.url));
const binary = `${goDir}.bin/interop`;

/**
 * Builds the Go interop program (`interop/go`, segmentio/kafka-go and otel
 * from the Go module proxy) with the machine's `go`; Go's build cache makes
 * later builds quick. Fails, saying what to install, when there is no Go.
 */
export async function buildGoInterop(): Promise<string> {
  try {
    await run('go', ['build', '-o', binary, '.'], {
      cwd: goDir,
      timeout: 280_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '');
    throw new Error(
      `building interop/go failed (needs Go 1.26 and the Go module proxy): ${stderr || String(error)}`,
    );
  }
  if (!existsSync(binary)) throw new Error(`go build wrote no ${binary}`);
  return binary;
}

export type GoCodec = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
export type GoMode = 'pusher' | 'publish' | 'publish-no-headers';

/** What Go says a consumer's span must have as parent, per message. */
export interface GoProduced {
  readonly key: string;
  readonly traceId: string;
  readonly parentSpanId: string;
}

/** One message as Go's kq-style reader saw it. */
export interface GoConsumed {
  readonly key: string;
  /** base64 of the value bytes. */
  readonly value: string;
  readonly headers: Record<string, string>;
  readonly partition: number;
  readonly offset: number;
  readonly traceId: string;
  readonly parentSpanId: string;
  readonly body?: string;
  readonly envelopeTraceId?: string;
  readonly envelopeParentSpanId?: string;
}

function lines<T>(stdout: string): T[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as T);
}

/** Go produces `messages` the way go-queue's pusher (or gopkg's Publish) does. */
export async function goProduce(
  binary: string,
  options: { brokers: readonly string[]; topic: string; codec: GoCodec; mode: GoMode },
  messages: ReadonlyArray<{ key: string; value: string }>,
): Promise<GoProduced[]> {
  const args = ['produce', '-brokers', options.brokers.join(','), '-topic', options.topic];
  args.push('-codec', options.codec, '-mode', options.mode);
  const child = execFile(binary, args, { timeout: 90_000, maxBuffer: 64 * 1024 * 1024 });
  const output = new Promise<string>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`go produce exited ${code}: ${stderr}`)),
    );
  });
  child.stdin?.end(messages.map((m) => JSON.stringify(m)).join('\n'));
  return lines<GoProduced>(await output);
}

/** Go reads `count` messages the way go-queue's kq consumer does, then commits and exits. */
export async function goConsume(
  binary: string,
  options: { brokers: readonly string[]; topic: string; group: string; count: number },
): Promise<GoConsumed[]> {
  const args = ['consume', '-brokers', options.brokers.join(','), '-topic', options.topic];
  args.push('-group', options.group, '-count', String(options.count), '-timeout', '90s');
  try {
    const { stdout } = await run(binary, args, { timeout: 100_000, maxBuffer: 64 * 1024 * 1024 });
    return lines<GoConsumed>(stdout);
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '');
    throw new Error(`go consume failed: ${stderr || String(error)}`);
  }
}
