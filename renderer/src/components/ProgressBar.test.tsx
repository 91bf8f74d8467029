// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ProgressBar } from './ProgressBar';

afterEach(cleanup);

function fill(): HTMLElement {
  return screen.getByRole('progressbar').firstElementChild as HTMLElement;
}

describe('ProgressBar', () => {
  it('says its value to assistive technology, clamped to 0–100', () => {
    const { rerender } = render(<ProgressBar value={42.5} label="Progress of clip.mp4" />);
    const bar = screen.getByRole('progressbar', { name: 'Progress of clip.mp4' });
    expect(bar.getAttribute('aria-valuenow')).toBe('42.5');
    expect(bar.getAttribute('aria-valuetext')).toBe('42.5%');
    rerender(<ProgressBar value={140} label="Progress of clip.mp4" />);
    expect(bar.getAttribute('aria-valuenow')).toBe('100');
    rerender(<ProgressBar value={-3} label="Progress of clip.mp4" />);
    expect(bar.getAttribute('aria-valuenow')).toBe('0');
  });

  // A width would be laid out and painted on every frame of its transition, many times a
  // second during a download; a transform is animated by the compositor alone.
  it('moves its fill with a transform, never a width', () => {
    const { rerender } = render(<ProgressBar value={25} label="p" />);
    expect(fill().style.transform).toBe('translateX(-75%)');
    expect(fill().style.width).toBe('');
    rerender(<ProgressBar value={100} label="p" />);
    expect(fill().style.transform).toBe('translateX(0%)');
    rerender(<ProgressBar value={0} label="p" />);
    expect(fill().style.transform).toBe('translateX(-100%)');
  });
});
