/**
 * Writes `etc/worker.schema.json` from the config schema
 * (`pnpm build && pnpm --filter @tasks/worker config-schema`). A unit test
 * fails while the checked-in file differs from what this writes.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { workerJsonSchemaText } from './config/json-schema.js';

const target = fileURLToPath(new URL('../etc/worker.schema.json', import.meta.url));
writeFileSync(target, workerJsonSchemaText());
process.stderr.write(`wrote ${target}\n`);
