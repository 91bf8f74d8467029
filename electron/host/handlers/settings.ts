import type { Settings } from '../../../shared/ipc/contract.js';
import { checkSettingsPatch } from '../settings-check.js';
import { forField } from './for-field.js';
import type { HandlerGroup, HostContext } from './host-context.js';

/** Settings and tracker hosting: both change what is saved and what the engine connects to. */
export function settingsHandlers(ctx: HostContext): HandlerGroup<'settings:update' | 'tracker:setHosting'> {
  return {
    'settings:update': async (patch) => updateSettings(ctx, patch),
    'tracker:setHosting': async ({ enabled, port }) => {
      const { store, tracker } = ctx;
      await tracker.setEnabled(enabled, port, store.settings.hostTrackerPort);
      store.state.settings = { ...store.settings, hostTracker: enabled, hostTrackerPort: tracker.port ?? port ?? store.settings.hostTrackerPort };
      await store.save();
      ctx.applyTrackers();
      ctx.engine.lan?.announce(); // members here learn at once that we host (or stopped hosting) a tracker
      ctx.events.emit('settings:changed', store.settings);
      void ctx.status.push();
      return tracker.info(store.settings.hostTrackerPort);
    },
  };
}

/** Checks everything first and applies nothing when any part is wrong. */
async function updateSettings(ctx: HostContext, patch: Partial<Settings>): Promise<Settings> {
  const { store, tracker, engine } = ctx;
  const current = store.settings;
  await checkSettingsPatch(patch);
  // The only changes that can fail half-way open ports: do them before anything else changes.
  if (patch.listenPort !== undefined && patch.listenPort !== engine.port) {
    const port = patch.listenPort;
    const bound = await forField('listenPort', () => engine.setListenPort(port));
    patch = { ...patch, listenPort: bound };
  }
  if (patch.hostTrackerPort !== undefined && tracker.running && patch.hostTrackerPort !== tracker.port) {
    const port = patch.hostTrackerPort;
    await forField('hostTrackerPort', () => tracker.move(port));
    patch = { ...patch, hostTrackerPort: tracker.port };
  }
  const next: Settings = { ...current, ...patch };
  store.state.settings = next;
  await store.save();
  if (patch.openMode !== undefined && patch.openMode !== current.openMode) {
    await forField('openMode', async () => {
      await ctx.key.choose(store.settings);
      await ctx.restartNetwork();
    });
  } else if (patch.dht !== undefined && patch.dht !== current.dht) {
    await forField('dht', () => ctx.restartNetwork());
  } else if (patch.upnp !== undefined && patch.upnp !== current.upnp) {
    await forField('upnp', () => ctx.restartNetwork());
  } else if (patch.punch !== undefined && patch.punch !== current.punch) {
    await forField('punch', () => ctx.restartNetwork());
  } else if (patch.relay !== undefined && patch.relay !== current.relay) {
    await forField('relay', () => ctx.restartNetwork());
  } else if (patch.relayForOthers !== undefined && patch.relayForOthers !== current.relayForOthers) {
    await forField('relayForOthers', () => ctx.restartNetwork());
  } else if (patch.lan !== undefined && patch.lan !== current.lan) {
    await forField('lan', () => ctx.restartNetwork());
  }
  // The engine may have been replaced by the restart: ask the context again.
  if (patch.trackers || patch.hostTrackerPort !== undefined) ctx.applyTrackers();
  if (patch.downloadDir) ctx.engine.setDownloadDir(patch.downloadDir);
  if (patch.uploadLimitKiB !== undefined || patch.downloadLimitKiB !== undefined) {
    ctx.engine.setRateLimits({ upload: next.uploadLimitKiB * 1024, download: next.downloadLimitKiB * 1024 });
  }
  ctx.events.emit('settings:changed', next);
  void ctx.status.push();
  return next;
}
