import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// The bench runs as `node run.ts`: expose the collector without a flag on the command line.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * Collects garbage now, so a contender's CPU figure does not pay for the
 * objects the previous one left behind (sampler 1's spans, a backlog's
 * buffers): with three contenders rotating, one of them always follows the
 * most wasteful, and a short quick-mode run pays that debt in full.
 */
export function collectGarbage(): void {
  gc();
}
