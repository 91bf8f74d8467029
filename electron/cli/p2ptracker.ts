#!/usr/bin/env node
import { DEFAULT_TRACKER_PORT } from '../../shared/protocol/limits.js';
import { DEFAULT_HEARTBEAT_MS, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_FILE_ENTRIES, DEFAULT_PEER_TIMEOUT_MS, DEFAULT_RELAY_LIMIT_KIBPS, defaultDataDir, formatNetworkKey, generateNetworkKey, MemberRegistry, PeerIdentity, streamLogger, TrackerServer } from '../engine/api.js';
import { inviteLink } from '../../shared/ipc/invite.js';
import { joinAddresses } from './join-addresses.js';
import path from 'node:path';
import { givenOptions, helpText, parseArgs, parsePort, UsageError } from './args.js';
import { chooseNetworkKey, KEY_OPTIONS } from './network-key-options.js';
import { runMain, untilSignal } from './run.js';
import { makeAdmin, membershipDir, printInvite, printMembers, recordTrackerAddresses, revokeMember } from './membership-commands.js';

const OPTIONS = {
  port: { type: 'number', value: 'N', description: 'TCP port to listen on; 0 picks a free one', default: DEFAULT_TRACKER_PORT },
  host: { type: 'string', value: 'ADDR', description: 'address to listen on (default: all interfaces)' },
  ...KEY_OPTIONS,
  genkey: { type: 'boolean', description: 'print a new network key (last line) and exit' },
  data: { type: 'string', value: 'DIR', description: 'state folder (stored key, identity); default per user, or $P2P_DATA_DIR' },
  'peer-timeout': { type: 'number', value: 'SECONDS', description: 'drop a peer silent this long', default: DEFAULT_PEER_TIMEOUT_MS / 1000 },
  'show-invite': { type: 'boolean', description: 'print the network key and the invite on start (they are printed by themselves only when the key is created)' },
  'max-connections': { type: 'number', value: 'N', description: 'most peer connections at once; more are told the tracker is full', default: DEFAULT_MAX_CONNECTIONS },
  'max-files': { type: 'number', value: 'N', description: 'most files all peers together may announce; more are refused as "tracker is full"', default: DEFAULT_MAX_FILE_ENTRIES },
  'no-relay': { type: 'boolean', description: "don't relay for members that reach each other no other way" },
  'relay-limit': { type: 'number', value: 'KiB/s', description: 'cap of each relayed connection, 0 for none (also at most 32 at once, 4 per member, 8 caps in all)', default: DEFAULT_RELAY_LIMIT_KIBPS },
  invite: { type: 'boolean', description: 'print one member invite (p2p://…/join#…) and exit; the first one turns on managed membership' },
  expires: { type: 'string', value: 'DURATION', description: 'with -invite: how long it stays valid (90s, 30m, 24h, 7d)', default: '24h' },
  uses: { type: 'number', value: 'N', description: 'with -invite: how many members may join with it', default: 1 },
  members: { type: 'boolean', description: 'list the members and exit' },
  json: { type: 'boolean', description: 'with -members: one JSON array of {id, name, role, joinedAt}' },
  revoke: { type: 'string', value: 'ID|NAME', description: 'remove a member from the network and exit (a running tracker cuts it off at once)' },
  'make-admin': { type: 'string', value: 'ID|NAME', description: 'let a member invite and revoke too (on a member\'s own data dir, -invite, -revoke and -members ask the tracker as that admin)' },
  verbose: { type: 'boolean', description: 'log every connection and protocol detail' },
  quiet: { type: 'boolean', description: 'log only warnings and errors' },
  help: { type: 'boolean', description: 'show this help' },
} as const;

