import { IP_BYTES } from '../../../shared/protocol/datagram.js';

/**
 * IP addresses as the control plane carries them: 16 bytes, IPv4 as IPv4-mapped IPv6
 * (::ffff:a.b.c.d), so one field and one cookie input serve both families. Text forms are
 * what node:dgram reports (`rinfo.address`) and what PeerAddress.host holds.
 */

const IPV4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** Writes `host` (an IPv4 or IPv6 literal, zone id ignored) as 16 bytes at `at`; false when it is not one. */
export function writeIp(host: string, out: Buffer, at: number): boolean {
  const v4 = parseIpv4(host);
  if (v4 !== undefined) {
    for (let i = 0; i < 12; i++) out[at + i] = IPV4_MAPPED_PREFIX[i]!;
    out.writeUInt32BE(v4, at + 12);
    return true;
  }
  const groups = parseIpv6(host);
  if (!groups) return false;
  for (let i = 0; i < 8; i++) out.writeUInt16BE(groups[i]!, at + i * 2);
  return true;
}

/** The 16-byte form of `host`, or undefined when it is not an IP literal. */
export function ipBytes(host: string): Buffer | undefined {
  const out = Buffer.alloc(IP_BYTES);
  return writeIp(host, out, 0) ? out : undefined;
}

/** Text form of the 16 bytes at `at`: dotted quad for IPv4-mapped, else RFC 5952 IPv6. */
export function readIp(buf: Buffer, at: number): string {
  if (isIpv4Mapped(buf, at)) return `${buf[at + 12]}.${buf[at + 13]}.${buf[at + 14]}.${buf[at + 15]}`;
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(buf.readUInt16BE(at + i * 2));
  // RFC 5952: the longest run (≥ 2) of zero groups, the first if tied, becomes "::".
  let bestAt = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestAt = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestAt < 0) return hex.join(':');
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLength).join(':')}`;
}

export function isIpv4Mapped(buf: Buffer, at: number): boolean {
  for (let i = 0; i < 12; i++) if (buf[at + i] !== IPV4_MAPPED_PREFIX[i]) return false;
  return true;
}

/** True for ::, the unspecified address (never a valid peer address). */
export function isUnspecifiedIp(buf: Buffer, at: number): boolean {
  for (let i = 0; i < IP_BYTES; i++) if (buf[at + i] !== 0) return false;
  return true;
}

/**
 * The key a per-source rate limit counts under: the IPv4 address, or the IPv6 /64 (one host
 * commonly holds a whole /64, so counting single IPv6 addresses would not limit anything).
 */
export function sourceKey(host: string): string {
  // Every datagram passes here: a plain IPv4 source (as the socket reports it) is its own key, no parsing.
  if (!host.includes(':')) return host;
  const v4 = parseIpv4(host);
  if (v4 !== undefined) return `${v4 >>> 24}.${(v4 >>> 16) & 0xff}.${(v4 >>> 8) & 0xff}.${v4 & 0xff}`;
  const groups = parseIpv6(host);
  if (!groups) return host;
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}

/** A dotted quad (also inside ::ffff:), as an unsigned 32-bit number. */
function parseIpv4(host: string): number | undefined {
  return parseDottedQuad(host, host.startsWith('::ffff:') ? 7 : 0);
}

/**
 * `text` from `from` on as an unsigned 32-bit number when it is a canonical dotted quad (four
 * decimal octets ≤ 255, no leading zeros, so it prints back the same); else undefined.
 * Character by character: the tracker parses an address per datagram and per peer it lists.
 */
export function parseDottedQuad(text: string, from = 0): number | undefined {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || ++dots > 3) return undefined;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      continue;
    }
    if (c < 0x30 || c > 0x39 || (digits > 0 && octet === 0)) return undefined;
    octet = octet * 10 + (c - 0x30);
    if (++digits > 3 || octet > 255) return undefined;
  }
  return dots === 3 && digits > 0 ? value * 256 + octet : undefined;
}

function parseIpv6(host: string): number[] | undefined {
  const zone = host.indexOf('%');
  const text = zone >= 0 ? host.slice(0, zone) : host;
  if (text.length < 2 || text.length > 45) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = groupsOf(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? groupsOf(halves[1]!, true) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  return [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
}

/** Colon-separated groups; the last may be a dotted quad (two groups) when `last` is true. */
function groupsOf(text: string, last: boolean): number[] | undefined {
  if (text === '') return [];
  const parts = text.split(':');
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (last && i === parts.length - 1 && part.includes('.')) {
      const v4 = parseIpv4(part);
      if (v4 === undefined) return undefined;
      groups.push(v4 >>> 16, v4 & 0xffff);
    } else if (HEX_GROUP.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  return groups;
}
