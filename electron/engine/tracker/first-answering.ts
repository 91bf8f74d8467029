import { trackerReply } from '../../../shared/protocol/messages.js';
import type { PeerIdentity } from '../security/peer-identity.js';
import { clientHandshake } from '../wire/handshake.js';
import type { Transport } from '../wire/transport.js';
import { parseHostPort } from '../wire/transport.js';

/** A new attempt starts this long after the previous one (RFC 8305 suggests 250 ms). */
const STAGGER_MS = 250;

export interface FirstAnsweringOptions {
  transport: Transport;
  peerId: string;
  identity: PeerIdentity | undefined;
  timeoutMs: number;
  staggerMs?: number;
}

/**
 * Happy Eyeballs for one tracker known at several addresses (an invite's LAN, IPv6 and public
 * ones): tries them in order, each started STAGGER_MS after the previous without waiting for it,
 * and returns the first whose handshake completes (TLS with our key, the tracker's proven
 * welcome); the rest are abandoned. Undefined when none answers within `timeoutMs`.
 */
export async function firstAnsweringTracker(addresses: readonly string[], o: FirstAnsweringOptions): Promise<string | undefined> {
  const abandon = new AbortController();
  const stagger = o.staggerMs ?? STAGGER_MS;
  const attempt = async (address: string, index: number): Promise<string> => {
    if (index > 0) await new Promise((resolve) => setTimeout(resolve, index * stagger).unref());
    if (abandon.signal.aborted) throw new Error('another address answered first');
    const { host, port } = parseHostPort(address);
    const opened = await o.transport.connect(host, port, o.timeoutMs, abandon.signal);
    const { conn } = await clientHandshake(opened, { peerId: o.peerId, listenPort: 0, agent: 'p2pclient' }, trackerReply, { idleTimeoutMs: 0, callTimeoutMs: o.timeoutMs }, o.identity);
    conn.send({ type: 'bye' });
    conn.close();
    return address;
  };
  try {
    return await Promise.any(addresses.map((address, i) => attempt(address, i)));
  } catch {
    return undefined;
  } finally {
    abandon.abort();
  }
}
