import type { RequestArgs, RequestChannel, RequestResult } from '../../../shared/ipc/contract.js';
import type { MemberInvite } from '../../../shared/ipc/invite.js';
import type { Engine } from '../../engine/api.js';
import type { DesktopIntegration } from '../desktop-integration.js';
import type { HostEvents } from '../host-events.js';
import type { NetworkKeyPolicy } from '../network-key-policy.js';
import type { SettingsStore } from '../settings-store.js';
import type { StatusPublisher } from '../status-publisher.js';
import type { TrackerHosting } from '../tracker-hosting.js';

export type Handler<C extends RequestChannel> = (args: RequestArgs<C>) => Promise<RequestResult<C>>;
/** One handler per request channel of the contract: the compiler reports a missing or unknown one. */
export type Handlers = { [C in RequestChannel]: Handler<C> };
/** The handlers of one domain, keyed by their contract channels. */
export type HandlerGroup<C extends RequestChannel> = Pick<Handlers, C>;

/** What the request handlers work with: the host's parts, never the host itself. */
export interface HostContext {
  /** The running engine; a network restart replaces it, so read it at each use. */
  readonly engine: Engine;
  readonly store: SettingsStore;
  readonly integration: DesktopIntegration;
  readonly events: HostEvents;
  readonly tracker: TrackerHosting;
  readonly key: NetworkKeyPolicy;
  readonly status: StatusPublisher;
  /** Rebuilds every connection after the key, open mode or DHT changed. */
  restartNetwork(): Promise<void>;
  /** Tells the engine the trackers to use: the configured ones plus the hosted one. */
  applyTrackers(): void;
  /**
   * Redeems a member invite (docs/PROTOCOL.md §22.2) and keeps what it gives (identity,
   * certificate, owner key, network key) for this and every later start; the tracker that answered.
   */
  joinAsMember(invite: MemberInvite): Promise<string>;
}
