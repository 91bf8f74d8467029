// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { createRef } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { VirtualList, type VirtualListHandle } from './VirtualList';

afterEach(cleanup);

function rows(container: HTMLElement): number[] {
  return [...container.querySelectorAll<HTMLElement>('[data-row]')].map((el) => Number(el.dataset.row));
}

function scrollTo(el: HTMLElement, top: number) {
  Object.defineProperty(el, 'scrollTop', { configurable: true, writable: true, value: top });
  fireEvent.scroll(el);
}

describe('VirtualList', () => {
  it('renders only a window of 100,000 rows, and a spacer as tall as all of them', () => {
    const { container } = render(
      <VirtualList data-testid="list" count={100_000} rowHeight={40} overscan={5} renderRow={(i) => <div key={i} data-row={i}>row {i}</div>} />,
    );
    const shown = rows(container);
    // 600 px fallback viewport / 40 px = 15 rows, plus 5 overscan below.
    expect(shown).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(container.querySelector<HTMLElement>('.vlist-spacer')!.style.height).toBe('4000000px');
  });

  it('moves the window as it scrolls and reports the range', () => {
    const onRange = vi.fn();
    const { container } = render(
      <VirtualList data-testid="list" count={100_000} rowHeight={40} overscan={5} onRangeChange={onRange} renderRow={(i) => <div key={i} data-row={i} />} />,
    );
    expect(onRange).toHaveBeenLastCalledWith(0, 20);
    scrollTo(screen.getByTestId('list'), 40 * 50_000);
    const shown = rows(container);
    expect(shown[0]).toBe(49_995);
    expect(shown.at(-1)).toBe(50_019);
    expect(shown.length).toBeLessThan(40);
    expect(onRange).toHaveBeenLastCalledWith(49_995, 50_020);
    expect(container.querySelector<HTMLElement>('.vlist-window')!.style.transform).toBe(`translateY(${49_995 * 40}px)`);
  });

  it('clamps at the end of the list', () => {
    const { container } = render(<VirtualList data-testid="list" count={100} rowHeight={40} overscan={5} renderRow={(i) => <div key={i} data-row={i} />} />);
    scrollTo(screen.getByTestId('list'), 40 * 100);
    expect(rows(container).at(-1)).toBe(99);
  });

  it('scrollToIndex scrolls just enough to show a row', () => {
    const ref = createRef<VirtualListHandle>();
    const { container } = render(<VirtualList ref={ref} data-testid="list" count={1000} rowHeight={40} renderRow={(i) => <div key={i} data-row={i} />} />);
    const el = screen.getByTestId('list');
    act(() => ref.current!.scrollToIndex(500));
    // The row's bottom edge aligns with the viewport's bottom edge (600 px fallback height).
    expect(el.scrollTop).toBe(501 * 40 - 600);
    expect(rows(container)).toContain(500);
    act(() => ref.current!.scrollToIndex(10));
    expect(el.scrollTop).toBe(400);
  });

  it('goes back to the top when resetKey changes', () => {
    const view = (key: number) => <VirtualList data-testid="list" count={1000} rowHeight={40} resetKey={key} renderRow={(i) => <div key={i} data-row={i} />} />;
    const { container, rerender } = render(view(1));
    scrollTo(screen.getByTestId('list'), 4000);
    expect(rows(container)[0]).toBeGreaterThan(0);
    rerender(view(2));
    expect(rows(container)[0]).toBe(0);
  });
});
