import type { SpawnedProcess } from '../support/processes.mjs';

export function labAvailability(options?: { upnp?: boolean }): { ok: boolean; reason: string };
export class NetLab {
  readonly tag: string;
  readonly owner: string;
  readonly namespaces: string[];
  ns(name: string): string;
  sh(ns: string, args: string[]): Promise<string>;
  addNamespace(name: string, options?: { forward?: boolean }): Promise<void>;
  sysctl(name: string, key: string, value: string, options?: { optional?: boolean }): Promise<void>;
  addBridge(name: string, bridge: string, address?: string): Promise<void>;
  link(a: string, ifA: string, addrA: string | undefined, b: string, ifB: string, options?: { addrB?: string; bridgeB?: string }): Promise<void>;
  masquerade(router: string, lanCidr: string, wanIf: string, options?: { symmetric?: boolean }): Promise<void>;
  upnpRouterRules(router: string, lanCidr: string, wanIf: string): Promise<void>;
  nft(router: string, lines: string[]): Promise<void>;
  startMiniupnpd(router: string, options: { wanIf: string; lanIf: string; lanCidr: string; stun: string; natPmpOnly?: boolean }): Promise<SpawnedProcess>;
  spawn(name: string, command: string, args?: string[], options?: { env?: Record<string, string | undefined>; label?: string }): SpawnedProcess;
  node(name: string, script: string, args?: string[], options?: { env?: Record<string, string | undefined>; label?: string }): SpawnedProcess;
  teardown(): Promise<void>;
}
export const LAB: {
  tracker: string;
  public: string;
  routerU: string;
  routerN: string;
  routerS: string;
  routerV: string;
  routerM: string;
  routerT: string;
  hostU1: string;
  hostU2: string;
  hostN: string;
  hostS: string;
  hostV: string;
  hostM: string;
  hostT: string;
};
export const STUN_PORT: number;
export function buildNatLab(options?: { upnp?: boolean; natPmpOnly?: boolean; matrix?: boolean }): Promise<NetLab & { miniupnpd?: SpawnedProcess; miniupnpdV?: SpawnedProcess }>;
export function removeStaleLabs(): Promise<void>;
export function labExists(ns: string): boolean;
