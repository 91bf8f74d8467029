import { describe, expect, it } from 'vitest';
import { REFUSAL_LOG_WINDOW_MS, throttledRefusals } from '../electron/engine/wire/refusal-log.js';

describe('refusal log lines', () => {
  it('logs one line per address per window, and counts the ones it left out in the next', () => {
    const lines: string[] = [];
    let now = 1_000_000;
    const refused = throttledRefusals((line) => lines.push(line), REFUSAL_LOG_WINDOW_MS, () => now);
    for (let i = 0; i < 10; i++) {
      refused('10.0.0.1', 'tried to connect with a different network key');
      now += 1000;
    }
    refused('10.0.0.2', 'tried to connect with a different network key');
    expect(lines).toEqual(['refused 10.0.0.1: tried to connect with a different network key', 'refused 10.0.0.2: tried to connect with a different network key']);
    now += REFUSAL_LOG_WINDOW_MS;
    refused('10.0.0.1', 'tried to connect with a different network key');
    expect(lines.at(-1)).toBe('refused 10.0.0.1: tried to connect with a different network key (and 9 more refusals from it since the last line)');
    now += REFUSAL_LOG_WINDOW_MS;
    refused('10.0.0.1', 'x');
    expect(lines.at(-1)).toBe('refused 10.0.0.1: x');
  });
});
