import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { REQUEST_CHANNELS, type Envelope } from '../../shared/ipc/contract.js';
import type { AppHost } from '../host/app-host.js';
import { isTrustedSender } from './security.js';

type Invoker = Pick<AppHost, 'invoke'>;

/**
 * Wires every request channel of the contract to the host. Each call checks
 * the sender frame, and the host validates the arguments against the
 * contract before anything runs; failures come back as typed envelopes.
 */
export function registerIpc(ipcMain: Pick<IpcMain, 'handle'>, host: Invoker): void {
  for (const channel of REQUEST_CHANNELS) {
    ipcMain.handle(channel, async (event: IpcMainInvokeEvent, args: unknown): Promise<Envelope<unknown>> => {
      if (!isTrustedSender(event.senderFrame)) {
        return { ok: false, error: { code: 'forbidden', message: 'request from an untrusted frame' } };
      }
      return host.invoke(channel, args);
    });
  }
}
