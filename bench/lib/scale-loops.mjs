// Load shapes of bench/tracker-scale.mjs, for either fleet: a closed loop (keep `window`
// requests in flight, count completions per second: saturation) and an open loop (send at a
// fixed rate whatever comes back: latency at a given load). A fleet provides sendLookup() /
// sendSwap() (false when no idle member was found) and calls completed(op, ms) for every answer
// (NaN for a timeout or an error).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import process from 'node:process';
import { Latencies, cpuSeconds } from './scale-fleet.mjs';

/** Completions in the first part of a closed loop are not counted (the tracker's queues fill). */
const WARMUP_FRACTION = 0.1;
/** After the window, answers still in flight get this long. */
const DRAIN_MS = 2500;

export class LoadLoops {
  constructor(fleet) {
    this.fleet = fleet;
    this.lookups = 0;
    this.active = null;
  }

  completed(op, ms) {
    if (op === 'lookup') this.lookups++;
    const a = this.active;
    if (!a || a.op !== op) return;
    a.outstanding--;
    if (Number.isNaN(ms)) a.failed++;
    else {
      if (performance.now() >= a.countFrom) {
        a.done++;
        a.latencies.add(ms);
      }
    }
    if (a.closed && a.running) this.refill(a);
  }

  refill(a) {
    while (a.outstanding < a.window) {
      if (!this.issue(a)) return;
    }
  }

  issue(a) {
    const sent = a.op === 'lookup' ? this.fleet.sendLookup() : this.fleet.sendSwap();
    if (!sent) {
      a.skipped++;
      return false;
    }
    a.outstanding++;
    a.sent++;
    return true;
  }

  /** Saturation: `window` requests in flight for `ms`. */
  closed(op, window, ms, trackerPid) {
    return this.runLoop({ op, closed: true, window, ms, trackerPid });
  }

  /** A fixed rate (per second) for `ms`. */
  open(op, rate, ms, trackerPid) {
    return this.runLoop({ op, closed: false, rate, ms, trackerPid });
  }

  async runLoop({ op, closed, window = 0, rate = 0, ms, trackerPid }) {
    const t0 = performance.now();
    const a = { op, closed, window, running: true, outstanding: 0, sent: 0, done: 0, failed: 0, skipped: 0, latencies: new Latencies(), countFrom: t0 + (closed ? ms * WARMUP_FRACTION : 0) };
    this.active = a;
    let cpu0;
    // The generator's own event-loop delay: a reply waits that long to be read, so it is part of every latency here.
    const loopDelay = monitorEventLoopDelay({ resolution: 1 });
    const measureFrom = () => {
      cpu0 = { tracker: cpuSeconds(trackerPid), self: process.cpuUsage(), at: performance.now() };
      loopDelay.enable();
    };
    if (closed) setTimeout(measureFrom, ms * WARMUP_FRACTION);
    else measureFrom();
    await new Promise((resolve) => {
      const timer = setInterval(() => {
        const now = performance.now();
        if (now - t0 >= ms || this.fleet.stopRequested) {
          clearInterval(timer);
          return resolve();
        }
        if (closed) this.refill(a);
        else {
          const target = Math.floor(((now - t0) / 1000) * rate);
          while (a.sent + a.skipped < target) this.issue(a);
        }
      }, closed ? 5 : 2);
    });
    a.running = false;
    loopDelay.disable();
    const end = performance.now();
    const seconds = (end - a.countFrom) / 1000;
    const self = process.cpuUsage(cpu0.self);
    const wall = (end - cpu0.at) / 1000;
    const drainUntil = end + DRAIN_MS;
    while (a.outstanding > 0 && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 10));
    this.active = null;
    return {
      op,
      shape: closed ? `closed loop, ${window} in flight` : `open loop at ${rate}/s`,
      seconds: +seconds.toFixed(2),
      completed: a.done,
      perSecond: Math.round(a.done / seconds),
      failed: a.failed,
      skipped: a.skipped,
      unanswered: a.outstanding,
      p50Ms: a.latencies.percentile(50),
      p99Ms: a.latencies.percentile(99),
      generatorLoopDelayMs: { p99: +(loopDelay.percentile(99) / 1e6).toFixed(2), max: +(loopDelay.max / 1e6).toFixed(2) },
      cores: { tracker: +((cpuSeconds(trackerPid) - cpu0.tracker) / wall).toFixed(2), generator: +((self.user + self.system) / 1e6 / wall).toFixed(2) },
    };
  }

  stop() {
    if (this.active) this.active.running = false;
  }
}
