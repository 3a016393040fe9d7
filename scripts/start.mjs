// `node scripts/start.mjs [options]` (what `pnpm start -- [options]` runs):
// builds the sample worker and the packages it uses, then runs it with the
// arguments given. Build output goes to stderr so that stdout carries only what
// the worker prints, and the exit code is the worker's. Scripts should call
// this file with node directly: pnpm prints its banner on stdout and reports
// Ctrl-C as a failure (exit 130) even when the worker stopped cleanly.
import { spawn, spawnSync } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const build = spawnSync(
  'pnpm',
  ['exec', 'turbo', 'run', 'build', '--filter=@tasks/worker...', '--output-logs=errors-only'],
  { cwd: root, stdio: ['ignore', 2, 2], env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' } },
);
if (build.status !== 0) {
  process.stderr.write('build failed; see above\n');
  process.exit(build.status ?? 1);
}

const args = process.argv.slice(2);
if (args[0] === '--') args.shift();
const worker = spawn(process.execPath, ['apps/worker/dist/main.js', ...args], {
  cwd: root,
  stdio: 'inherit',
});
// Ctrl-C reaches the worker directly (same process group): only wait for it.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => worker.kill('SIGTERM'));
worker.on('exit', (code, signal) =>
  process.exit(code ?? 128 + (signal ? (constants.signals[signal] ?? 1) : 1)),
);
