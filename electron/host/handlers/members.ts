import os from 'node:os';
import QRCode from 'qrcode';
import type { MembersView } from '../../../shared/ipc/contract.js';
import { MAX_INVITE_ADDRESSES, memberInviteLink } from '../../../shared/ipc/invite.js';
import { EngineError } from '../../engine/api.js';
import { NO_REACHABLE_ADDRESS } from '../machine-addresses.js';
import type { HandlerGroup, HostContext } from './host-context.js';

/** The members of the network the hosted tracker manages: listing, inviting, revoking (docs/PROTOCOL.md §22). */
export function memberHandlers(ctx: HostContext): HandlerGroup<'members:list' | 'members:invite' | 'members:revoke'> {
  const registry = () => {
    const membership = ctx.tracker.membership;
    if (!membership || !ctx.tracker.running) throw new EngineError('invalid_state', 'Members are managed by the tracker this app hosts: turn on Host tracker first.');
    if (!ctx.key.current) throw new EngineError('invalid_state', 'Open mode has no key, so it has no members: turn open mode off to manage who may join.');
    return membership;
  };
  const view = (): MembersView => {
    const membership = ctx.tracker.membership;
    if (!membership || !ctx.tracker.running) return { hosting: false, managed: false, members: [] };
    return {
      hosting: true,
      managed: membership.managed,
      members: membership.listing().map((m) => ({ ...m, online: ctx.tracker.isOnline(m.id), self: m.id === ctx.engine.peerId })),
    };
  };
  return {
    'members:list': async () => view(),
    'members:invite': async ({ expiresHours, uses }) => {
      const membership = registry();
      const trackers = ctx.tracker.info(ctx.store.settings.hostTrackerPort).addresses.slice(0, MAX_INVITE_ADDRESSES);
      if (trackers.length === 0) throw new EngineError('unavailable', NO_REACHABLE_ADDRESS);
      const invite = await membership.createInvite({ expiresMs: expiresHours * 3_600_000, uses });
      const link = memberInviteLink({ trackers, id: invite.id, secret: invite.secret, owner: membership.fingerprint });
      return { link, qrSvg: await QRCode.toString(link, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }), expiresAt: invite.expiresAt, uses };
    },
    'members:revoke': async ({ id }) => {
      await registry().revoke(id, `the owner (${os.hostname()})`);
      return view();
    },
  };
}
