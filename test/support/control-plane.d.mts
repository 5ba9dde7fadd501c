export interface ControlPlane {
  /** Path of an admin kubeconfig (token auth, CA data inline). */
  kubeconfigPath: string;
  /** e.g. https://127.0.0.1:34567 */
  server: string;
  /** Bearer token of the admin user (group system:masters). */
  token: string;
  /** Directory with the cluster's state, pid files and logs/. */
  stateDir: string;
}

export declare function startControlPlane(stateDir?: string): Promise<ControlPlane>;
export declare function stopControlPlane(cp: ControlPlane): Promise<void>;
