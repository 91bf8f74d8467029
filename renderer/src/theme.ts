import type { Theme } from '../../shared/ipc/contract';

/**
 * Applies the theme as `data-theme` on <html> (the CSS variables hang off it).
 * 'system' follows prefers-color-scheme live. The last choice is remembered
 * locally so the next start paints in the right colours before the host answers.
 */

const STORAGE_KEY = 'p2pshare.theme';
const DARK_QUERY = '(prefers-color-scheme: dark)';

let stopFollowing: (() => void) | undefined;

function systemIsDark(): boolean {
  return typeof matchMedia === 'function' && matchMedia(DARK_QUERY).matches;
}

function paint(resolved: 'light' | 'dark'): void {
  document.documentElement.dataset.theme = resolved;
}

export function applyTheme(theme: Theme): void {
  stopFollowing?.();
  stopFollowing = undefined;
  try {
    localStorage.setItem(STORAGE_KEY, theme);
  } catch {
    // Storage may be disabled; the host's setting still applies once loaded.
  }
  if (theme !== 'system') {
    paint(theme);
    return;
  }
  paint(systemIsDark() ? 'dark' : 'light');
  if (typeof matchMedia !== 'function') return;
  const query = matchMedia(DARK_QUERY);
  const onChange = (e: MediaQueryListEvent) => paint(e.matches ? 'dark' : 'light');
  query.addEventListener('change', onChange);
  stopFollowing = () => query.removeEventListener('change', onChange);
}

export function rememberedTheme(): Theme {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'light' || saved === 'dark' || saved === 'system') return saved;
  } catch {
    // fall through
  }
  return 'system';
}
