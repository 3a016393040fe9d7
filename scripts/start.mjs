// `pnpm start`: builds the sample worker and the packages it uses, then runs
// it with the arguments given after `--`. Build output goes to stderr so that
// stdout carries only what the worker prints.
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
// kafkajs 2.2.4 trips Node's TimeoutNegativeWarning once per process (kafkajs issue 1751); it is harmless.
const nodeFlags = ['--disable-warning=TimeoutNegativeWarning'];
const worker = spawn(process.execPath, [...nodeFlags, 'apps/worker/dist/main.js', ...args], {
  cwd: root,
  stdio: 'inherit',
});
// Ctrl-C reaches the worker directly (same process group): only wait for it.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => worker.kill('SIGTERM'));
worker.on('exit', (code, signal) =>
  process.exit(code ?? 128 + (signal ? (constants.signals[signal] ?? 1) : 1)),
);
