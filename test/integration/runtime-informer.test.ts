/**
 * The runtime's watch caches against an API server that misbehaves, through the fault proxy: a watch line that is
 * not JSON, a watch answered 410 Gone whose relist then fails while objects are deleted, and the periodic relist.
 */
import type { Manifest } from '../../src/constructs/index.js';
import { Informer, KubeClient } from '../../src/runtime/index.js';
import { type FaultKind, type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { waitFor } from '../support/portal-fixture.js';

const admin = KubeClient.fromKubeconfig(process.env.KUBECONFIG);
const NAMESPACE = 'informer-faults';
const LABEL = 'test.cdk8s-workshops.dev/informer';

const configMap = (name: string, group: string): Manifest =>
  ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: NAMESPACE, labels: { [LABEL]: group } },
    data: { at: name },
  }) as Manifest;

let proxy: FaultProxy | undefined;
let informer: Informer | undefined;
let client: KubeClient | undefined;

/** An informer of one group's ConfigMaps through a fault proxy that injects what `choose` says (and nothing at random). */
async function watchThroughProxy(
  group: string,
  choose: (request: { method: string; path: string; watch: boolean }) => FaultKind | undefined,
  relistSeconds?: number,
) {
  proxy = await startFaultProxy({ rate: 0, watchRate: 0, choose });
  // a relist that fails is not retried inside the request: the informer's own loop must try again
  client = KubeClient.fromKubeconfig(proxy.kubeconfigPath).withOptions({ retryForMs: 0 });
  informer = new Informer(client, 'v1', 'ConfigMap', { namespace: NAMESPACE, labelSelector: `${LABEL}=${group}`, relistSeconds });
  await informer.start();
  return informer;
}

beforeAll(async () => {
  await admin.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
});

afterEach(async () => {
  informer?.stop();
  await client?.close();
  await proxy?.close();
  informer = undefined;
  client = undefined;
  proxy = undefined;
});

afterAll(async () => {
  await admin.delete('v1', 'Namespace', NAMESPACE);
  await admin.close();
});

test('a watch line that is not JSON ends that watch, not the process; the cache carries on from where it was', async () => {
  await admin.apply(configMap('garbage-a', 'garbage'));
  let watches = 0;
  const cache = await watchThroughProxy('garbage', ({ watch }) => (watch && ++watches === 1 ? 'watchGarbage' : undefined));
  expect(cache.get('garbage-a', NAMESPACE)).toBeDefined();
  await waitFor('the broken line seen', () => cache.malformedLines === 1 && proxy!.faults.watchGarbage === 1);
  await admin.apply(configMap('garbage-b', 'garbage'));
  await waitFor('a later object in the cache', () => cache.get('garbage-b', NAMESPACE));
  // resumed from the last version it understood: no list was needed
  expect(cache.lists).toBe(1);
});

test('after 410 Gone, a relist that fails is tried again before any watch: objects deleted in the gap leave the cache', async () => {
  await admin.apply(configMap('gap-a', 'gap'));
  await admin.apply(configMap('gap-b', 'gap'));
  let state: 'listing' | 'gone' | 'deleted' | 'healthy' = 'listing';
  let failedLists = 0;
  const cache = await watchThroughProxy('gap', ({ method, watch }) => {
    if (watch && state === 'listing') {
      // the watch's resourceVersion is too old; meanwhile gap-b goes, and lists fail until it has gone
      state = 'gone';
      void admin.delete('v1', 'ConfigMap', 'gap-b', NAMESPACE).then(() => (state = 'deleted'));
      return 'watchGone';
    }
    if (!watch && method === 'GET' && (state === 'gone' || (state === 'deleted' && failedLists === 0))) {
      failedLists++;
      return 'status500';
    }
    if (!watch && state === 'deleted') state = 'healthy';
    return undefined;
  });
  expect(cache.get('gap-b', NAMESPACE)).toBeDefined();
  await waitFor('gap-b gone from the cache', () => state === 'healthy' && !cache.get('gap-b', NAMESPACE));
  expect(proxy!.faults.watchGone).toBe(1);
  expect(failedLists).toBeGreaterThan(0);
  expect(cache.get('gap-a', NAMESPACE)).toBeDefined();
  // and it watches again afterwards
  await admin.apply(configMap('gap-c', 'gap'));
  await waitFor('a later object in the cache', () => cache.get('gap-c', NAMESPACE));
});

test('the cache is listed again periodically, whatever the watch says', async () => {
  await admin.apply(configMap('relist-a', 'relist'));
  const cache = await watchThroughProxy('relist', () => undefined, 1);
  await waitFor('two more lists', () => cache.lists >= 3);
  expect(cache.get('relist-a', NAMESPACE)).toBeDefined();
});
