import { nodeTypes, packageBuild } from '../../tooling/tsup.preset';

// Two entries: the fake broker and helpers, and the vitest contract suite
// (`@tasks/testing/contract`), which alone imports vitest.
export default packageBuild({
  entry: { index: 'src/index.ts', 'contract/index': 'src/contract/index.ts' },
  dts: nodeTypes,
});
