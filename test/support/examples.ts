import { App } from 'cdk8s';

import { defineExamples } from '../../examples/index.js';
import { CompiledBlueprint, type Manifest, type SessionBlueprint, synthesize, type SynthFile } from '../../src/constructs/index.js';
import { type SessionSecrets, sessionValues } from '../../src/runtime/session-variables.js';

/** Synthesizes the examples in memory, as `npm run synth` does. */
export function synthExamples(): SynthFile[] {
  const app = new App({ outdir: '/nonexistent' });
  defineExamples(app);
  return synthesize(app);
}

/** Every WorkshopEnvironment in a synthesis. */
export function environments(files: SynthFile[]): Manifest[] {
  return files.flatMap((f) => f.objects).filter((o) => o.kind === 'WorkshopEnvironment');
}

/** The blueprint carried by a WorkshopEnvironment. */
export function blueprintOf(environment: Manifest): SessionBlueprint {
  const session = (environment.spec as { session: SessionBlueprint }).session;
  return { objects: session.objects, secrets: session.secrets };
}

export const FIXED_SECRETS: SessionSecrets = {
  services_password: 'services-password-0123456789abcd',
  config_password: 'config-password-0123456789abcdef',
  registry_password: 'registry-password-0123456789abcd',
  ssh_private_key: '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIHeDUMMYKEYFORTESTSONLY0000000000000000000000\n-----END PRIVATE KEY-----\n',
  ssh_public_key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITESTKEY',
};

/** A session of an environment rendered with fixed values (offline: no UIDs from a cluster). */
export async function renderSample(environment: Manifest, sessionId = 'x7k2p'): Promise<Manifest[]> {
  const spec = environment.spec as { portal: { ingressDomain: string; ingressProtocol: string } };
  const values = await sessionValues(
    {
      environmentName: environment.metadata.name,
      sessionId,
      workshopSessionUid: '00000000-0000-0000-0000-000000000001',
      sessionNamespaceUid: '00000000-0000-0000-0000-000000000002',
      ingressDomain: spec.portal.ingressDomain,
      ingressProtocol: spec.portal.ingressProtocol,
    },
    FIXED_SECRETS,
  );
  return new CompiledBlueprint(blueprintOf(environment)).render(values);
}
