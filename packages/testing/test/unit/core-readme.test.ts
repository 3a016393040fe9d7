import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TaskServer } from '@tasks/core';
import { waitFor } from '@tasks/testing';
import { expect, it } from 'vitest';

const readme = fileURLToPath(new URL('../../../core/README.md', import.meta.url));
const generated = fileURLToPath(new URL('./.generated/', import.meta.url));

/** The example under a heading of core's README, exactly as written there. */
function example(heading: string): string {
  const text = readFileSync(readme, 'utf8');
  const section = text.slice(text.indexOf(heading));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (!match?.[1]) throw new Error(`no ts block under "${heading}" in ${readme}`);
  return match[1];
}

it("runs core's README example: the good address is mailed, the bad one reported", async () => {
  mkdirSync(generated, { recursive: true });
  const file = `${generated}core-readme.ts`;
  writeFileSync(file, `${example('## A worker in one file')}\nexport { server, serverCtx };\n`);
  const errors: unknown[] = [];
  const spy = (...args: unknown[]) => errors.push(args);
  const original = console.error;
  console.error = spy;
  const before = new Map(
    (['SIGINT', 'SIGTERM'] as const).map((signal) => [signal, process.listeners(signal)]),
  );
  try {
    const { server, serverCtx } = (await import(/* @vite-ignore */ file)) as {
      server: TaskServer<{ mailer: { sent: string[] } }>;
      serverCtx: { object(): { mailer: { sent: string[] } } };
    };
    await waitFor(() => server.stats.succeeded === 1 && server.stats.failed === 1);
    expect(serverCtx.object().mailer.sent).toEqual(['ada@example.com']);
    expect(String((errors[0] as unknown[])[0])).toMatch(/not an address at email-tasks@/);
    await server.stop();
  } finally {
    console.error = original;
    // The example calls handleSignals(); take back only the handlers it added.
    for (const [signal, listeners] of before) {
      for (const listener of process.listeners(signal)) {
        if (!listeners.includes(listener)) process.off(signal, listener);
      }
    }
  }
});
