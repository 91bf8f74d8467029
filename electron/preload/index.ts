/**
 * The preload builds `window.p2p` from the contract and nothing else: the
 * renderer can invoke declared request channels and listen to declared
 * events, and never sees ipcRenderer itself. Bundled to one CommonJS file
 * because sandboxed preloads cannot load other modules.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { EVENT_CHANNELS, REQUEST_CHANNELS, type EventChannel, type P2PApi, type RequestChannel } from '../../shared/ipc/contract.js';

const requests = new Set<string>(REQUEST_CHANNELS);
const events = new Set<string>(EVENT_CHANNELS);

const api: P2PApi = {
  invoke(channel: RequestChannel, args: unknown) {
    if (!requests.has(channel)) return Promise.resolve({ ok: false, error: { code: 'bad_request', message: `unknown request ${String(channel)}` } });
    return ipcRenderer.invoke(channel, args);
  },
  on(event: EventChannel, listener: (payload: unknown) => void) {
    if (!events.has(event)) throw new Error(`unknown event ${String(event)}`);
    const handler = (_event: IpcRendererEvent, payload: unknown) => listener(payload);
    ipcRenderer.on(event, handler);
    return () => {
      ipcRenderer.removeListener(event, handler);
    };
  },
} as unknown as P2PApi;

contextBridge.exposeInMainWorld('p2p', api);
