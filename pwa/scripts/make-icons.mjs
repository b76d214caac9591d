// Writes the PWA's PNG icons into public/icons/ (no image tools, no downloads):
// a blue tile with a white lightning bolt, rasterised here and encoded as PNG with zlib.
// Run by `npm run build` / `npm run dev`; the output is not committed (.gitignore).
import { deflateSync } from 'node:zlib'
import { mkdirSync, writeFileSync, existsSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'public', 'icons')
const BLUE = [31, 111, 235]
const WHITE = [255, 255, 255]
// The bolt in a 0..1 box (same shape as public/favicon.svg).
const BOLT = [[0.58, 0.08], [0.22, 0.56], [0.47, 0.56], [0.40, 0.92], [0.78, 0.40], [0.53, 0.40]]

const CRC = new Int32Array(256).map((_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c
})
function crc32(buf) {
  let c = -1
  for (const b of buf) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8)
  return (c ^ -1) >>> 0
}
function chunk(type, data) {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(body))
  return Buffer.concat([len, body, crc])
}
export function encodePng(size, rgba) {
  const raw = Buffer.alloc((size * 4 + 1) * size)
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0 // filter: none
    rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4)
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(size, 0); ihdr.writeUInt32BE(size, 4)
  ihdr[8] = 8; ihdr[9] = 6 // 8-bit RGBA
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))])
}
function inPolygon(x, y, poly) {
  let inside = false
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i]; const [xj, yj] = poly[j]
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside
  }
  return inside
}
function inRoundRect(x, y, r) {
  const cx = Math.min(Math.max(x, r), 1 - r); const cy = Math.min(Math.max(y, r), 1 - r)
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r
}
// maskable: full-bleed background, the bolt inside the 80 % safe zone.
export function drawIcon(size, { maskable = false } = {}) {
  const px = Buffer.alloc(size * size * 4)
  const S = 4 // supersampling per axis
  const scale = maskable ? 0.62 : 0.8; const off = (1 - scale) / 2
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let bg = 0; let fg = 0
      for (let sy = 0; sy < S; sy++) {
        for (let sx = 0; sx < S; sx++) {
          const u = (x + (sx + 0.5) / S) / size; const v = (y + (sy + 0.5) / S) / size
          if (maskable || inRoundRect(u, v, 0.2)) {
            bg++
            if (inPolygon((u - off) / scale, (v - off) / scale, BOLT)) fg++
          }
        }
      }
      const a = bg / (S * S); const f = bg ? fg / bg : 0
      const i = (y * size + x) * 4
      for (let c = 0; c < 3; c++) px[i + c] = Math.round(BLUE[c] * (1 - f) + WHITE[c] * f)
      px[i + 3] = Math.round(a * 255)
    }
  }
  return encodePng(size, px)
}

const ICONS = [['icon-192.png', 192, {}], ['icon-512.png', 512, {}],
  ['icon-maskable-512.png', 512, { maskable: true }], ['apple-touch-icon.png', 180, { maskable: true }]]
const self = fileURLToPath(import.meta.url)

if (process.argv[1] === self) {
  mkdirSync(OUT, { recursive: true })
  const mtime = statSync(self).mtimeMs
  for (const [name, size, opts] of ICONS) {
    const file = join(OUT, name)
    if (existsSync(file) && statSync(file).mtimeMs >= mtime) continue
    writeFileSync(file, drawIcon(size, opts))
    console.log(`icons: wrote ${name}`)
  }
}
