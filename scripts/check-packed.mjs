// The packages as a dependency, the way a user gets them: packs each one with
// `pnpm pack`, installs the tarballs in a new project outside the workspace
// (without @types/node), typechecks an ESM and a CommonJS program against
// them with tsc (strict, skipLibCheck off) and runs both. Also checks that
// each tarball carries its README, LICENSE, CHANGELOG.md and the repository
// fields. Usage: node scripts/check-packed.mjs [--keep]
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const here = fileURLToPath(new URL('./check-packed/', import.meta.url));
const packages = ['core', 'kafka', 'otel', 'testing'];
const keep = process.argv.includes('--keep');

const run = (command, args, cwd) =>
  execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const problems = [];

// Build what is packed (turbo's cache makes this cheap after `pnpm build`).
execFileSync(
  'pnpm',
  ['exec', 'turbo', 'run', 'build', '--filter=./packages/*', '--output-logs=errors-only'],
  {
    cwd: root,
    stdio: ['ignore', 2, 2],
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
  },
);

const scratch = mkdtempSync(join(tmpdir(), 'tasks-packed-'));
const tarballs = join(scratch, 'tarballs');
mkdirSync(tarballs);
const dependencies = {};
for (const name of packages) {
  const dir = join(root, 'packages', name);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const output = run('pnpm', ['pack', '--pack-destination', tarballs], dir).trim().split('\n');
  const tarball = output.at(-1);
  const listed = run('tar', ['-tzf', tarball], root).split('\n');
  for (const file of [
    'package/package.json',
    'package/README.md',
    'package/LICENSE',
    'package/CHANGELOG.md',
  ]) {
    if (!listed.includes(file))
      problems.push(`${manifest.name}: ${file.slice(8)} is not in the tarball`);
  }
  for (const field of ['license', 'repository', 'homepage', 'bugs']) {
    if (!manifest[field]) problems.push(`${manifest.name}: package.json has no "${field}"`);
  }
  dependencies[manifest.name] = `file:${tarball}`;
}

// What a user adds next to them: the OpenTelemetry API (a peer of @tasks/otel) and TypeScript.
const typescript = JSON.parse(
  readFileSync(join(root, 'node_modules/typescript/package.json'), 'utf8'),
).version;
writeFileSync(
  join(scratch, 'package.json'),
  `${JSON.stringify(
    {
      name: 'tasks-packed-check',
      private: true,
      type: 'module',
      dependencies: { ...dependencies, '@opentelemetry/api': '^1.9.0' },
      devDependencies: { typescript },
    },
    null,
    2,
  )}\n`,
);
writeFileSync(
  join(scratch, 'tsconfig.json'),
  `${JSON.stringify(
    {
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2023'],
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        skipLibCheck: false,
        outDir: 'out',
      },
      files: ['program.mts', 'program.cts'],
    },
    null,
    2,
  )}\n`,
);
for (const file of ['program.mts', 'program.cts'])
  copyFileSync(join(here, file), join(scratch, file));

try {
  run('pnpm', ['install', '--no-frozen-lockfile', '--reporter=silent'], scratch);
  if (existsSync(join(scratch, 'node_modules/@types/node'))) {
    problems.push(
      'the scratch project has node_modules/@types/node: the check would prove nothing',
    );
  }
  try {
    run(join(scratch, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], scratch);
  } catch (error) {
    problems.push(`tsc failed in ${scratch}:\n${error.stdout}`);
  }
  if (problems.length === 0) {
    for (const program of ['out/program.mjs', 'out/program.cjs']) {
      try {
        // Its log lines are kept for a failure only.
        execFileSync(process.execPath, [program], { cwd: scratch, stdio: 'pipe' });
        process.stdout.write(`node ${program}: ok\n`);
      } catch (error) {
        problems.push(`node ${program} failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
      }
    }
  }
} finally {
  if (!keep && problems.length === 0) rmSync(scratch, { recursive: true, force: true });
}

if (problems.length > 0) {
  process.stderr.write(`check-packed: ${problems.length} problem(s)\n- ${problems.join('\n- ')}\n`);
  if (!keep) process.stderr.write(`(scratch project kept at ${scratch})\n`);
  process.exit(1);
}
process.stdout.write(
  `check-packed: ${packages.length} packages packed, installed, typechecked and run (ESM and CJS)\n`,
);
