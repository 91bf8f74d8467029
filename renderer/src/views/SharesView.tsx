import { useId, useState, type FormEvent } from 'react';
import type { SharedFolder } from '../../../shared/ipc/contract';
import { Button } from '../components/Button';
import { EmptyState } from '../components/EmptyState';
import { Icon } from '../components/Icon';
import { Spinner } from '../components/Spinner';
import { formatBytes, formatCount, sentence } from '../format';
import { useSettingsStore } from '../stores/settings-store';
import { useSharesStore } from '../stores/shares-store';

/** Browser mode: the host has no dialog to show us, so the path is typed. */
function AddByPath() {
  const adding = useSharesStore((s) => s.adding);
  const error = useSharesStore((s) => s.addError);
  const add = useSharesStore((s) => s.add);
  const clearError = useSharesStore((s) => s.clearAddError);
  const [path, setPath] = useState('');
  const id = useId();

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (await add(path)) setPath('');
  }

  return (
    <form className="add-folder" onSubmit={(e) => void submit(e)} noValidate>
      <div className="field">
        <label htmlFor={`${id}-path`}>Folder path</label>
        <div className="field-row">
          <input
            id={`${id}-path`}
            className="input mono-input"
            type="text"
            value={path}
            placeholder="/home/me/Videos"
            spellCheck={false}
            autoComplete="off"
            aria-invalid={error ? true : undefined}
            aria-describedby={`${id}-help${error ? ` ${id}-error` : ''}`}
            onChange={(e) => {
              setPath(e.target.value);
              if (error) clearError();
            }}
          />
          <Button type="submit" variant="primary" icon="plus" busy={adding}>
            Add folder
          </Button>
        </div>
        <p id={`${id}-help`} className="field-help">
          The full path of a folder on the host, the machine running p2pshare.
        </p>
        {error && (
          <p id={`${id}-error`} className="field-error" role="alert">
            {sentence(error)}
          </p>
        )}
      </div>
    </form>
  );
}

/** Desktop mode: the native folder dialog. */
function AddByDialog() {
  const adding = useSharesStore((s) => s.adding);
  const error = useSharesStore((s) => s.addError);
  const pickAndAdd = useSharesStore((s) => s.pickAndAdd);
  return (
    <div className="add-folder">
      <Button variant="primary" icon="plus" busy={adding} onClick={() => void pickAndAdd()}>
        Add folder
      </Button>
      {error && (
        <p className="field-error" role="alert">
          {sentence(error)}
        </p>
      )}
    </div>
  );
}

function FolderItem({ folder }: { folder: SharedFolder }) {
  const removing = useSharesStore((s) => s.removing[folder.path] === true);
  const error = useSharesStore((s) => s.removeErrors[folder.path]);
  const remove = useSharesStore((s) => s.remove);
  const [confirming, setConfirming] = useState(false);
  const hashing = folder.hashingQueued > 0;

  return (
    <li className="folder-item" aria-label={folder.path}>
      <div className="folder-icon">
        <Icon name="folder" size={20} />
      </div>
      <div className="folder-main">
        <div className="folder-path" title={folder.path}>
          {folder.path}
        </div>
        <div className="folder-meta">
          <span>
            {formatCount(folder.files)} {folder.files === 1 ? 'file' : 'files'}
          </span>
          <span>{formatBytes(folder.bytes)}</span>
          {hashing ? (
            <span className="folder-hashing" role="status">
              <Spinner size={12} /> Hashing {formatCount(folder.hashingQueued)} {folder.hashingQueued === 1 ? 'file' : 'files'}…
            </span>
          ) : folder.ready ? (
            <span className="folder-ready">
              <Icon name="check" size={12} /> Shared
            </span>
          ) : (
            <span className="folder-hashing">
              <Spinner size={12} /> Scanning…
            </span>
          )}
        </div>
        {error && (
          <p className="field-error" role="alert">
            {sentence(error)}
          </p>
        )}
      </div>
      <div className="folder-actions">
        {confirming ? (
          <div className="confirm" role="group" aria-label={`Stop sharing ${folder.path}?`}>
            <span className="confirm-text">Stop sharing? Files stay on disk.</span>
            <Button size="sm" variant="danger" busy={removing} onClick={() => void remove(folder.path).then((ok) => ok || setConfirming(false))}>
              Remove
            </Button>
            <Button size="sm" variant="ghost" onClick={() => setConfirming(false)}>
              Keep
            </Button>
          </div>
        ) : (
          <Button size="sm" variant="ghost" icon="trash" onClick={() => setConfirming(true)}>
            Remove
          </Button>
        )}
      </div>
    </li>
  );
}

export function SharesView() {
  const folders = useSharesStore((s) => s.folders);
  const dialog = useSettingsStore((s) => s.capabilities?.folderDialog ?? false);
  const totalFiles = folders.reduce((n, f) => n + f.files, 0);
  const totalBytes = folders.reduce((n, f) => n + f.bytes, 0);

  return (
    <section className="view view-shares" aria-labelledby="shares-title">
      <header className="view-header">
        <h1 id="shares-title">Shared folders</h1>
        <div className="toolbar">
          {folders.length > 0 && (
            <div className="toolbar-summary">
              {formatCount(totalFiles)} {totalFiles === 1 ? 'file' : 'files'} · {formatBytes(totalBytes)} shared
            </div>
          )}
        </div>
      </header>
      <div className="view-body">
        <p className="view-intro">Everything inside these folders (and their subfolders) is offered to peers on the network. Hidden files are not shared.</p>
        {dialog ? <AddByDialog /> : <AddByPath />}
        {folders.length === 0 ? (
          <EmptyState icon="folder" title="You are not sharing anything yet">
            <p>Add a folder to offer its files to everyone on the same tracker.</p>
          </EmptyState>
        ) : (
          <ul className="folder-list" aria-label="Shared folders">
            {folders.map((f) => (
              <FolderItem key={f.path} folder={f} />
            ))}
          </ul>
        )}
      </div>
    </section>
  );
}
