import { EngineError } from '../../engine/errors.js';
import type { Handler, HandlerGroup, HostContext } from './host-context.js';

type DownloadChannel =
  | 'downloads:start'
  | 'downloads:pause'
  | 'downloads:resume'
  | 'downloads:retry'
  | 'downloads:cancel'
  | 'downloads:remove'
  | 'downloads:open'
  | 'downloads:reveal';

/** The download list's buttons: each changes the live download, the queue and the saved list together. */
export function downloadHandlers(ctx: HostContext): HandlerGroup<DownloadChannel> {
  const { downloads, queue } = ctx;
  const resume: Handler<'downloads:resume'> = async ({ hash }) => {
    const d = downloads.require(hash);
    if (d.state === 'done') return null;
    await downloads.setPaused(hash, false);
    queue.enqueue(d);
    return null;
  };
  return {
    'downloads:start': async (item) => {
      const existing = ctx.engine.getDownload(item.hash);
      if (existing && existing.state !== 'failed' && existing.state !== 'cancelled') return existing.progress();
      if (ctx.engine.hasContent(item.hash)) throw new EngineError('destination_exists', `You already have ${item.name}.`);
      const destDir = ctx.store.settings.downloadDir;
      const download = ctx.engine.download(item, destDir);
      await downloads.add(item, destDir);
      queue.enqueue(download);
      return download.progress();
    },
    'downloads:pause': async ({ hash }) => {
      const d = downloads.require(hash);
      queue.dequeue(hash);
      d.pause();
      await downloads.setPaused(hash, true);
      ctx.progress.set(d.progress());
      return null;
    },
    'downloads:resume': resume,
    // A failed download starts again the way a paused one does.
    'downloads:retry': async (args) => resume(args),
    'downloads:cancel': async ({ hash, deleteData }) => {
      downloads.require(hash);
      queue.dequeue(hash);
      await ctx.engine.cancelDownload(hash, { deleteData });
      await downloads.remove(hash);
      return null;
    },
    'downloads:remove': async ({ hash }) => {
      const d = downloads.require(hash);
      if (queue.isRunning(hash) || d.state === 'queued') throw new EngineError('io_error', 'Pause or cancel the download first.');
      await downloads.remove(hash);
      return null;
    },
    'downloads:open': async ({ hash }) => {
      await ctx.integration.openPath(downloads.finishedPath(hash));
      return null;
    },
    'downloads:reveal': async ({ hash }) => {
      ctx.integration.revealPath(downloads.finishedPath(hash));
      return null;
    },
  };
}
