import { nodeTypes, packageBuild } from '../../tooling/tsup.preset';

export default packageBuild({ dts: nodeTypes });
