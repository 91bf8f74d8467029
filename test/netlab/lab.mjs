// A real network lab in Linux network namespaces, for tests (and benchmarks) of how peers reach
// each other across NATs. Everything lives in namespaces this module creates and removes: the
// TEST-NET and private addresses below exist only inside them, and no traffic leaves them.
//
// Topology (buildNatLab):
//
//   wan switch (bridge in namespace "wan", 203.0.113.0/24)
//    ├─ tracker   203.0.113.10            a public host for the tracker (and relay)
//    ├─ public    203.0.113.20            a public peer
//    ├─ routerU   203.0.113.2  ── lan 192.168.1.0/24: hostU1 .10, hostU2 .11   NAT (port-preserving; UPnP later)
//    ├─ routerN   203.0.113.3  ── lan 192.168.2.0/24: hostN .10                plain NAT (port-preserving)
//    └─ routerS   203.0.113.4  ── lan 192.168.3.0/24: hostS .10                symmetric NAT (masquerade random)
//
// Known pitfalls (each handled below): ip_forward is 0 in every new namespace; bridge netfilter
// would push bridged LAN frames through the router's forward chain (bridge-nf-call-iptables is
// set to 0 where it exists); only the LAN subnet is masqueraded, not the router's own traffic.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SpawnedProcess } from '../support/processes.mjs';

const run = promisify(execFile);

/** Whether this machine can build the lab (with `upnp`: also run miniupnpd and upnpc), and if not, why (a test skips with this reason). */
export function labAvailability({ upnp = false } = {}) {
  if (process.platform !== 'linux') return { ok: false, reason: 'network namespaces are Linux only' };
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return { ok: false, reason: 'building network namespaces needs root' };
  const tools = { ip: 'iproute2', nft: 'nftables', ...(upnp ? { '/usr/sbin/miniupnpd': 'miniupnpd-nftables', upnpc: 'miniupnpc' } : {}) };
  for (const [tool, pkg] of Object.entries(tools)) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return { ok: false, reason: `the "${tool}" command is missing (Debian: ${pkg})` };
    }
  }
  const probe = `p2pprobe${process.pid}`;
  try {
    execFileSync('ip', ['netns', 'add', probe], { stdio: 'pipe' });
    execFileSync('ip', ['netns', 'del', probe], { stdio: 'pipe' });
  } catch (err) {
    return { ok: false, reason: `cannot create a network namespace here: ${String(err.stderr ?? err.message).trim()}` };
  }
  return { ok: true, reason: '' };
}

let labs = 0;

export class NetLab {
  constructor() {
    // Short, unique names: interface names are at most 15 bytes. Namespaces also carry the full pid, so
    // removeStaleLabs can tell a live lab (another test file's, in parallel) from one whose process died.
    this.tag = `${(process.pid % 10000).toString(36)}${(labs++).toString(36)}`;
    this.owner = `${process.pid}x${this.tag}`;
    this.namespaces = [];
    this.processes = new Set();
    this.tempDirs = [];
  }

  /** The namespace's real name for a lab name ("hostN" → "p2p-4242x1a2b-hostN"). */
  ns(name) {
    return `p2p-${this.owner}-${name}`;
  }

  async sh(ns, args) {
    const { stdout } = await run('ip', ['netns', 'exec', this.ns(ns), ...args], { maxBuffer: 1 << 20 });
    return stdout;
  }

  async addNamespace(name, { forward = false } = {}) {
    const ns = this.ns(name);
    await run('ip', ['netns', 'add', ns]);
    this.namespaces.push(ns);
    await this.sh(name, ['ip', 'link', 'set', 'lo', 'up']);
    await this.sysctl(name, 'net.ipv4.ip_forward', forward ? '1' : '0');
    // Present when the kernel has bridge netfilter: bridged frames must not go through nft.
    await this.sysctl(name, 'net.bridge.bridge-nf-call-iptables', '0', { optional: true });
  }

  async sysctl(name, key, value, { optional = false } = {}) {
    const file = `/proc/sys/${key.replaceAll('.', '/')}`;
    try {
      await this.sh(name, ['sh', '-c', `[ -e ${file} ] || exit 3; echo ${value} > ${file}`]);
    } catch (err) {
      if (!(optional && err.code === 3)) throw err;
    }
  }

