import { useState } from 'react';
import type { DownloadRow } from '../../../shared/ipc/contract';
import { Button } from '../components/Button';
import { Dialog } from '../components/Dialog';
import { formatBytes, splitPath } from '../format';
import { useDownloadsStore } from '../stores/downloads-store';

/**
 * Asks before a cancel. As in qBittorrent's remove dialog, deleting the data
 * is a choice and off by default: kept, the verified pieces stay in a hidden
 * file and a later download of the same file resumes from them.
 */
export function CancelDownloadDialog({ row, onClose }: { row: DownloadRow; onClose(): void }) {
  const cancel = useDownloadsStore((s) => s.cancel);
  const busy = useDownloadsStore((s) => s.busy[row.hash] === 'cancel');
  const [deleteData, setDeleteData] = useState(false);
  const hasData = row.bytesDone > 0;
  const { base } = splitPath(row.name);
  const confirm = async () => {
    await cancel(row.hash, hasData && deleteData);
    onClose();
  };
  return (
    <Dialog
      title={`Cancel the download of ${base}?`}
      onClose={onClose}
      actions={
        <>
          <Button variant="ghost" onClick={onClose}>
            Keep downloading
          </Button>
          <Button variant="danger" icon="x" busy={busy} data-autofocus onClick={() => void confirm()}>
            Cancel download
          </Button>
        </>
      }
    >
      <p>It stops and leaves the list.</p>
      {hasData && (
        <>
          <label className="dialog-check">
            <input type="checkbox" checked={deleteData} onChange={(e) => setDeleteData(e.target.checked)} />
            Also delete the partial data ({formatBytes(row.bytesDone)} verified)
          </label>
          {!deleteData && <p className="dialog-note">Kept, downloading the same file again resumes from it.</p>}
        </>
      )}
    </Dialog>
  );
}
