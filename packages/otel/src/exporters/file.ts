import { mkdir, open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConfigError, toError } from '@tasks/core';
import { JsonLinesSpanExporter } from './json-lines.js';

/**
 * `batcher: file`: appends one JSON span per line to the file at `path`
 * (created with its folder if missing). Opened here, so a path that cannot be
 * written fails at setup, not silently at the first export.
 */
export async function createFileExporter(path: string): Promise<JsonLinesSpanExporter> {
  const absolute = resolve(path);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    await mkdir(dirname(absolute), { recursive: true });
    handle = await open(absolute, 'a');
  } catch (error) {
    const reason = toError(error).message;
    throw new ConfigError(
      [
        {
          path: 'endpoint',
          message: `cannot open ${JSON.stringify(path)} to append spans: ${reason}`,
        },
      ],
      'invalid tracing configuration',
    );
  }
  return new JsonLinesSpanExporter({
    write: async (text) => {
      await handle.appendFile(text, 'utf8');
    },
    close: () => handle.close(),
  });
}
