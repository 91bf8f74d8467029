// Renders the app icon (build/icon.png, 512×512) without image tools: three
// linked nodes on a rounded square. Run: node scripts/make-icon.mjs
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const S = 512;
const px = new Float32Array(S * S * 4);

function blend(x, y, r, g, b, a) {
  if (x < 0 || y < 0 || x >= S || y >= S || a <= 0) return;
  const i = (y * S + x) * 4;
  const inv = 1 - a;
  px[i] = r * a + px[i] * inv;
  px[i + 1] = g * a + px[i + 1] * inv;
  px[i + 2] = b * a + px[i + 2] * inv;
  px[i + 3] = a + px[i + 3] * inv;
}
const clamp = (v) => Math.max(0, Math.min(1, v));

// Rounded square with a diagonal gradient.
const R = 110;
for (let y = 0; y < S; y++) {
  for (let x = 0; x < S; x++) {
    const dx = Math.max(R - x, x - (S - 1 - R), 0);
    const dy = Math.max(R - y, y - (S - 1 - R), 0);
    const d = Math.hypot(dx, dy) - R;
    const a = clamp(0.5 - d);
    const t = (x + y) / (2 * S);
    blend(x, y, 0.12 + 0.1 * t, 0.45 - 0.15 * t, 0.95 - 0.25 * t, a);
  }
}
function line(x0, y0, x1, y1, w) {
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const vx = x1 - x0, vy = y1 - y0;
      const t = clamp(((x - x0) * vx + (y - y0) * vy) / (vx * vx + vy * vy));
      const d = Math.hypot(x - (x0 + t * vx), y - (y0 + t * vy)) - w / 2;
      blend(x, y, 1, 1, 1, 0.85 * clamp(0.5 - d));
    }
  }
}
function disc(cx, cy, r, fill) {
  for (let y = Math.floor(cy - r - 2); y <= cy + r + 2; y++) {
    for (let x = Math.floor(cx - r - 2); x <= cx + r + 2; x++) {
      const d = Math.hypot(x - cx, y - cy) - r;
      blend(x, y, fill[0], fill[1], fill[2], clamp(0.5 - d));
    }
  }
}
const nodes = [[160, 330], [352, 330], [256, 160]];
line(...nodes[0], ...nodes[1], 22);
line(...nodes[1], ...nodes[2], 22);
line(...nodes[2], ...nodes[0], 22);
for (const [x, y] of nodes) {
  disc(x, y, 62, [1, 1, 1]);
  disc(x, y, 38, [0.16, 0.42, 0.9]);
}

// PNG encoding: RGBA, filter 0 on every row.
const raw = Buffer.alloc(S * (S * 4 + 1));
for (let y = 0; y < S; y++) {
  raw[y * (S * 4 + 1)] = 0;
  for (let x = 0; x < S * 4; x++) raw[y * (S * 4 + 1) + 1 + x] = Math.round(clamp(px[y * S * 4 + x]) * 255);
}
const table = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = table[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const sum = Buffer.alloc(4);
  sum.writeUInt32BE(crc(body));
  return Buffer.concat([len, body, sum]);
};
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(S, 0);
ihdr.writeUInt32BE(S, 4);
ihdr[8] = 8;
ihdr[9] = 6;
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
writeFileSync(new URL('../build/icon.png', import.meta.url), png);
console.log(`build/icon.png: ${png.length} bytes`);
