import type { Settings } from '../../shared/ipc/contract.js';
import { generateNetworkKey, type Logger, type NetworkKey, readKeyFile, writeKeyFile } from '../engine/api.js';

const OPEN_MODE_WARNING = 'Open mode: connections are not encrypted and anyone who can reach this machine can list and download your shared files.';

export interface NetworkKeyPolicyOptions {
  keyFile: string;
  /** From the command line: a key, or null to force open mode; absent: the stored key. */
  forced: NetworkKey | null | undefined;
  logger: Logger;
  /** Told each time open mode is chosen, so the person is reminded of what it means. */
  warn: (message: string) => void;
}

/**
 * Which network key the host uses (the engine and the hosted tracker derive their transport from it):
 * the command-line key wins, else open mode if chosen, else the key stored in
 * the data dir (created on first start). No key means plain TCP.
 */
export class NetworkKeyPolicy {
  current: NetworkKey | undefined;

  constructor(private readonly options: NetworkKeyPolicyOptions) {}

  get secure(): boolean {
    return this.current !== undefined;
  }

  /** Picks the key for `settings`; a forced choice is written back into `settings.openMode`. */
  async choose(settings: Settings): Promise<void> {
    const { forced, keyFile } = this.options;
    if (forced === null) {
      settings.openMode = true;
      this.current = undefined;
    } else if (forced) {
      settings.openMode = false;
      this.current = forced;
    } else if (settings.openMode) {
      this.current = undefined;
    } else {
      try {
        this.current = await readKeyFile(keyFile);
      } catch {
        this.current = generateNetworkKey();
        await writeKeyFile(keyFile, this.current);
      }
    }
    if (!this.current) this.options.warn(OPEN_MODE_WARNING);
  }

  /** The key of a network joined by invite: stored, so it is the one used from now on. */
  async adopt(key: NetworkKey): Promise<void> {
    await writeKeyFile(this.options.keyFile, key);
    this.current = key;
  }
}