runMain('p2ptracker', async () => {
  const args = parseArgs(process.argv.slice(2), OPTIONS);
  if (args.help) {
    process.stdout.write(
      helpText(
        'Usage: p2ptracker [-port N] [-host ADDR]',
        'Keeps track of which peers share which files, and answers listings and lookups.',
        OPTIONS,
        `Peers join with: p2pclient -folder DIR -port N -tracker HOST:${DEFAULT_TRACKER_PORT}`,
      ),
    );
    return 0;
  }
  if (args.genkey) {
    // Only the key goes to stdout, so `p2ptracker -genkey > network.key` makes a usable key file.
    process.stderr.write('A new network key. Give it to the tracker (-keyfile) and to every member:\n');
    process.stdout.write(`${formatNetworkKey(generateNetworkKey())}\n`);
    return 0;
  }
  const port = parsePort(args.port);
  const baseDataDir = args.data ? path.resolve(args.data) : defaultDataDir();
  const given = givenOptions(process.argv.slice(2));
  if (!args.invite && (given.has('expires') || given.has('uses'))) throw new UsageError('-expires and -uses go with -invite');
  if (!args.members && given.has('json')) throw new UsageError('-json goes with -members');
  // Membership commands work on the data dir, beside a tracker running on it or not.
  if (args.invite) return void (await printInvite(baseDataDir, { expires: args.expires ?? '24h', uses: args.uses ?? 1, host: args.host, port }));
  if (args.members) return void (await printMembers(baseDataDir, args.json));
  if (args.revoke !== undefined) return void (await revokeMember(baseDataDir, args.revoke));
  if (args['make-admin'] !== undefined) return void (await makeAdmin(baseDataDir, args['make-admin']));
  const timeout = args['peer-timeout'] ?? DEFAULT_PEER_TIMEOUT_MS / 1000;
  if (!(timeout >= 0.5 && timeout <= 3600)) throw new UsageError('-peer-timeout must be between 0.5 and 3600 seconds');
  const logger = streamLogger(process.stderr, args.verbose ? 'debug' : args.quiet ? 'warn' : 'info');
  const peerTimeoutMs = Math.round(timeout * 1000);
  const maxConnections = args['max-connections'] ?? DEFAULT_MAX_CONNECTIONS;
  const maxFiles = args['max-files'] ?? DEFAULT_MAX_FILE_ENTRIES;
  if (!(Number.isInteger(maxConnections) && maxConnections >= 1 && maxConnections <= 1_000_000)) throw new UsageError('-max-connections must be a whole number from 1 to 1000000');
  if (!(Number.isInteger(maxFiles) && maxFiles >= 1 && maxFiles <= 100_000_000)) throw new UsageError('-max-files must be a whole number from 1 to 100000000');
  const relayLimit = args['relay-limit'] ?? DEFAULT_RELAY_LIMIT_KIBPS;
  if (!(relayLimit >= 0 && relayLimit <= 10_000_000)) throw new UsageError('-relay-limit must be between 0 and 10000000 KiB/s');
  const choice = await chooseNetworkKey(args, baseDataDir, 'tracker', logger);
  // The owner key is made with the network; membership is managed from the first -invite on.
  const membership = choice.key ? await MemberRegistry.open(membershipDir(baseDataDir)) : undefined;
  const tracker = new TrackerServer({
    port,
    host: args.host,
    networkKey: choice.key,
    identity: await PeerIdentity.load(path.join(baseDataDir, 'tracker')),
    peerTimeoutMs,
    maxConnections,
    maxFileEntries: maxFiles,
    heartbeatMs: Math.min(DEFAULT_HEARTBEAT_MS, Math.max(100, Math.floor(peerTimeoutMs / 3))),
    relay: !args['no-relay'],
    relayLimitKiBps: relayLimit,
    membership,
    logger,
  });
  const bound = await tracker.start();
  process.stdout.write(`p2ptracker listening on ${args.host ?? '0.0.0.0'}:${bound}\n`);
  // Only addresses it really listens on, and that others can reach where there is one.
  const join = joinAddresses(args.host);
  const joinAddress = `${join.hosts[0]}:${bound}`;
  if (membership) {
    await recordTrackerAddresses(baseDataDir, join.hosts.slice(0, 8).map((h) => `${h}:${bound}`));
    if (membership.managed) process.stdout.write(`managed membership: ${membership.members().length} members (p2ptracker -members); new ones join with an invite (p2ptracker -invite)
`);
  }
  if (choice.key) {
    if (choice.created) process.stdout.write(`created a network key and stored it in ${choice.source}\n`);
    // The key is a secret: shown when it was just made (someone has to hand it out) or when asked for, never in every start's log.
    if ((choice.created && !args.quiet) || args['show-invite']) {
      process.stdout.write(`network key: ${formatNetworkKey(choice.key)}\n`);
      process.stdout.write(`invite (the app's Join network): ${inviteLink({ tracker: joinAddress, key: formatNetworkKey(choice.key) })}\n`);
    } else {
      process.stdout.write(`network key from ${choice.source} (not shown; -show-invite prints it and the invite)\n`);
    }
    process.stdout.write(`members join with: p2pclient -folder DIR -port N -tracker ${joinAddress} -keyfile FILE-WITH-THE-KEY\n`);
    process.stdout.write(`(on this machine, as this user, plain "p2pclient -folder DIR -port N" uses the stored key)\n`);
  } else {
    process.stdout.write(`peers join with: p2pclient -folder DIR -port N -tracker ${joinAddress} -open\n`);
  }
  if (join.note) process.stdout.write(`(${join.note})\n`);
  if (join.hosts.length > 1) process.stdout.write(`(this machine's other addresses: ${join.hosts.slice(1).join(', ')})\n`);
  const signal = await untilSignal();
  logger.info(`${signal}: stopping`);
  await tracker.stop();
  return 0;
});
