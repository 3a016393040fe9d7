import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const guard = fileURLToPath(new URL('../../src/run/exit-guard.ts', import.meta.url));

/** A process whose work never settles and whose event loop empties, as the old demo count did. */
function runPending(withGuard: boolean) {
  const script = [
    `import { exitGuard } from ${JSON.stringify(guard)};`,
    'let settled = false;',
    withGuard
      ? `process.on('exit', exitGuard(() => settled, (t) => process.stderr.write(t + '\\n'), (c) => { process.exitCode = c; }));`
      : '',
    'new Promise(() => {}).then(() => { settled = true; });',
  ].join('\n');
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
}

it('turns an exit with work pending into code 70 and a message, never a silent 0', () => {
  expect(runPending(false).status).toBe(0); // what Node does on its own
  const run = runPending(true);
  expect(run.status).toBe(70);
  expect(run.stderr).toMatch(/work still pending/);
});
