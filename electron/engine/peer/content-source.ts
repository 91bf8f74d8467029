import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { EngineError } from '../errors.js';
import { pieceCount, pieceLength } from '../core/content-hash.js';
import type { FolderIndex, IndexedFile } from '../index/folder-index.js';
import { pieceBuffers } from '../core/buffer-pool.js';

/** What the peer server needs to serve one content: its hashes and its pieces. */
export interface ServedContent {
  /** Relative path the content is shared under. */
  readonly name: string;
  readonly size: number;
  readonly pieceSize: number;
  readonly pieceHashes: Buffer;
  hasPiece(index: number): boolean;
  /** For a partial holder: the pieces it has, as a bitfield. Absent when complete. */
  bitfield?(): Buffer;
  readPiece(index: number): Promise<Buffer>;
  close(): Promise<void>;
}

/** Looks content up by hash. Only announced content can be found: there is no lookup by path. */
export interface ContentSource {
  open(hash: string): Promise<ServedContent | undefined>;
}

/** Serves files of shared folders, re-checking at open time that the file is still inside its folder. */
export class FolderContentSource implements ContentSource {
  constructor(
    private readonly folders: () => Iterable<FolderIndex>,
    /** Downloads in progress that can already serve the pieces they have. */
    private readonly partial: (hash: string) => ServedContent | undefined = () => undefined,
  ) {}

  async open(hash: string): Promise<ServedContent | undefined> {
    for (const folder of this.folders()) {
      const file = folder.findByHash(hash);
      if (!file) continue;
      if (!(await folder.isInside(file.absPath))) continue;
      let handle: FileHandle;
      try {
        handle = await open(file.absPath, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
      } catch {
        continue;
      }
      return new FileContent(file, handle);
    }
    return this.partial(hash);
  }
}

class FileContent implements ServedContent {
  readonly name: string;
  readonly size: number;
  readonly pieceSize: number;
  readonly pieceHashes: Buffer;
  private readonly count: number;

  constructor(
    file: IndexedFile,
    private readonly handle: FileHandle,
  ) {
    this.name = file.path;
    this.size = file.size;
    this.pieceSize = file.info.pieceSize;
    this.pieceHashes = file.info.pieceHashes;
    this.count = pieceCount(this.size, this.pieceSize);
  }

  hasPiece(index: number): boolean {
    return index < this.count;
  }

  async readPiece(index: number): Promise<Buffer> {
    const length = pieceLength(index, this.size, this.pieceSize);
    const buffer = pieceBuffers.take(length); // given back once sent (ServingSession)
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await this.handle.read(buffer, filled, length - filled, index * this.pieceSize + filled);
      // The file shrank since it was indexed; the watcher will catch up. Refuse rather than send short data.
      if (bytesRead === 0) throw new EngineError('not_found', 'file changed on disk');
      filled += bytesRead;
    }
    return buffer;
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}
