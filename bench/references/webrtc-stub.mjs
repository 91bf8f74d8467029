// Stands in for `webrtc-polyfill` (which loads node-datachannel, a native binary not
// built here). WebTorrent only reaches WebRTC through WebSocket trackers; the benchmark
// uses an HTTP tracker and TCP peers, so these classes are never constructed.
class Unavailable {
  constructor() {
    throw new Error('WebRTC is disabled in the benchmark (TCP peers only)');
  }
}
export const RTCPeerConnection = Unavailable;
export const RTCSessionDescription = Unavailable;
export const RTCIceCandidate = Unavailable;
