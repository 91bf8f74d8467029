import type { NetworkKey } from '../security/network-key.js';
import { throttledRefusals } from './refusal-log.js';
import { tlsTransport } from './tls-transport.js';
import { tcpTransport, type Transport } from './transport.js';

/**
 * The transport a network key implies, the same for the engine, the hosted
 * tracker and p2ptracker: TLS 1.3 with a PSK derived from the key, refusals
 * logged at most once per address per minute; no key means open mode, plain TCP.
 */
export function networkTransport(key: NetworkKey | undefined, log: (line: string) => void, invitePsk?: (id: string) => Buffer | undefined): Transport {
  return key ? tlsTransport(key, { onHandshakeFailure: throttledRefusals(log), invitePsk }) : tcpTransport;
}
