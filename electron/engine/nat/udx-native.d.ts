// udx-native (1.21.x) ships no types: this declares only the part hole-punch.ts uses.
declare module 'udx-native' {
  import { EventEmitter } from 'node:events';

  export interface UdxAddress {
    host: string;
    family: number;
    port: number;
  }

  export class UDXSocket extends EventEmitter {
    bind(port?: number, host?: string): void;
    address(): UdxAddress;
    close(): Promise<void>;
    trySend(buffer: Buffer, port: number, host?: string, ttl?: number): void;
    on(event: 'message', listener: (msg: Buffer, from: UdxAddress) => void): this;
    on(event: 'close' | 'listening' | 'idle' | 'busy', listener: () => void): this;
  }

  /** A streamx Duplex, not a Node stream: hole-punch.ts adapts it before TLS sees it. */
  export class UDXStream extends EventEmitter {
    readonly connected: boolean;
    readonly destroyed: boolean;
    readonly rtt: number;
    connect(socket: UDXSocket, remoteId: number, port: number, host?: string): void;
    write(data: Buffer): boolean;
    end(): void;
    destroy(err?: Error): void;
    pause(): void;
    resume(): void;
  }

  export default class UDX {
    createSocket(options?: { ipv6Only?: boolean }): UDXSocket;
    createStream(id: number, options?: { firewall?: (socket: UDXSocket, port: number, host: string) => boolean }): UDXStream;
  }
}
