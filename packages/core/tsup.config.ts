import { nodeTypes, packageBuild } from '../../tooling/tsup.preset';

// Two entries: the task author's API, and `@tasks/core/transport` for transport authors.
export default packageBuild({
  entry: { index: 'src/index.ts', 'transport/index': 'src/transport/index.ts' },
  dts: nodeTypes,
});
