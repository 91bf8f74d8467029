import { lstat, mkdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { EngineError, errorMessage } from '../errors.js';

/**
 * Where a download may write: inside its destination folder and nowhere else.
 *
 * A download's name is a relative path (`Documents/report.pdf`) checked by
 * `unsafePathReason`, but the folders along it are on the downloader's disk,
 * and one of them may be a symbolic link (`share/Documents -> /elsewhere`).
 * Following it would write outside the folder the user picked. So every
 * folder below the root is walked without following links: created when
 * missing, refused when it is a link or not a folder. The root itself is the
 * user's choice and may be a link (macOS's /tmp is one).
 */

/** Creates the folders from `root` down to `target`'s parent; refuses a link or non-folder on the way. */
export async function prepareDestination(root: string, target: string, name: string): Promise<void> {
  try {
    await mkdir(root, { recursive: true });
  } catch (err) {
    throw new EngineError('io_error', `cannot create folder ${root}: ${errorMessage(err)}`, { cause: err });
  }
  const segments = relativeSegments(root, target, name);
  let dir = root;
  for (const segment of segments.slice(0, -1)) {
    dir = path.join(dir, segment);
    await ensureRealFolder(dir, root, name);
  }
  await assertInside(root, target, name);
}

/**
 * Checks that `target`'s parent, with every link resolved, is `root` or a
 * folder below it. Run again just before the verified file is put in place, so
 * a folder swapped for a link meanwhile is caught.
 */
export async function assertInside(root: string, target: string, name: string): Promise<void> {
  let realRoot: string;
  let realParent: string;
  try {
    realRoot = await realpath(root);
    realParent = await realpath(path.dirname(target));
  } catch (err) {
    throw new EngineError('io_error', `cannot resolve the folder for "${name}": ${errorMessage(err)}`, { cause: err });
  }
  if (realParent !== realRoot && !realParent.startsWith(realRoot + path.sep)) {
    throw refusal(name, `${path.dirname(target)} leads to ${realParent}, outside ${root}`);
  }
}

function relativeSegments(root: string, target: string, name: string): string[] {
  const rel = path.relative(root, target);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) throw refusal(name, `it is not inside ${root}`);
  return rel.split(path.sep);
}

async function ensureRealFolder(dir: string, root: string, name: string): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    let info;
    try {
      info = await lstat(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new EngineError('io_error', `cannot check folder ${dir}: ${errorMessage(err)}`, { cause: err });
      }
      try {
        await mkdir(dir); // not recursive: each level is checked on its own
        return;
      } catch (mkdirErr) {
        if ((mkdirErr as NodeJS.ErrnoException).code === 'EEXIST') continue; // made meanwhile: check what it is
        throw new EngineError('io_error', `cannot create folder ${dir}: ${errorMessage(mkdirErr)}`, { cause: mkdirErr });
      }
    }
    if (info.isSymbolicLink()) throw refusal(name, `${path.relative(root, dir)} in ${root} is a symbolic link, and a download never follows links out of its folder`);
    if (!info.isDirectory()) throw refusal(name, `${path.relative(root, dir)} in ${root} is a file, not a folder`);
    return;
  }
  throw refusal(name, `${dir} keeps changing`);
}

function refusal(name: string, reason: string): EngineError {
  return new EngineError('unsafe_path', `refusing to save "${name}": ${reason}`);
}
