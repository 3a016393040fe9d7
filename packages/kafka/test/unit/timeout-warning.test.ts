import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

// Node prints TimeoutNegativeWarning once per process, so each case runs in a
// fresh one, against the built package (`pnpm test` builds first).
const entry = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

/** A module that sits where kafkajs does and arms a timer with a negative delay, as kafkajs 2.2.4 does. */
function fakeKafkajs(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'kafkajs-warning-')), 'node_modules/kafkajs/src');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'request-queue.cjs');
  writeFileSync(file, 'module.exports = () => clearTimeout(setTimeout(() => {}, -Date.now()));\n');
  return file;
}

function stderrOf(body: string): string {
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run pnpm build first`);
  const script = [
    `import { createRequire } from 'node:module';`,
    `import { TaskPusher } from ${JSON.stringify(entry)};`,
    `const armFromKafkajs = createRequire(import.meta.url)(${JSON.stringify(fakeKafkajs())});`,
    `new TaskPusher({ brokers: ['127.0.0.1:1'], route: { order: 'orders' } });`,
    body,
  ].join('\n');
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  expect(run.status, run.stderr).toBe(0);
  return run.stderr;
}

it("silences kafkajs's TimeoutNegativeWarning once a client exists", () => {
  expect(stderrOf('armFromKafkajs();')).toBe('');
});

it('still shows a negative timeout set anywhere else, and every other warning', () => {
  const stderr = stderrOf(
    `clearTimeout(setTimeout(() => {}, -5));\nprocess.emitWarning('something else', 'DeprecationWarning');`,
  );
  expect(stderr).toMatch(/TimeoutNegativeWarning: -5 is a negative number/);
  expect(stderr).toMatch(/DeprecationWarning: something else/);
});
