/**
 * The engine's public surface. The host (electron/host, electron/main) and the
 * command-line tools reach the engine only through this module and shared/
 * types; everything else under electron/engine/ is internal and may change
 * shape freely. test/layout.test.ts holds both sides to it.
 */
export {
  Engine,
  type DownloadItem,
  type EngineEvents,
  type EngineOptions,
  type FailedDownload,
  type FinishedDownload,
  type ListResult,
  type SavedDownload,
} from './engine.js';
export { EngineError, ProtocolError, errorCode, errorMessage, folderProblem, type EngineErrorCode } from './errors.js';
export { silentLogger, streamLogger, type Logger } from './logger.js';
export { defaultDataDir, instanceDataDir } from './data-dir.js';
export { writeFileAtomic } from './persist.js';
export { formatNetworkKey, generateNetworkKey, parseNetworkKey, readKeyFile, storedKeyPath, writeKeyFile, type NetworkKey } from './security/network-key.js';
export { PeerIdentity } from './security/peer-identity.js';
export { MemberRegistry, type MemberRecord } from './membership/member-registry.js';
export { adoptMembership, loadMemberCard, memberIdentity, saveMemberCard, type MemberCard } from './membership/member-card.js';
export { redeemInvite } from './membership/redemption.js';
export { adminRequest } from './membership/admin-client.js';
export { TrackerServer, DEFAULT_HEARTBEAT_MS, DEFAULT_MAX_CONNECTIONS, DEFAULT_PEER_TIMEOUT_MS, type TrackerServerOptions } from './tracker/tracker-server.js';
export { DEFAULT_RELAY_LIMIT_KIBPS } from './nat/relay.js';
export { DEFAULT_MAX_FILE_ENTRIES } from './tracker/file-budget.js';
export { PUBLIC_BOOTSTRAP } from './discovery/dht-discovery.js';
export { closeServer, listen, parseHostPort } from './wire/transport.js';
export { PortMapping, type MappedAddress } from './nat/port-mapping.js';
