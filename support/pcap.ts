/**
 * pcap files (Ethernet, microsecond stamps) for exact-packet tests through
 * `net_pcap` ports.
 *
 * @module
 */

/** A pcap file holding `frames`, in order (timestamps are the indexes). */
export function writePcap(frames: Uint8Array[]): Uint8Array {
  const size = 24 + frames.reduce((n, f) => n + 16 + f.length, 0);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0xa1b2c3d4, true); // magic: microsecond stamps
  v.setUint16(4, 2, true); // version 2.4
  v.setUint16(6, 4, true);
  v.setUint32(16, 65535, true); // snap length
  v.setUint32(20, 1, true); // link type: Ethernet
  let o = 24;
  frames.forEach((f, i) => {
    v.setUint32(o, i, true);
    v.setUint32(o + 8, f.length, true);
    v.setUint32(o + 12, f.length, true);
    out.set(f, o + 16);
    o += 16 + f.length;
  });
  return out;
}

/**
 * The frames of a pcap file (microsecond or nanosecond stamps); a record
 * still being written at the end is left out.
 */
export function readPcap(file: Uint8Array): Uint8Array[] {
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (file.length < 24) return [];
  const magic = v.getUint32(0, true);
  if (magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d) {
    throw new Error(
      `not a little-endian pcap file (magic 0x${magic.toString(16)})`,
    );
  }
  const out: Uint8Array[] = [];
  for (let o = 24; o + 16 <= file.length;) {
    const len = v.getUint32(o + 8, true);
    if (o + 16 + len > file.length) break;
    out.push(file.slice(o + 16, o + 16 + len));
    o += 16 + len;
  }
  return out;
}
