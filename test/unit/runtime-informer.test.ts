/**
 * The watch cache treats resourceVersions as opaque strings (the API's contract): a copy this process wrote is
 * taken at once, watch events older than it (still on their way) do not replace it, and its own event and later
 * ones do. The client is a stand-in that serves one list and a watch the test feeds, with versions that neither
 * look like numbers nor sort.
 */
import { PassThrough } from 'node:stream';

import type { Manifest } from '../../src/constructs/index.js';
import { Informer, type KubeClient } from '../../src/runtime/index.js';

const object = (version: string, value: string): Manifest =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'ns', resourceVersion: version }, data: { value } }) as Manifest;

function standIn() {
  const stream = new PassThrough();
  const client = {
    collectionPath: () => '/api/v1/namespaces/ns/configmaps',
    request: async () => ({ metadata: { resourceVersion: 'list~q' }, items: [object('zz9', 'listed')] }),
    stream: async () => stream,
  } as unknown as KubeClient;
  const send = (type: string, o: Manifest) => stream.write(`${JSON.stringify({ type, object: o })}\n`);
  return { client, send, stream };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test('a written copy holds against older watch events; its own event and later ones apply', async () => {
  const { client, send } = standIn();
  const informer = new Informer(client, 'v1', 'ConfigMap', { namespace: 'ns' });
  await informer.start();
  await settle();
  const value = () => (informer.get('cm', 'ns') as Manifest & { data: { value: string } }).data.value;
  expect(value()).toBe('listed');

  // this process wrote version "aa1" (which sorts before "zz9", and is no number)
  informer.observe(object('aa1', 'mine'));
  expect(value()).toBe('mine');
  // someone else's earlier write arrives late: older than ours
  send('MODIFIED', object('m-5', 'theirs, earlier'));
  await settle();
  expect(value()).toBe('mine');
  // our own write's event, then a later one
  send('MODIFIED', object('aa1', 'mine'));
  send('MODIFIED', object('b', 'later'));
  await settle();
  expect(value()).toBe('later');
  // a copy the watch has already delivered is not taken again
  informer.observe(object('aa1', 'mine'));
  expect(value()).toBe('later');
  informer.stop();
});
