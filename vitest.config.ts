import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'renderer/**/*.test.{ts,tsx}'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
    // Network and process tests share two cores: keep parallelism modest so timing stays honest.
    maxWorkers: 2,
    pool: 'forks',
    // No UPnP search of the machine's real network from any engine or host a test starts (the NAT lab unsets it in its namespaces).
    env: { P2P_NO_UPNP: '1', P2P_NO_LAN: '1' },
  },
});
