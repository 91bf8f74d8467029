// bittorrent-dht (11.x) ships no types: this declares only the part dht-discovery.ts uses.
declare module 'bittorrent-dht' {
  import { EventEmitter } from 'node:events';
  import type { AddressInfo } from 'node:net';

  export interface DhtPeer {
    host: string;
    port: number;
  }

  export interface DhtOptions {
    /** 'host:port' strings or {host, port}; false = no bootstrap (first node of a private network). */
    bootstrap?: Array<string | DhtPeer> | false;
    /** When set, our own announces are also stored in our table under this host. */
    host?: string | false;
    concurrency?: number;
    /** Milliseconds without routing-table change before the nodes are pinged again. */
    timeBucketOutdated?: number;
    /** Peers stored for others: at most this many, each for at most maxAge ms (0 = forever). */
    maxPeers?: number;
    maxAge?: number;
    /** Per-query UDP timeout, passed down to k-rpc-socket. */
    timeout?: number;
  }

  export interface DhtEvents {
    ready: [];
    listening: [];
    close: [];
    peer: [peer: DhtPeer, infoHash: Buffer, from: { address?: string; host?: string; port: number } | null];
    node: [node: { id: Buffer; host: string; port: number }];
    warning: [err: Error & { code?: string; syscall?: string }];
    error: [err: Error & { code?: string; syscall?: string }];
  }

  export default class DHT extends EventEmitter<DhtEvents> {
    constructor(opts?: DhtOptions);
    readonly nodeId: Buffer;
    readonly nodes: { count(): number };
    ready?: boolean;
    listening: boolean;
    destroyed: boolean;
    listen(port: number, host: string, onListening?: () => void): void;
    listen(port: number, onListening?: () => void): void;
    address(): AddressInfo;
    announce(infoHash: Buffer | string, port: number, cb?: (err: Error | null) => void): void;
    /** Peers arrive as 'peer' events; cb runs when the walk is over. Returns an abort function. */
    lookup(infoHash: Buffer | string, cb?: (err: Error | null, visited?: number) => void): () => void;
    toJSON(): { nodes: DhtPeer[] };
    destroy(cb?: () => void): void;
  }
}
