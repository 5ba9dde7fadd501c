/**
 * Which hops' X-Forwarded-For the portal believes (PORTAL_TRUSTED_PROXIES): addresses and CIDRs only, none by
 * default; a bad entry is refused at start, naming it.
 */
import { trustedProxies } from '../../src/portal/index.js';

describe('trusted proxies', () => {
  test("none by default: the connection's own address counts", () => {
    expect(trustedProxies(undefined)).toBe(false);
    expect(trustedProxies(['', ' '])).toBe(false);
  });

  test('addresses and CIDRs of both families are kept', () => {
    expect(trustedProxies(['10.0.0.0/8', ' 127.0.0.1', 'fd00::/8', '::1'])).toEqual(['10.0.0.0/8', '127.0.0.1', 'fd00::/8', '::1']);
  });

  test.each(['ingress-nginx', '10.0.0.0/33', '10.0.0.0/8/1', 'fd00::/129', '10.0.0/8', 'loopback'])('%s is refused by name', (hop) => {
    expect(() => trustedProxies([hop])).toThrow(`trusted proxy '${hop}' must be an IP address or a CIDR such as 10.0.0.0/8 or fd00::/8`);
  });
});
