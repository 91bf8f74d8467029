// A minimal STUN server (RFC 5389 Binding only) for the NAT lab: miniupnpd checks its WAN
// address with STUN before it forwards anything (ext_perform_stun), and a TEST-NET address
// counts as reserved without it. Answers every Binding Request with the source it saw, as
// XOR-MAPPED-ADDRESS, from the port it was asked on (CHANGE-REQUEST is not honoured).
//   node stun-responder.mjs HOST PORT   (prints "ready")
import dgram from 'node:dgram';

const MAGIC = 0x2112a442;
const [host, portText] = process.argv.slice(2);
const socket = dgram.createSocket('udp4');
socket.on('message', (msg, rinfo) => {
  if (msg.length < 20 || msg.readUInt16BE(0) !== 0x0001 || msg.readUInt32BE(4) !== MAGIC) return;
  const out = Buffer.alloc(32);
  out.writeUInt16BE(0x0101, 0); // Binding Success Response
  out.writeUInt16BE(12, 2); // one attribute: 4 header + 8 value
  msg.copy(out, 4, 4, 20); // magic cookie + transaction id
  out.writeUInt16BE(0x0020, 20); // XOR-MAPPED-ADDRESS
  out.writeUInt16BE(8, 22);
  out.writeUInt8(0x01, 25); // IPv4
  out.writeUInt16BE(rinfo.port ^ (MAGIC >>> 16), 26);
  const ip = rinfo.address.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  out.writeUInt32BE((ip ^ MAGIC) >>> 0, 28);
  socket.send(out, rinfo.port, rinfo.address);
});
socket.bind(Number(portText), host, () => process.stdout.write('ready\n'));
