import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import { EngineError } from '../errors.js';

/**
 * A UPnP Internet Gateway Device client: find the router on the LAN (SSDP), read its WANIPConnection
 * (or WANPPPConnection) control URL, and add, delete and query port mappings over SOAP.
 *
 * Everything a router answers is untrusted: answers are size-capped, and the description and
 * control URLs must point at the address the SSDP answer came from, over plain http, on a
 * private or link-local address, so a spoofed answer can't send us to any other host.
 * (@achingbrain/nat-port-mapper was tried first: it sends its TTL in the wrong unit, refreshes
 * in a storm, unmaps TCP after a UDP map, and throws on stop.)
 */

const SSDP_ADDRESS = '239.255.255.250';
const SSDP_PORT = 1900;
const SEARCH_TARGETS = ['urn:schemas-upnp-org:device:InternetGatewayDevice:1', 'urn:schemas-upnp-org:device:InternetGatewayDevice:2'];
const SERVICE_TYPES = ['urn:schemas-upnp-org:service:WANIPConnection:2', 'urn:schemas-upnp-org:service:WANIPConnection:1', 'urn:schemas-upnp-org:service:WANPPPConnection:1'];
const MAX_SSDP_BYTES = 2048;
const MAX_DESCRIPTION_BYTES = 64 * 1024;
const MAX_SOAP_BYTES = 16 * 1024;
/** A whole HTTP exchange (not just an idle gap) ends after this long. */
const HTTP_TIMEOUT_MS = 3000;
/** Device descriptions read per search: every answer names one, and a LAN host may send many. */
const MAX_DESCRIPTIONS = 3;

export class UpnpError extends EngineError {
  constructor(
    message: string,
    /** The router's UPnP error code (e.g. 718: the external port is taken), when it sent one. */
    readonly upnpCode?: number,
  ) {
    super('unavailable', message);
  }
}

export interface UpnpGatewayInfo {
  /** The router's address (where it answered from). */
  host: string;
  controlUrl: string;
  serviceType: string;
  /** Our address on the router's LAN, as a mapping's internal client. */
  localAddress: string;
}

export interface UpnpDiscoveryOptions {
  timeoutMs?: number;
  /** Ends the search at once (undefined comes back). */
  signal?: AbortSignal;
  /** Called with the reason for every answer ignored (hostile, malformed or unusable). */
  onIgnored?: (reason: string) => void;
}

/** Finds the first usable gateway within `timeoutMs`; undefined when none answers (normal: many routers have UPnP off). */
export async function discoverUpnpGateway(options: UpnpDiscoveryOptions = {}): Promise<UpnpGatewayInfo | undefined> {
  const timeoutMs = options.timeoutMs ?? 2500;
  const ignore = options.onIgnored ?? (() => undefined);
  const socket = dgram.createSocket('udp4');
  const tried = new Set<string>();
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, () => resolve());
    });
    const found = new Promise<UpnpGatewayInfo | undefined>((resolve) => {
      const onAbort = () => {
        clearTimeout(timer);
        resolve(undefined);
      };
      const timer = setTimeout(() => {
        options.signal?.removeEventListener('abort', onAbort);
        resolve(undefined);
      }, timeoutMs);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      socket.on('message', (msg, rinfo) => {
        if (msg.length > MAX_SSDP_BYTES) return ignore(`SSDP answer from ${rinfo.address} is too large (${msg.length} bytes)`);
        const location = ssdpLocation(msg.toString('latin1'));
        if (!location) return ignore(`SSDP answer from ${rinfo.address} has no LOCATION`);
        const url = checkedUrl(location, rinfo.address);
        if (typeof url === 'string') return ignore(`SSDP answer from ${rinfo.address}: ${url}`);
        if (tried.has(url.href)) return;
        if (tried.size >= MAX_DESCRIPTIONS) return ignore(`SSDP answer from ${rinfo.address}: already read ${MAX_DESCRIPTIONS} descriptions`);
        tried.add(url.href);
        readDescription(url, rinfo.address, options.signal).then(
          (info) => {
            clearTimeout(timer);
            options.signal?.removeEventListener('abort', onAbort);
            resolve(info);
          },
          (err: Error) => ignore(`gateway ${rinfo.address}: ${err.message}`),
        );
      });
    });
    for (const st of SEARCH_TARGETS) {
      const search = Buffer.from(`M-SEARCH * HTTP/1.1\r\nHOST: ${SSDP_ADDRESS}:${SSDP_PORT}\r\nMAN: "ssdp:discover"\r\nMX: 2\r\nST: ${st}\r\n\r\n`);
      socket.send(search, SSDP_PORT, SSDP_ADDRESS);
    }
    return await found;
  } catch {
    return undefined; // no multicast here (no route): no gateway to find
  } finally {
    socket.close();
  }
}

function ssdpLocation(text: string): string | undefined {
  if (!/^HTTP\/1\.[01] 200/.test(text)) return undefined;
  const m = /^location:[ \t]*(\S+)[ \t]*$/im.exec(text);
  return m?.[1];
}

/** `href` parsed, when it is http:// at `host` (the address that answered) and `host` is private or link-local; else the reason. */
export function checkedUrl(href: string, host: string): URL | string {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return `bad URL ${JSON.stringify(href.slice(0, 100))}`;
  }
  if (url.protocol !== 'http:') return `URL ${url.protocol} is not http:`;
  if (url.hostname !== host) return `URL points at ${url.hostname}, not at the answering ${host}`;
  if (!isLanAddress(host)) return `${host} is not a LAN address`;
  return url;
}

