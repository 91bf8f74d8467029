// Deterministic names for the tracker benchmark, shared by bench/tracker.mjs (opentracker's
// whitelist) and the load generator (bench/tracker-load.mjs), so both sides agree without talking.
import { createHash } from 'node:crypto';

/** Contents 0 … SWARM_BASE-1 are the pre-filled swarms of the throughput runs; the memory fill uses MEMORY_BASE + k. */
export const MEMORY_BASE = 1_000_000;

/** BitTorrent info hash of content k: 20 bytes. */
export const infoHash = (k) => createHash('sha1').update(`bench-content-${k}`).digest();
/** Our content hash of content k: 64 hex digits. */
export const contentHash = (k) => createHash('sha256').update(`bench-content-${k}`).digest('hex');
/** The content hash commits to the size, so every announcer of k must give the same one. */
export const contentSize = (k) => 1_000_000 + (k % 1_000_000);
/** One name per content, as when everyone shares the same file under the same name. */
export const contentName = (k) => `bench/shelf-${Math.floor(k / 100)}/item-${k}.bin`;

/**
 * Loopback source address number i of a group. Our tracker admits 32 connections per IP
 * (like a NAT with a few peers), and the BitTorrent trackers key peers by IP:port, so the
 * generator spreads connections and peers over 127.group.x.y (all of 127/8 is loopback on Linux).
 */
export const sourceAddress = (group, i) => `127.${group}.${Math.floor(i / 250)}.${(i % 250) + 1}`;