  async addBridge(name, bridge, address) {
    await this.sh(name, ['ip', 'link', 'add', bridge, 'type', 'bridge']);
    if (address) await this.sh(name, ['ip', 'addr', 'add', address, 'dev', bridge]);
    await this.sh(name, ['ip', 'link', 'set', bridge, 'up']);
  }

  /**
   * A veth pair: `ifA` in namespace `a` (with `addrA`, CIDR, if given), the other end in
   * namespace `b`, either addressed (`addrB`) or enslaved to bridge `bridgeB`.
   */
  async link(a, ifA, addrA, b, ifB, { addrB, bridgeB } = {}) {
    const tmpA = `va${this.tag}${this.namespaces.length}${Math.floor(Math.random() * 1e4)}`.slice(0, 15);
    const tmpB = `vb${tmpA.slice(2)}`.slice(0, 15);
    await run('ip', ['link', 'add', tmpA, 'type', 'veth', 'peer', 'name', tmpB]);
    await run('ip', ['link', 'set', tmpA, 'netns', this.ns(a)]);
    await run('ip', ['link', 'set', tmpB, 'netns', this.ns(b)]);
    await this.sh(a, ['ip', 'link', 'set', tmpA, 'name', ifA]);
    await this.sh(b, ['ip', 'link', 'set', tmpB, 'name', ifB]);
    if (addrA) await this.sh(a, ['ip', 'addr', 'add', addrA, 'dev', ifA]);
    if (addrB) await this.sh(b, ['ip', 'addr', 'add', addrB, 'dev', ifB]);
    if (bridgeB) await this.sh(b, ['ip', 'link', 'set', ifB, 'master', bridgeB]);
    await this.sh(a, ['ip', 'link', 'set', ifA, 'up']);
    await this.sh(b, ['ip', 'link', 'set', ifB, 'up']);
  }

  /** Source NAT of `lanCidr` out of `wanIf`; `symmetric` picks a random port per mapping. */
  async masquerade(router, lanCidr, wanIf, { symmetric = false } = {}) {
    const rules = [
      'table ip nat {',
      '  chain postrouting {',
      '    type nat hook postrouting priority srcnat; policy accept;',
      `    ip saddr ${lanCidr} oifname "${wanIf}" masquerade${symmetric ? ' random' : ''}`,
      '  }',
      '}',
      // A home router forwards what its LAN starts and the answers; nothing unsolicited comes in.
      'table inet filter {',
      '  chain forward {',
      '    type filter hook forward priority filter; policy drop;',
      '    ct state established,related accept',
      `    iifname != "${wanIf}" accept`,
      '  }',
      ...wanInput(wanIf),
      '}',
    ].join('\n');
    await this.nft(router, rules.split('\n'));
  }

  /**
   * Rules for a router running miniupnpd (nftables build): everything in `table inet filter`,
   * with the chains miniupnpd fills (miniupnpd, prerouting_miniupnpd, postrouting_miniupnpd)
   * jumped to from the hooks. Debian's init script would make them, but it is broken.
   */
  async upnpRouterRules(router, lanCidr, wanIf) {
    await this.nft(router, [
      'table inet filter {',
      '  chain miniupnpd { }',
      '  chain prerouting_miniupnpd { }',
      '  chain postrouting_miniupnpd { }',
      '  chain forward {',
      '    type filter hook forward priority filter; policy drop;',
      '    ct state established,related accept',
      `    iifname != "${wanIf}" accept`,
      '    jump miniupnpd',
      '  }',
      ...wanInput(wanIf),
      '  chain prerouting {',
      '    type nat hook prerouting priority dstnat; policy accept;',
      '    jump prerouting_miniupnpd',
      '  }',
      '  chain postrouting {',
      '    type nat hook postrouting priority srcnat; policy accept;',
      '    jump postrouting_miniupnpd',
      `    ip saddr ${lanCidr} oifname "${wanIf}" masquerade`,
      '  }',
      '}',
    ]);
  }

  /** Loads nftables rules (lines) into the namespace. */
  async nft(router, lines) {
    const file = path.join(os.tmpdir(), `${this.ns(router)}-${Math.floor(Math.random() * 1e9)}.nft`);
    await writeFile(file, `${lines.join('\n')}\n`);
    try {
      await this.sh(router, ['nft', '-f', file]);
    } finally {
      await rm(file, { force: true });
    }
  }

