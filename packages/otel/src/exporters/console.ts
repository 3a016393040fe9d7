import { JsonLinesSpanExporter } from './json-lines.js';

/** `batcher: console`: one JSON span per line on stdout. */
export function createConsoleExporter(
  stream: NodeJS.WritableStream = process.stdout,
): JsonLinesSpanExporter {
  return new JsonLinesSpanExporter({
    write: (text) =>
      new Promise<void>((resolve, reject) => {
        stream.write(text, (error) => (error ? reject(error) : resolve()));
      }),
  });
}
