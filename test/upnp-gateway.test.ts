import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultGateway } from '../electron/engine/nat/nat-pmp.js';
import { checkedUrl, isLanAddress, isLocalOrLanAddress } from '../electron/engine/nat/upnp-gateway.js';

/**
 * What a router's SSDP answer may point us at: only http:// at the very address that answered,
 * and only on a LAN address, so a spoofed or hostile answer can't aim our requests elsewhere.
 * (Discovery and mapping against a real miniupnpd run in the NAT lab: test/nat-traversal.test.ts.)
 */
describe('UPnP answers we act on', () => {
  it('LAN addresses: private, link-local and CGNAT IPv4 only', () => {
    for (const ok of ['10.0.0.1', '172.16.0.1', '172.31.255.254', '192.168.1.1', '169.254.3.4', '100.64.0.1']) expect(isLanAddress(ok), ok).toBe(true);
    for (const bad of ['8.8.8.8', '172.32.0.1', '203.0.113.2', '127.0.0.1', '100.128.0.1', '::1', 'fe80::1', 'router.local', '']) expect(isLanAddress(bad), bad).toBe(false);
  });

  it('trackers on this machine or the LAN (which see our LAN address) are told apart from those beyond the router', () => {
    for (const local of ['localhost', '127.0.0.1', '::1', '192.168.1.20', '10.1.2.3', 'fd00::1', 'fe80::1']) expect(isLocalOrLanAddress(local), local).toBe(true);
    for (const beyond of ['203.0.113.10', '8.8.8.8', '2001:db8::1', 'tracker.example.org', '127.example.org']) expect(isLocalOrLanAddress(beyond), beyond).toBe(false);
  });

  it('a description or control URL must be http:// at the address that answered', () => {
    expect(checkedUrl('http://192.168.1.1:5000/rootDesc.xml', '192.168.1.1')).toBeInstanceOf(URL);
    const refusals: [string, string, RegExp][] = [
      ['http://192.168.1.2:5000/rootDesc.xml', '192.168.1.1', /not at the answering/],
      ['https://192.168.1.1/rootDesc.xml', '192.168.1.1', /not http/],
      ['file:///etc/passwd', '192.168.1.1', /not http/],
      ['http://203.0.113.9/x', '203.0.113.9', /not a LAN address/],
      ['http://[::1]/x', '::1', /not at the answering|not a LAN/],
      ['not a url', '192.168.1.1', /bad URL/],
    ];
    for (const [href, host, reason] of refusals) expect(checkedUrl(href, host), href).toMatch(reason);
  });
});

describe('NAT-PMP: the default gateway it speaks to', () => {
  async function routeFile(lines: string[]): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'p2p-route-'));
    const file = path.join(dir, 'route');
    await writeFile(file, ['Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT', ...lines].join('\n'));
    return file;
  }

  it('reads the IPv4 default route from the kernel table (little-endian hex), only when up, a gateway, and on a LAN', async () => {
    // 0101A8C0 = 192.168.1.1; flags 0003 = RTF_UP | RTF_GATEWAY.
    expect(await defaultGateway(await routeFile(['eth0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0', 'eth0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0']))).toBe('192.168.1.1');
    expect(await defaultGateway(await routeFile(['eth0\t00000000\t0101A8C0\t0001\t0\t0\t0\t00000000\t0\t0\t0']))).toBeUndefined(); // not a gateway route
    expect(await defaultGateway(await routeFile(['eth0\t00000000\t017100CB\t0003\t0\t0\t0\t00000000\t0\t0\t0']))).toBeUndefined(); // 203.0.113.1: not a home router's LAN side
    expect(await defaultGateway(await routeFile(['eth0\t00000000\tZZZZZZZZ\t0003\t0\t0\t0\t00000000\t0\t0\t0']))).toBeUndefined();
    expect(await defaultGateway('/nonexistent/route')).toBeUndefined();
  });
});
