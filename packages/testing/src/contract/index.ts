export type { HarnessFactory, HarnessMessage, TransportHarness } from '../harness/types.js';
export {
  describeTransportContract,
  type TransportContractOptions,
  transportContractDefaults,
} from './describe-transport-contract.js';
