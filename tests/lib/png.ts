// PNG files for tests, written and read back with node's zlib alone: a gradient image of any size, a
// decompression bomb (rows given raw), and a decoder that proves a PNG whole (every chunk's CRC,
// every row of pixels inflated) and returns its size.
import assert from 'node:assert/strict';
import zlib from 'node:zlib';

export function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** An RGB PNG of w x h with a gradient (or `raw` rows already filtered, for a bomb). */
export function makePng(w: number, h: number, opts: { bitDepth?: number; colorType?: number; raw?: Buffer } = {}): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = opts.bitDepth ?? 8;
  ihdr[9] = opts.colorType ?? 2;
  let raw = opts.raw;
  if (!raw) {
    raw = Buffer.alloc(h * (1 + w * 3));
    for (let y = 0; y < h; y++) {
      const row = y * (1 + w * 3);
      for (let x = 0; x < w; x++) {
        raw[row + 1 + x * 3] = x & 0xff;
        raw[row + 2 + x * 3] = y & 0xff;
        raw[row + 3 + x * 3] = (x + y) & 0xff;
      }
    }
  }
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** Decodes a PNG as far as needed to prove it whole: its size, and all its rows inflated. */
export function decodePng(buf: Buffer): { width: number; height: number } {
  assert.equal(buf.subarray(0, 8).toString('hex'), '89504e470d0a1a0a', 'a PNG signature');
  let off = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('ascii', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    assert.equal(buf.readUInt32BE(off + 8 + len), crc32(buf.subarray(off + 4, off + 8 + len)), `${type} CRC`);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.equal(data[8], 8, '8 bits a channel');
      channels = ({ 0: 1, 2: 3, 4: 2, 6: 4 } as Record<number, number>)[data[9]];
    }
    if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  const rows = zlib.inflateSync(Buffer.concat(idat));
  assert.equal(rows.length, height * (1 + width * channels), 'every row of pixels is there');
  return { width, height };
}

