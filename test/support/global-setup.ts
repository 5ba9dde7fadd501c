// Starts the local control plane once for the integration tests; its kubeconfig reaches the test files through
// KUBECONFIG (the workers are started after this and inherit the environment).
import { startControlPlane } from './control-plane.js';

export default async function globalSetup(): Promise<void> {
  const cluster = await startControlPlane(process.env.CDK8S_WORKSHOPS_TEST_CLUSTER ?? '/tmp/cdk8s-workshops-test-cluster');
  process.env.KUBECONFIG = cluster.kubeconfigPath;
  process.env.CDK8S_WORKSHOPS_TEST_STATE = cluster.stateDir;
}
