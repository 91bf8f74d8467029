// In-page instrumentation for bench/ui.mjs, installed with page.addInitScript before any
// page script runs. It only observes: timestamps (performance.now(), i.e. ms since the
// navigation started), the page's own WebSocket requests, long tasks and paints.
//
// "Painted" means: the DOM condition held at the end of a task (MutationObserver), then
// one requestAnimationFrame (the frame that renders it), then a message posted from that
// callback: it runs after the frame's style, layout and paint, so its time is when the
// frame was produced.
/* global window, document, addEventListener, requestAnimationFrame, MutationObserver, Element -- this code runs in the page */

/** Runs in the page. `spec`: the listing to wait for, or null (the reference page). */
export function instrument(spec) {
  const now = () => performance.now();
  const B = (window.__bench = { marks: {}, longTasks: [], requests: {}, spec: spec ?? null });
  const mark = (name) => {
    if (B.marks[name] === undefined) B.marks[name] = now();
  };
  const afterPaint = (cb) =>
    requestAnimationFrame(() => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => cb(now());
      ch.port2.postMessage(0);
    });
  B.afterPaint = afterPaint;
  document.addEventListener('DOMContentLoaded', () => mark('domContentLoaded'));
  addEventListener('load', () => {
    mark('load');
    afterPaint((t) => (B.marks.loadPainted = t));
  });
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) B.longTasks.push([e.startTime, e.duration]);
    }).observe({ type: 'longtask', buffered: true });
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) B.marks[e.name] = e.startTime;
    }).observe({ type: 'paint', buffered: true });
  } catch {
    // older engines: no long tasks or paint timing, the rest still works
  }

  // The page's requests over its socket: when each was sent and when its answer came in.
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('open', () => mark('socketOpen'));
      this.addEventListener('message', (e) => {
        if (typeof e.data !== 'string' || !e.data.startsWith('{"t":"res","id":')) return;
        const r = B.requests[parseInt(e.data.slice(16), 10)];
        if (r && r.doneAt === undefined) {
          r.doneAt = now();
          r.chars = e.data.length;
        }
      });
    }
    send(data) {
      try {
        const m = JSON.parse(data);
        B.requests[m.id] = { channel: m.channel, args: m.args, sentAt: now() };
      } catch {
        // not ours to judge
      }
      return super.send(data);
    }
  };

  // Typing in the search box starts a filter measurement (the spec is set just before).
  addEventListener(
    'input',
    (e) => {
      if (B.spec && e.target instanceof Element && e.target.getAttribute('aria-label') === 'Search files') {
        B.spec.inputAt = now();
        (B.spec.inputs ??= []).push(B.spec.inputAt);
      }
    },
    true,
  );

  // The listing condition: the grid says `rows` rows, row 0 is `firstName` (loaded, not a
  // skeleton), no rendered row is still loading, and the summary shows the count.
  const check = () => {
    const s = B.spec;
    if (!s || s.domAt !== undefined) return;
    const grid = document.querySelector('[role="grid"][aria-label="Files on the network"]');
    if (!grid) return;
    if (s.gridAt === undefined) s.gridAt = now();
    if (grid.getAttribute('aria-rowcount') !== String(s.rows + 1)) return;
    const first = grid.querySelector('[data-index="0"]');
    if (!first || !first.textContent.includes(s.firstName)) return;
    if (grid.querySelector('.grid-row[aria-busy="true"]')) return;
    if (!(document.querySelector('.toolbar-summary')?.textContent ?? '').includes(s.summary)) return;
    s.domAt = now();
    s.renderedRows = grid.querySelectorAll('[role="rowgroup"] [data-index]').length;
    afterPaint((t) => (s.paintAt = t));
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
}

/** The reference page: `files` as one plain HTML <table> (the columns the app shows), no script. */
export function staticTablePage(files) {
  const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const rows = files.map((f) => `<tr><td>${esc(f.path)}</td><td>${f.size}</td><td>1</td><td>${f.hash.slice(0, 12)}</td></tr>`);
  return `<!doctype html><html><head><meta charset="utf-8"><title>static listing</title>
<style>body{font:14px system-ui,sans-serif;margin:0}table{border-collapse:collapse;width:100%}td{padding:0 12px;height:40px;border-bottom:1px solid #ddd;white-space:nowrap}</style>
</head><body><table><thead><tr><th>Name</th><th>Size</th><th>Peers</th><th>Hash</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table></body></html>`;
}
