import { stripTypeScriptTypes } from 'node:module';
import { describe, expect, it } from 'vitest';
import { examplesOf, readmes } from '../../../../tooling/readme/examples.js';

// Node 24 runs .ts files by stripping types; syntax that needs more than
// stripping (parameter properties, enums, namespaces) fails there. Every
// example must survive it, so a reader can paste it into a .ts file and run it.
// The complete ones are run as written: core's in core-readme.test.ts, the
// Kafka ones in packages/kafka/test/integration/readme.test.ts.
const withExamples = readmes.filter((readme) => examplesOf(readme).length > 0);

describe.each(withExamples)('the ts examples of %s', (readme) => {
  const examples = examplesOf(readme);
  it.each(examples.map((e) => [`line ${e.line}`, e] as const))(
    'run under Node type stripping (%s)',
    (_where, example) => {
      expect(() => stripTypeScriptTypes(example.code)).not.toThrow();
    },
  );
});
