import { randomBytes } from 'node:crypto';

let counter = 0;

/**
 * A topic or group name no other test (or earlier run against the same
 * broker) uses: `prefix-<time>-<n>-<random>`, within Kafka's name rules.
 */
export function uniqueName(prefix: string): string {
  counter += 1;
  const clean = prefix.replace(/[^a-zA-Z0-9._-]/g, '-').slice(0, 200);
  return `${clean}-${Date.now().toString(36)}-${counter}-${randomBytes(3).toString('hex')}`;
}
