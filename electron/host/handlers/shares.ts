import path from 'node:path';
import { EngineError } from '../../engine/api.js';
import { forField } from './for-field.js';
import type { HandlerGroup, HostContext } from './host-context.js';

/** Shared folders: the engine indexes them, the store remembers them for the next start. */
export function shareHandlers(ctx: HostContext): HandlerGroup<'shares:pick' | 'shares:add' | 'shares:remove'> {
  return {
    'shares:pick': async () => ctx.integration.pickFolder(),
    'shares:add': async ({ path: folder }) => {
      if (!path.isAbsolute(folder)) throw new EngineError('invalid_argument', `"${folder}" is not an absolute path`, { field: 'path' });
      const added = await forField('path', () => ctx.engine.addFolder(folder));
      if (!ctx.store.state.folders.includes(added.path)) await ctx.store.update((s) => void s.folders.push(added.path));
      ctx.events.emit('shares:changed', ctx.engine.folders());
      return added;
    },
    'shares:remove': async ({ path: folder }) => {
      await ctx.engine.removeFolder(folder);
      const resolved = path.resolve(folder);
      await ctx.store.update((s) => void (s.folders = s.folders.filter((f) => path.resolve(f) !== resolved)));
      ctx.events.emit('shares:changed', ctx.engine.folders());
      return null;
    },
  };
}
