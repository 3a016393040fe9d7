export { createFakeHarness, type FakeHarness, type FakeHarnessOptions } from './fake-harness.js';
export type { HarnessFactory, HarnessMessage, TransportHarness } from './types.js';
