import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@tasks/testing';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

/**
 * Runs `node scripts/start.mjs` (the command the READMEs give scripts) in a
 * process group of its own, as a shell does, so Ctrl-C can reach the group.
 */
function start(args: readonly string[]) {
  const child = spawn(process.execPath, ['scripts/start.mjs', ...args], {
    cwd: repoRoot,
    env: { ...process.env, KAFKA_BROKERS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => {
    out.stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    out.stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { child, out, exited };
}

describe('node scripts/start.mjs', () => {
  it('keeps stdout to the JSON summary line, fit for a pipe into jq', async () => {
    const { out, exited } = start(['--demo', '10', '--exit-when-idle']);
    expect(await exited, out.stderr).toBe(0);
    expect(out.stdout.endsWith('\n')).toBe(true);
    expect(out.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(JSON.parse(out.stdout)).toMatchObject({ processed: 10, pushed: 10 });
  });

  it('exits 0 after Ctrl-C once the worker drained', async () => {
    const { child, out, exited } = start(['--demo', '10']);
    await waitFor(() => out.stderr.includes('demo batch done'), { timeoutMs: 60_000 });
    process.kill(-child.pid!, 'SIGINT');
    expect(await exited, out.stderr).toBe(0);
    expect(out.stderr).toMatch(/stopped: processed 10\/10/);
    expect(out.stdout).toBe('');
  });
});
