/**
 * lib/packet costs per packet, in TypeScript only (no shim, no EAL):
 * header-view field writes against the same writes through raw DataView
 * offsets, in the same loop over 1024 64-byte frames at a 2 KiB stride
 * (as in a pool of mbufs); and checksums: full IPv4 + UDP computation, the
 * incremental update of a template field, and `fillChecksums`.
 *
 *   deno bench bench/packet_bench.ts
 *
 * Each iteration touches 1024 frames: divide the time by 1024 for a
 * packet.
 */

import {
  dataViewOf,
  fillChecksums,
  ipv4Checksum,
  ipv4L4Checksum,
  Ipv4View,
  PacketLayers,
  PacketTemplate,
  udpFrame,
  UdpView,
} from "../lib/packet/mod.ts";

const FRAMES = 1024;
const STRIDE = 2048;
const buf = new Uint8Array(FRAMES * STRIDE);
const data = dataViewOf(buf);
const offsets = Uint32Array.from(
  { length: FRAMES },
  (_, i) => i * STRIDE + 128,
);
// 64 bytes on the wire: 60 + FCS
const tpl = new PacketTemplate(udpFrame({
  ipSrc: "10.0.0.1",
  ipDst: "10.0.0.2",
  sport: 10000,
  dport: 9,
  payloadLength: 18,
}));
tpl.stampAll(buf, offsets, FRAMES);
let round = 0;

// the same four field writes per frame, both ways
Deno.bench(
  "fields: raw DataView offsets",
  { group: "fields", baseline: true },
  () => {
    const r = round++;
    for (let i = 0; i < FRAMES; i++) {
      const o = offsets[i];
      data.setUint16(o + 34, 10000 + ((i + r) & 1023)); // UDP source port
      data.setUint16(o + 36, 9); // UDP destination port
      data.setUint32(o + 26, 0x0a000001 + i); // IPv4 source
      data.setUint8(o + 22, 64); // TTL
    }
  },
);

const udp = new UdpView(buf, data);
const ip = new Ipv4View(buf, data);
Deno.bench("fields: header views (at + setters)", { group: "fields" }, () => {
  const r = round++;
  for (let i = 0; i < FRAMES; i++) {
    const o = offsets[i];
    const u = udp.at(o + 34);
    u.srcPort = 10000 + ((i + r) & 1023);
    u.dstPort = 9;
    const v = ip.at(o + 14);
    v.srcValue = 0x0a000001 + i;
    v.ttl = 64;
  }
});

Deno.bench("checksums: full IPv4 header + UDP per packet", {
  group: "checksums",
  baseline: true,
}, () => {
  const r = round++;
  for (let i = 0; i < FRAMES; i++) {
    const o = offsets[i];
    data.setUint16(o + 34, 10000 + ((i + r) & 1023));
    data.setUint16(o + 40, ipv4L4Checksum(buf, o + 14, o + 34));
    data.setUint16(o + 24, ipv4Checksum(buf, o + 14));
  }
});

const sport = tpl.field("udp.srcPort");
Deno.bench("checksums: template field, incremental (RFC 1624)", {
  group: "checksums",
}, () => {
  const r = round++;
  for (let i = 0; i < FRAMES; i++) {
    sport.set(data, offsets[i], 10000 + ((i + r) & 1023));
  }
});

const layers = new PacketLayers();
Deno.bench("checksums: fillChecksums (parse + IPv4 + UDP)", {
  group: "checksums",
}, () => {
  for (let i = 0; i < FRAMES; i++) {
    fillChecksums(buf, offsets[i], 60, data, layers);
  }
});

Deno.bench("stamp: template into 1024 buffers", { group: "stamp" }, () => {
  tpl.stampAll(buf, offsets, FRAMES);
});
