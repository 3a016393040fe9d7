export { FakeTransport, type FakeTransportState } from './fake-transport.js';
export {
  type FakeTransportOptions,
  fakeTransportDefaults,
  type ResolvedFakeTransportOptions,
} from './options.js';
