import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TaskServer } from '@tasks/core';
import { uniqueName, waitFor } from '@tasks/testing';
import { afterEach, expect, it } from 'vitest';
import { type Example, exampleUnder } from '../../../../tooling/readme/examples.js';
import { brokers } from './helpers/kafka-env.js';

const generated = fileURLToPath(new URL('./.generated/', import.meta.url));

/**
 * Runs a README example as written, on a topic and group no other run uses
 * (a new topic is what a reader on a new cluster has) and on the test broker.
 * Only those names and the broker address are replaced.
 */
async function runExample(
  example: Example,
  names: Record<string, string>,
): Promise<{ server: TaskServer }> {
  let code = example.code.replaceAll("'127.0.0.1:9092'", JSON.stringify(brokers[0]));
  for (const [from, to] of Object.entries(names)) code = code.replaceAll(`'${from}'`, `'${to}'`);
  mkdirSync(generated, { recursive: true });
  const file = `${generated}${uniqueName('readme')}.ts`;
  writeFileSync(file, `${code}\nexport { server };\n`);
  return (await import(/* @vite-ignore */ file)) as { server: TaskServer };
}

// The examples call server.handleSignals(); give back only the handlers they added.
const before = new Map(
  (['SIGINT', 'SIGTERM'] as const).map((signal) => [signal, process.listeners(signal)]),
);
afterEach(() => {
  for (const [signal, listeners] of before) {
    for (const listener of process.listeners(signal)) {
      if (!listeners.includes(listener)) process.off(signal, listener);
    }
  }
});

it("runs the root README's end-to-end example on a new topic", async () => {
  const example = exampleUnder('README.md', 'A task, end to end');
  const topic = uniqueName('order-tasks');
  const { server } = await runExample(example, {
    'order-tasks': topic,
    'task-consumer': uniqueName('task-consumer'),
  });
  expect(server.state).toBe('running');
  await server.stop();
});

it("runs the kafka README's example: the pushed order is run", async () => {
  const example = exampleUnder('packages/kafka/README.md', '@tasks/kafka');
  const { server } = await runExample(example, {
    'order-tasks': uniqueName('order-tasks'),
    worker: uniqueName('worker'),
  });
  await waitFor(() => server.stats.succeeded === 1, { timeoutMs: 60_000 });
  await server.stop();
});
