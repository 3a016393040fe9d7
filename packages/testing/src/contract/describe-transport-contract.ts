import { StateError } from '@tasks/core';
import { afterAll, afterEach, beforeAll, beforeEach, describe } from 'vitest';
import type { HarnessFactory, TransportHarness } from '../harness/types.js';
import { commitCases } from './cases/commits.js';
import { deadLetterCases } from './cases/dead-letters.js';
import { deliveryCases } from './cases/delivery.js';
import { groupCases } from './cases/groups.js';
import { offsetCases } from './cases/offsets.js';
import { orderingCases } from './cases/ordering.js';
import { schedulingCases } from './cases/scheduling.js';
import type { CaseContext } from './cases/shared.js';
import { ContractFixture, type ContractSettings } from './fixture.js';

/** Deadlines of the contract suite. */
export interface TransportContractOptions {
  /** Deadline of each wait inside a case, in ms. Default 20 000. */
  readonly timeoutMs?: number;
  /** Pause between the checks of a wait, in ms. Default 5. */
  readonly pollMs?: number;
  /** Vitest timeout of each case, in ms. Default 60 000. */
  readonly testTimeoutMs?: number;
}

export const transportContractDefaults = {
  timeoutMs: 20_000,
  pollMs: 5,
  testTimeoutMs: 60_000,
} as const satisfies Required<TransportContractOptions>;

/**
 * Registers the transport contract: the behaviour core relies on from any
 * `Transport` (delivery, partitioning, start offsets, commits, redelivery,
 * groups and rebalances, run scheduling), as vitest cases. The harness is
 * built once for the suite; every case uses its own topics and groups and
 * stops the transports it started.
 *
 * @example
 * describeTransportContract('fake broker', () => createFakeHarness());
 */
export function describeTransportContract(
  name: string,
  makeHarness: HarnessFactory,
  options: TransportContractOptions = {},
): void {
  const { testTimeoutMs, ...settings }: Required<TransportContractOptions> = {
    ...transportContractDefaults,
    ...options,
  };
  const contractSettings: ContractSettings = settings;

  describe(`transport contract: ${name}`, { timeout: testTimeoutMs }, () => {
    let harness: TransportHarness | undefined;
    let current: ContractFixture | undefined;

    beforeAll(async () => {
      harness = await makeHarness();
    }, testTimeoutMs);
    afterAll(async () => {
      await harness?.cleanup();
    }, testTimeoutMs);
    beforeEach(() => {
      if (!harness) throw new StateError('the contract harness was not created');
      current = new ContractFixture(harness, contractSettings);
    });
    afterEach(async () => {
      await current?.dispose();
      current = undefined;
    }, testTimeoutMs);

    const context: CaseContext = {
      settings: contractSettings,
      fixture: () => {
        if (!current) throw new StateError('a contract fixture is only available inside a case');
        return current;
      },
    };
    describe('delivery', () => deliveryCases(context));
    describe('start offsets', () => offsetCases(context));
    describe('commits and redelivery', () => commitCases(context));
    describe('consumer groups', () => groupCases(context));
    describe('run scheduling', () => schedulingCases(context));
    describe('ordering', () => orderingCases(context));
    describe('dead letters and replay', () => deadLetterCases(context));
  });
}
