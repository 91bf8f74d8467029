import QRCode from 'qrcode';
import type { InviteInfo } from '../../../shared/ipc/contract.js';
import { inviteLink, MAX_INVITE_ADDRESSES, parseInvite, parseMemberInvite, type MemberInvite } from '../../../shared/ipc/invite.js';
import { EngineError, formatNetworkKey, parseHostPort, parseNetworkKey } from '../../engine/api.js';
import { isLoopback, NO_REACHABLE_ADDRESS } from '../machine-addresses.js';
import { forField } from './for-field.js';
import type { HandlerGroup, HostContext } from './host-context.js';

/** How long joining waits for the tracker's first answer, to report a wrong key instead of "joined". */
const JOIN_CHECK_MS = 5000;

/** The network: what the others share, and inviting or joining by key. */
export function networkHandlers(ctx: HostContext): HandlerGroup<'network:list' | 'network:invite' | 'network:join'> {
  return {
    'network:list': async (q) => {
      await ctx.engine.checkFinishedDownloads();
      const page = await ctx.engine.list(q);
      return {
        total: page.total,
        offset: q.offset,
        items: page.items.map((i) => ({ ...i, local: ctx.engine.hasContent(i.hash) })),
        ...(page.stale ? { stale: page.stale } : {}),
      };
    },
    'network:invite': async () => invite(ctx),
    'network:join': async ({ invite }) => {
      const member = parseMemberInvite(invite);
      if (!('error' in member)) return joinAsMember(ctx, member);
      const parsed = parseInvite(invite);
      if ('error' in parsed) throw new EngineError('invalid_argument', parsed.error, { field: 'invite' });
      await ctx.key.adopt(await forField('invite', async () => parseNetworkKey(parsed.key)));
      const { store } = ctx;
      const several = parsed.trackers.length > 1;
      // One tracker at several addresses: none is configured until one of them has answered.
      store.state.settings = { ...store.settings, trackers: several ? [] : [parsed.tracker], openMode: false };
      await store.save();
      await ctx.restartNetwork();
      let tracker = parsed.tracker;
      if (several) {
        // Happy Eyeballs over the invite's addresses, with the new key; none answering keeps the first (and says why below).
        tracker = (await ctx.engine.firstAnsweringTracker(parsed.trackers, JOIN_CHECK_MS)) ?? parsed.tracker;
        store.state.settings = { ...store.settings, trackers: [tracker] };
        await store.save();
        ctx.applyTrackers();
      }
      ctx.events.emit('settings:changed', store.settings);
      // The first answer of the tracker decides what to say: a wrong key is a failure, not "joined".
      const outcome = await ctx.engine.waitForTracker(JOIN_CHECK_MS, [tracker]).then(() => undefined, (err: unknown) => err);
      if (outcome instanceof EngineError && outcome.code === 'wrong_key') throw new EngineError('wrong_key', outcome.message, { cause: outcome, field: 'invite' });
      ctx.events.notice('info', `Joined the network of ${tracker}.`);
      return store.settings;
    },
  };
}

/** A member invite: redeemed at its tracker, then that tracker is the one to use; a refusal goes under the field. */
async function joinAsMember(ctx: HostContext, invite: MemberInvite) {
  const tracker = await forField('invite', () => ctx.joinAsMember(invite));
  const { store } = ctx;
  store.state.settings = { ...store.settings, trackers: [tracker], openMode: false };
  await store.save();
  await ctx.restartNetwork();
  ctx.events.emit('settings:changed', store.settings);
  ctx.events.notice('info', `Joined the network of ${tracker} as a member.`);
  return store.settings;
}

/**
 * An invite names the hosted tracker at an address others can reach, else the
 * first configured one; it is refused when it could only work on this machine.
 */
async function invite(ctx: HostContext): Promise<InviteInfo> {
  const key = ctx.key.current;
  if (!key) throw new EngineError('invalid_state', 'Open mode has no key: anyone can join with the tracker address alone. Turn open mode off to create a private network.');
  // Hosting: every address others may reach the tracker at (LAN, IPv6, the router's public one); the joiner races them.
  const hosted = ctx.tracker.running ? ctx.tracker.info(ctx.store.settings.hostTrackerPort).addresses.slice(0, MAX_INVITE_ADDRESSES) : [];
  if (ctx.tracker.running && hosted.length === 0) throw new EngineError('unavailable', NO_REACHABLE_ADDRESS);
  const tracker = ctx.tracker.running ? hosted[0] : ctx.store.settings.trackers[0];
  if (!tracker) throw new EngineError('invalid_state', 'Host a tracker or set one in Settings first: an invite names the tracker to join.');
  if (isLoopback(parseHostPort(tracker).host)) {
    throw new EngineError('invalid_state', `The tracker ${tracker} is an address of this machine only, so an invite to it would not work anywhere else: host the tracker here, or invite from the machine that does.`);
  }
  const info = { tracker, trackers: hosted.length ? hosted : [tracker], key: formatNetworkKey(key) };
  const link = inviteLink(info);
  return { ...info, link, qrSvg: await QRCode.toString(link, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }) };
}
