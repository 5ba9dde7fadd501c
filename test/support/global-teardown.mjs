import { stopControlPlane } from './control-plane.mjs';

export default async function globalTeardown() {
  const stateDir = process.env.CDK8S_WORKSHOPS_TEST_STATE;
  if (stateDir) await stopControlPlane({ stateDir, kubeconfigPath: `${stateDir}/kubeconfig`, server: '', token: '' });
}
