import { existsSync } from 'node:fs';
import { EngineError, generateNetworkKey, type Logger, type NetworkKey, parseNetworkKey, readKeyFile, storedKeyPath, writeKeyFile } from '../engine/api.js';
import { UsageError } from './args.js';

export const KEY_OPTIONS = {
  key: { type: 'string', value: 'KEY', description: 'network key (visible to other local users in the process list: prefer -keyfile)' },
  keyfile: { type: 'string', value: 'PATH', description: 'file holding the network key' },
  open: { type: 'boolean', description: 'open mode: no key, no encryption, anyone who can connect may list and download' },
} as const;

export interface KeyChoice {
  /** Undefined in open mode. */
  key: NetworkKey | undefined;
  /** Where it came from, for the start-up message. */
  source: string;
  created: boolean;
}

/**
 * Picks the network key, in order: -open, -key, -keyfile, $P2P_KEY, the key
 * stored in the per-user data dir. A tracker with none creates and stores
 * one; a client with none is told how to get one.
 */
export async function chooseNetworkKey(
  args: { key?: string | undefined; keyfile?: string | undefined; open: boolean },
  baseDataDir: string,
  role: 'tracker' | 'client',
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<KeyChoice> {
  const given = [args.key !== undefined, args.keyfile !== undefined, args.open].filter(Boolean).length;
  if (given > 1) throw new UsageError('use only one of -key, -keyfile and -open');
  if (args.open) {
    logger.warn('OPEN MODE: connections are not encrypted and anyone who can reach this machine can list and download the shared files');
    return { key: undefined, source: 'open mode', created: false };
  }
  if (args.key !== undefined) return { key: parseOrUsage(args.key, '-key'), source: '-key', created: false };
  if (args.keyfile !== undefined) return { key: await keyFromFile(args.keyfile), source: args.keyfile, created: false };
  if (env.P2P_KEY) return { key: parseOrUsage(env.P2P_KEY, 'P2P_KEY'), source: 'P2P_KEY', created: false };
  const stored = storedKeyPath(baseDataDir);
  if (existsSync(stored)) return { key: await keyFromFile(stored), source: stored, created: false };
  if (role === 'tracker') {
    const key = generateNetworkKey();
    await writeKeyFile(stored, key);
    return { key, source: stored, created: true };
  }
  throw new EngineError(
    'invalid_argument',
    `no network key: pass -keyfile FILE (safest), -key KEY or the P2P_KEY variable with the key your tracker printed, or -open for the keyless mode. (A tracker started by this user on this machine stores its key in ${stored}, which is used automatically.)`,
    { field: 'key' },
  );
}

function parseOrUsage(text: string, from: string): NetworkKey {
  try {
    return parseNetworkKey(text);
  } catch (err) {
    throw new UsageError(`${from}: ${(err as Error).message}`, { cause: err, field: 'key' });
  }
}

/** A key file that holds no key is an error about the key: the CLI hints where keys come from. */
async function keyFromFile(file: string): Promise<NetworkKey> {
  try {
    return await readKeyFile(file);
  } catch (err) {
    if (err instanceof EngineError && err.code === 'invalid_argument') throw new EngineError(err.code, err.message, { cause: err, field: 'key' });
    throw err;
  }
}