  /**
   * miniupnpd (UPnP IGD and NAT-PMP) on `router`, for its LAN `lanIf` / `lanCidr`, checking its WAN
   * address against the STUN responder at `stun` (host:port) first. Its own pid, lease and
   * socket files, in the foreground (-d): there is no syslog here.
   */
  async startMiniupnpd(router, { wanIf, lanIf, lanCidr, stun, natPmpOnly = false }) {
    const dir = await mkdtemp(path.join(os.tmpdir(), `${this.ns(router)}-upnp-`));
    this.tempDirs.push(dir);
    const [stunHost, stunPort] = stun.split(':');
    const conf = [
      `ext_ifname=${wanIf}`,
      `listening_ip=${lanIf}`,
      'port=0',
      'enable_natpmp=yes',
      `enable_upnp=${natPmpOnly ? 'no' : 'yes'}`,
      'secure_mode=yes',
      'system_uptime=yes',
      'ipv6_disable=yes',
      `uuid=276a69cd-c860-4db0-acd${router === 'routerV' ? '3' : '2'}-${this.tag.padStart(12, '0').slice(-12)}`,
      `lease_file=${dir}/leases`,
      `minissdpdsocket=${dir}/minissdpd.sock`,
      'ext_perform_stun=yes',
      `ext_stun_host=${stunHost}`,
      `ext_stun_port=${stunPort}`,
      `allow 1024-65535 ${lanCidr} 1024-65535`,
      'deny 0-65535 0.0.0.0/0 0-65535',
    ];
    await writeFile(path.join(dir, 'miniupnpd.conf'), `${conf.join('\n')}\n`);
    const proc = this.spawn(router, '/usr/sbin/miniupnpd', ['-d', '-f', path.join(dir, 'miniupnpd.conf'), '-P', path.join(dir, 'miniupnpd.pid')]);
    // It forwards nothing until STUN has confirmed its WAN address; then (with UPnP) its HTTP server starts.
    await proc.waitFor(/Port forwarding is now enabled/, 10_000, 'output');
    if (!natPmpOnly) await proc.waitFor(/HTTP listening on port/, 10_000, 'output');
    return proc;
  }

  /** A process inside namespace `name` (stopped by teardown). */
  spawn(name, command, args = [], options = {}) {
    const proc = SpawnedProcess.spawn('ip', ['netns', 'exec', this.ns(name), command, ...args], { label: `${name}: ${command} ${args.join(' ')}`.slice(0, 200), ...options });
    this.processes.add(proc);
    return proc;
  }

  /** Node inside namespace `name`. */
  node(name, script, args = [], options = {}) {
    return this.spawn(name, process.execPath, [script, ...args], options);
  }

  async teardown() {
    await Promise.all([...this.processes].map((p) => p.stop('SIGKILL')));
    this.processes.clear();
    for (const ns of this.namespaces.splice(0).reverse()) {
      // Deleting a namespace deletes its veth ends, and with them their peers.
      await run('ip', ['netns', 'del', ns]).catch(() => undefined);
    }
    for (const dir of this.tempDirs.splice(0)) await rm(dir, { recursive: true, force: true });
  }
}

/** Addresses of buildNatLab's hosts. */
/**
 * Nothing unsolicited from the WAN is delivered to a router itself (OpenWrt's WAN zone: input
 * REJECT). Besides being what routers do, this matters to hole punching: a stray packet the router
 * accepted would leave a conntrack entry that collides with the LAN host's own outbound flow, and
 * the router would give that flow another port.
 */
function wanInput(wanIf) {
  return [
    '  chain input {',
    '    type filter hook input priority filter; policy accept;',
    `    iifname "${wanIf}" ct state established,related accept`,
    `    iifname "${wanIf}" drop`,
    '  }',
  ];
}

export const LAB = {
  tracker: '203.0.113.10',
  public: '203.0.113.20',
  routerU: '203.0.113.2',
  routerN: '203.0.113.3',
  routerS: '203.0.113.4',
  routerV: '203.0.113.5',
  routerM: '203.0.113.6',
  routerT: '203.0.113.7',
  hostU1: '192.168.1.10',
  hostU2: '192.168.1.11',
  hostN: '192.168.2.10',
  hostS: '192.168.3.10',
  hostV: '192.168.4.10',
  hostM: '192.168.5.10',
  hostT: '192.168.6.10',
};

/** STUN responder on the tracker host (miniupnpd asks it for its WAN address). */
export const STUN_PORT = 3478;
const STUN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'stun-responder.mjs');

