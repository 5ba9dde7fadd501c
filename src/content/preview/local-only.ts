/**
 * Protection against DNS rebinding for a preview bound to loopback: a web page elsewhere could point its own host
 * name at 127.0.0.1 and read the preview through the learner's browser. Its requests carry that foreign name in
 * the Host header, so a loopback-bound preview answers only to loopback names.
 */
import * as net from 'node:net';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1']);

/** True when `address` is only reachable from this machine. */
export function isLoopback(address: string): boolean {
  if (address === 'localhost') return true;
  if (net.isIPv4(address)) return address.startsWith('127.');
  return address === '::1';
}

/** True when a Host header names this machine (`localhost`, `*.localhost`, a loopback address; any port). */
export function isLoopbackHostHeader(hostHeader: string | undefined): boolean {
  if (!hostHeader) return false;
  const hostname = new URL(`http://${hostHeader}`).hostname.replace(/^\[|\]$/g, '');
  return LOOPBACK_NAMES.has(hostname) || hostname.endsWith('.localhost') || (net.isIPv4(hostname) && hostname.startsWith('127.'));
}