/** An address on this machine or its LAN (loopback, private, link-local, IPv6 ULA): a tracker there sees our LAN address, not the router's. */
export function isLocalOrLanAddress(host: string): boolean {
  if (host === 'localhost') return true;
  if (net.isIPv6(host)) return host === '::1' || /^(f[cd]|fe[89ab])/i.test(host);
  return net.isIPv4(host) && (host.startsWith('127.') || isLanAddress(host));
}

/** Private (RFC 1918), link-local or CGNAT IPv4: where a home router's LAN side lives. */
export function isLanAddress(host: string): boolean {
  if (!net.isIPv4(host)) return false;
  const [a, b] = host.split('.').map(Number) as [number, number];
  return a === 10 || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b < 128);
}

/** The `<service>…</service>` blocks of a description, found by scanning (a regex over them would be quadratic on hostile input). */
function serviceBlocks(body: string): string[] {
  const blocks: string[] = [];
  for (let from = 0; ; ) {
    const start = body.indexOf('<service>', from);
    if (start < 0) return blocks;
    const end = body.indexOf('</service>', start);
    if (end < 0) return blocks;
    blocks.push(body.slice(start, end));
    from = end + 10;
  }
}

async function readDescription(url: URL, host: string, signal?: AbortSignal): Promise<UpnpGatewayInfo> {
  const { body, localAddress } = await httpRequest(url, { method: 'GET' }, undefined, MAX_DESCRIPTION_BYTES, signal);
  const blocks = serviceBlocks(body).map((block) => ({ block, type: /<serviceType>\s*([^<\s]{1,128})\s*<\/serviceType>/.exec(block)?.[1] }));
  for (const serviceType of SERVICE_TYPES) {
    const service = blocks.find((b) => b.type === serviceType);
    if (!service) continue;
    const control = /<controlURL>\s*([^<\s]{1,512})\s*<\/controlURL>/.exec(service.block);
    if (!control) continue;
    const controlUrl = checkedUrl(new URL(decodeXml(control[1]!), url).href, host);
    if (typeof controlUrl === 'string') throw new UpnpError(`control URL refused: ${controlUrl}`);
    return { host, controlUrl: controlUrl.href, serviceType, localAddress };
  }
  throw new UpnpError('its description has no WANIPConnection or WANPPPConnection service');
}

/** One SOAP action; returns the response's elements by name. Throws UpnpError with the router's code on a fault. */
export async function soapAction(gateway: UpnpGatewayInfo, action: string, args: Record<string, string | number>, signal?: AbortSignal): Promise<Record<string, string>> {
  const params = Object.entries(args)
    .map(([k, v]) => `<${k}>${encodeXml(String(v))}</${k}>`)
    .join('');
  const envelope = `<?xml version="1.0"?>\r\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><u:${action} xmlns:u="${gateway.serviceType}">${params}</u:${action}></s:Body></s:Envelope>`;
  const { status, body } = await httpRequest(
    new URL(gateway.controlUrl),
    { method: 'POST', headers: { 'Content-Type': 'text/xml; charset="utf-8"', SOAPAction: `"${gateway.serviceType}#${action}"` } },
    envelope,
    MAX_SOAP_BYTES,
    signal,
  );
  if (status !== 200) {
    const code = /<errorCode>\s*(\d+)\s*<\/errorCode>/.exec(body);
    const description = /<errorDescription>\s*([^<]{0,200})<\/errorDescription>/.exec(body);
    throw new UpnpError(`${action} failed: HTTP ${status}${code ? `, UPnP error ${code[1]}` : ''}${description ? ` (${decodeXml(description[1]!.trim())})` : ''}`, code ? Number(code[1]) : undefined);
  }
  const out: Record<string, string> = {};
  for (const m of body.matchAll(/<(New[A-Za-z]+)>([^<]{0,256})<\/\1>/g)) out[m[1]!] = decodeXml(m[2]!);
  return out;
}

function httpRequest(url: URL, options: http.RequestOptions, body: string | undefined, maxBytes: number, signal?: AbortSignal): Promise<{ status: number; body: string; localAddress: string }> {
  return new Promise((resolve, reject) => {
    let localAddress = '';
    // `signal` aborts the request; the deadline bounds the whole exchange, however slowly a device trickles bytes.
    const req = http.request(url, { ...options, timeout: HTTP_TIMEOUT_MS, agent: false, ...(signal ? { signal } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          req.destroy(new UpnpError(`answer larger than ${maxBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), localAddress }));
      res.on('error', reject);
    });
    const deadline = setTimeout(() => req.destroy(new UpnpError(`${url.host} did not finish answering within ${HTTP_TIMEOUT_MS} ms`)), HTTP_TIMEOUT_MS);
    deadline.unref();
    req.on('close', () => clearTimeout(deadline));
    req.on('socket', (socket) => socket.once('connect', () => (localAddress = socket.localAddress ?? '')));
    req.on('timeout', () => req.destroy(new UpnpError(`no answer from ${url.host} within ${HTTP_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

function encodeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function decodeXml(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos|#\d+);/g, (_m, e: string) => {
    if (e.startsWith('#')) return String.fromCharCode(Number(e.slice(1)));
    return { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }[e] ?? '';
  });
}