/**
 * Builds the topology drawn at the top of this file. Call teardown() when done (also on
 * failure). `upnp`: routerU runs miniupnpd (UPnP IGD and NAT-PMP), hostU1/hostU2 may map ports;
 * with `natPmpOnly` its miniupnpd speaks NAT-PMP only.
 */
export async function buildNatLab({ upnp = false, natPmpOnly = false, matrix = false } = {}) {
  const lab = new NetLab();
  try {
    await lab.addNamespace('wan');
    await lab.addBridge('wan', 'br0');
    for (const [name, addr] of [['tracker', LAB.tracker], ['public', LAB.public]]) {
      await lab.addNamespace(name);
      await lab.link(name, 'eth0', `${addr}/24`, 'wan', `${name}`.slice(0, 15), { bridgeB: 'br0' });
    }
    const routers = [
      { name: 'routerU', wan: LAB.routerU, subnet: 1, hosts: [['hostU1', LAB.hostU1], ['hostU2', LAB.hostU2]], symmetric: false },
      { name: 'routerN', wan: LAB.routerN, subnet: 2, hosts: [['hostN', LAB.hostN]], symmetric: false },
      { name: 'routerS', wan: LAB.routerS, subnet: 3, hosts: [['hostS', LAB.hostS]], symmetric: true },
    ];
    // A second UPnP router, so that two mapping routers can face each other (only with `upnp`).
    if (upnp) routers.push({ name: 'routerV', wan: LAB.routerV, subnet: 4, hosts: [['hostV', LAB.hostV]], symmetric: false });
    // A second plain and a second symmetric NAT, so that each kind can face its own kind (the matrix test).
    if (matrix) {
      routers.push({ name: 'routerM', wan: LAB.routerM, subnet: 5, hosts: [['hostM', LAB.hostM]], symmetric: false });
      routers.push({ name: 'routerT', wan: LAB.routerT, subnet: 6, hosts: [['hostT', LAB.hostT]], symmetric: true });
    }
    for (const r of routers) {
      await lab.addNamespace(r.name, { forward: true });
      await lab.link(r.name, 'wan0', `${r.wan}/24`, 'wan', r.name, { bridgeB: 'br0' });
      await lab.addBridge(r.name, 'lan0', `192.168.${r.subnet}.1/24`);
      for (const [host, addr] of r.hosts) {
        await lab.addNamespace(host);
        await lab.link(host, 'eth0', `${addr}/24`, r.name, host, { bridgeB: 'lan0' });
        await lab.sh(host, ['ip', 'route', 'add', 'default', 'via', `192.168.${r.subnet}.1`]);
      }
      if (upnp && (r.name === 'routerU' || r.name === 'routerV')) await lab.upnpRouterRules(r.name, `192.168.${r.subnet}.0/24`, 'wan0');
      else await lab.masquerade(r.name, `192.168.${r.subnet}.0/24`, 'wan0', { symmetric: r.symmetric });
    }
    if (upnp) {
      await lab.node('tracker', STUN, [LAB.tracker, String(STUN_PORT)]).waitFor(/^ready$/m, 10_000, 'stdout');
      lab.miniupnpd = await lab.startMiniupnpd('routerU', { wanIf: 'wan0', lanIf: 'lan0', lanCidr: '192.168.1.0/24', stun: `${LAB.tracker}:${STUN_PORT}`, natPmpOnly });
      lab.miniupnpdV = await lab.startMiniupnpd('routerV', { wanIf: 'wan0', lanIf: 'lan0', lanCidr: '192.168.4.0/24', stun: `${LAB.tracker}:${STUN_PORT}`, natPmpOnly });
    }
    return lab;
  } catch (err) {
    await lab.teardown();
    throw err;
  }
}

/** Namespaces left by a lab whose test process died (named p2p-PIDxTAG-…): removed by the tests' setup. Live labs are left alone. */
export async function removeStaleLabs() {
  const { stdout } = await run('ip', ['netns', 'list']);
  for (const line of stdout.split('\n')) {
    const m = /^p2p-(\d+)x[0-9a-z]+-[A-Za-z0-9]+/.exec(line.split(' ')[0] ?? '');
    if (!m || processAlive(Number(m[1]))) continue;
    await run('ip', ['netns', 'del', m[0]]).catch(() => undefined);
  }
}

function processAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

export const labExists = (ns) => existsSync(`/run/netns/${ns}`);
