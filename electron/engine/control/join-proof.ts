import { DatagramType, SIGNATURE_BYTES } from '../../../shared/protocol/datagram.js';
import { peerIdOf, verifyIdentity, type PeerIdentity } from '../security/peer-identity.js';
import { encodeBody, type JoinBody, type WelcomeBody } from './datagram-codec.js';

/**
 * The identity proofs of protocol v2, made once per address validation rather than per
 * datagram. A JOIN's signature covers a label and every body byte before the signature
 * (cookie, clientNonce, peerId, listenPort, publicKey): the cookie ties it to one source
 * address and two minutes, the nonce to one join. A WELCOME's signature covers a label and
 * every body byte before it, the client's nonce first, so a member who can seal datagrams
 * still cannot pose as the tracker or alter what it said.
 */

const JOIN_LABEL = Buffer.from('p2pshare v2 join', 'utf8');
const WELCOME_LABEL = Buffer.from('p2pshare v2 welcome', 'utf8');
const NO_SIGNATURE = Buffer.alloc(SIGNATURE_BYTES);

export type JoinFields = Pick<JoinBody, 'cookie' | 'clientNonce' | 'listenPort'> & Partial<Pick<JoinBody, 'offersRelay'>>;
export type WelcomeFields = Omit<WelcomeBody, 'type' | 'trackerKey' | 'trackerPeerId' | 'trackerSignature'>;

export function signJoin(identity: PeerIdentity, fields: JoinFields): JoinBody {
  const join: JoinBody = { type: DatagramType.JOIN, offersRelay: false, ...fields, peerId: identity.peerId, publicKey: identity.publicKeyRaw, signature: NO_SIGNATURE };
  return { ...join, signature: identity.sign(signedBytes(JOIN_LABEL, join)) };
}

/** The peer id is this key's, and the key signed this JOIN. */
export function verifyJoin(join: JoinBody): boolean {
  if (peerIdOf(join.publicKey) !== join.peerId) return false;
  return verifyIdentity(join.publicKey, signedBytes(JOIN_LABEL, { ...join, signature: NO_SIGNATURE }), join.signature);
}

export function signWelcome(identity: PeerIdentity, fields: WelcomeFields): WelcomeBody {
  const welcome: WelcomeBody = {
    type: DatagramType.WELCOME,
    ...fields,
    trackerPeerId: identity.peerId,
    trackerKey: identity.publicKeyRaw,
    trackerSignature: NO_SIGNATURE,
  };
  return { ...welcome, trackerSignature: identity.sign(signedBytes(WELCOME_LABEL, welcome)) };
}

/** The tracker's id is its key's, the key signed this WELCOME, and it answers our nonce. */
export function verifyWelcome(welcome: WelcomeBody, clientNonce: Buffer): boolean {
  if (!welcome.clientNonce.equals(clientNonce)) return false;
  if (peerIdOf(welcome.trackerKey) !== welcome.trackerPeerId) return false;
  return verifyIdentity(welcome.trackerKey, signedBytes(WELCOME_LABEL, { ...welcome, trackerSignature: NO_SIGNATURE }), welcome.trackerSignature);
}

/** label || the body's bytes before its trailing signature. */
function signedBytes(label: Buffer, msg: JoinBody | WelcomeBody): Buffer {
  const { body } = encodeBody(msg);
  return Buffer.concat([label, body.subarray(0, body.length - SIGNATURE_BYTES)]);
}
