import { packageBuild } from '../../tooling/tsup.preset';

export default packageBuild();
