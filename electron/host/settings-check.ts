import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Settings } from '../../shared/ipc/contract.js';
import { EngineError, folderProblem, parseHostPort } from '../engine/api.js';

/**
 * The checks a settings change must pass before any of it is applied, beyond
 * the contract's shape: tracker addresses that parse, and a download folder
 * that exists and can be written. Throws the first problem, worded for the UI,
 * as `invalid_argument` naming the settings key it is about.
 */
export async function checkSettingsPatch(patch: Partial<Settings>): Promise<void> {
  for (const t of patch.trackers ?? []) {
    try {
      parseHostPort(t);
    } catch (err) {
      throw new EngineError('invalid_argument', `"${t}" is not a tracker address; use HOST:PORT, for example 192.168.1.20:6969.`, { cause: err, field: 'trackers' });
    }
  }
  if (patch.downloadDir !== undefined) await checkDownloadDir(patch.downloadDir);
}

async function checkDownloadDir(dir: string): Promise<void> {
  try {
    if (!path.isAbsolute(dir)) throw new Error('not an absolute path');
    if (!(await stat(dir)).isDirectory()) throw new Error('that is not a folder');
    await access(dir, constants.W_OK);
  } catch (err) {
    throw new EngineError('invalid_argument', `Cannot download into ${dir}: ${folderProblem(err)}.`, { cause: err, field: 'downloadDir' });
  }
}
