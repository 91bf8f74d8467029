import type { HandlerGroup, HostContext } from './host-context.js';

type DownloadChannel =
  | 'downloads:start'
  | 'downloads:pause'
  | 'downloads:resume'
  | 'downloads:retry'
  | 'downloads:cancel'
  | 'downloads:remove'
  | 'downloads:open'
  | 'downloads:reveal';

/**
 * The download list's buttons. The engine's download queue owns every
 * download (list, queue, saved state); these only name the content hash.
 */
export function downloadHandlers(ctx: HostContext): HandlerGroup<DownloadChannel> {
  return {
    'downloads:start': (item) => ctx.engine.startDownload(item, ctx.store.settings.downloadDir),
    'downloads:pause': async ({ hash }) => {
      await ctx.engine.pauseDownload(hash);
      return null;
    },
    'downloads:resume': async ({ hash }) => {
      await ctx.engine.resumeDownload(hash);
      return null;
    },
    'downloads:retry': async ({ hash }) => {
      await ctx.engine.retryDownload(hash);
      return null;
    },
    'downloads:cancel': async ({ hash, deleteData }) => {
      await ctx.engine.cancelDownload(hash, { deleteData });
      return null;
    },
    'downloads:remove': async ({ hash }) => {
      await ctx.engine.removeDownload(hash);
      return null;
    },
    'downloads:open': async ({ hash }) => {
      await ctx.integration.openPath(ctx.engine.finishedDownloadPath(hash));
      return null;
    },
    'downloads:reveal': async ({ hash }) => {
      ctx.integration.revealPath(ctx.engine.finishedDownloadPath(hash));
      return null;
    },
  };
}
