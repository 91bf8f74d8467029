// Run inside a lab namespace: listens for members of the network (KEY, base64url) for SECONDS,
// then prints the members heard as one JSON array. Args: KEY SECONDS.
import { LanDiscovery } from '../../dist/electron/engine/discovery/lan-discovery.js';
import { parseNetworkKey } from '../../dist/electron/engine/security/network-key.js';

const [keyText, seconds = '2'] = process.argv.slice(2);
const quiet = { debug() {}, info() {}, warn: (m) => console.error(m), error: (m) => console.error(m) };
const discovery = new LanDiscovery({ networkKey: parseNetworkKey(keyText), logger: quiet, advert: () => undefined });
await discovery.start();
await new Promise((r) => setTimeout(r, Number(seconds) * 1000));
const peers = discovery.peers();
await discovery.stop();
console.log(JSON.stringify(peers));
