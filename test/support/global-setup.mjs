// Starts the local control plane once for the integration tests. Its kubeconfig reaches the test files through
// KUBECONFIG: the workers start after this and inherit the environment. (Plain JavaScript: Jest loads global
// setup modules with Node's own resolver.)
import { startControlPlane } from './control-plane.mjs';

export default async function globalSetup() {
  const cluster = await startControlPlane(process.env.CDK8S_WORKSHOPS_TEST_CLUSTER ?? '/tmp/cdk8s-workshops-test-cluster');
  process.env.KUBECONFIG = cluster.kubeconfigPath;
  process.env.CDK8S_WORKSHOPS_TEST_STATE = cluster.stateDir;
}
