import { act, cleanup, render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { setApiForTests } from '../api';
import { useAppStore } from '../stores/app-store';
import { useDownloadsStore } from '../stores/downloads-store';
import { useInviteStore } from '../stores/invite-store';
import { useMembersStore } from '../stores/members-store';
import { useNetworkStore } from '../stores/network-store';
import { useSettingsStore } from '../stores/settings-store';
import { useSharesStore } from '../stores/shares-store';
import { useStatusStore } from '../stores/status-store';
import { useToastStore } from '../stores/toast-store';
import { startSync } from '../sync';
import { FakeHost, type FakeHostOptions } from './fake-host';

const STORES = [useAppStore, useDownloadsStore, useInviteStore, useMembersStore, useNetworkStore, useSettingsStore, useSharesStore, useStatusStore, useToastStore] as const;
const INITIAL = STORES.map((store) => store.getState());

/** Puts every store back to its first state (they are module singletons). */
export function resetStores(): void {
  STORES.forEach((store, i) => (store as { setState(s: unknown, replace: true): void }).setState(INITIAL[i], true));
}

/** Lets pending promise callbacks (the fake host answers asynchronously) and React updates run. */
export async function flush(times = 5): Promise<void> {
  for (let i = 0; i < times; i++) {
    await act(async () => {
      await Promise.resolve();
    });
  }
}

let stopSync: (() => void) | undefined;

/** A fresh fake host wired into fresh stores, the snapshot loaded. */
export async function connect(options: FakeHostOptions = {}): Promise<FakeHost> {
  stopSync?.();
  resetStores();
  const host = new FakeHost(options);
  setApiForTests(host);
  stopSync = startSync();
  await flush();
  return host;
}

export async function renderWithHost(ui: ReactElement, options: FakeHostOptions = {}): Promise<{ host: FakeHost } & ReturnType<typeof render>> {
  const host = await connect(options);
  const result = render(ui);
  await flush();
  return { host, ...result };
}

export function teardown(): void {
  cleanup();
  stopSync?.();
  stopSync = undefined;
}
