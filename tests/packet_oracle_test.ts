/**
 * lib/packet judged by other tools: DPDK's own checksum functions (through
 * the shim, no EAL), scapy and tshark reading the frames we build and
 * write, our reader and views reading the frames scapy builds, and our
 * summary lines against tcpdump's. A missing tool skips its test on a
 * developer machine; under CI (the `CI` variable set) it fails.
 */

import { assert, assertEquals, assertThrows } from "@std/assert";
import { lib } from "../ffi/lib.ts";
import { DpdkError } from "../lib/errors.ts";
import { RTE } from "../lib/constants.ts";
import { removePrefixFiles } from "../support/proc.ts";
import {
  arpFrame,
  dataViewOf,
  Dissector,
  ETH_OFFLOAD,
  EthernetView,
  fillChecksums,
  hexDump,
  icmpChecksum,
  icmpFrame,
  icmpv6Frame,
  Icmpv6View,
  IcmpView,
  ipv4Checksum,
  ipv4L4Checksum,
  ipv4PseudoHeaderSum,
  Ipv4View,
  ipv6L4Checksum,
  ipv6PseudoHeaderSum,
  Ipv6View,
  MBUF_FIELDS,
  MBUF_FLAGS,
  MbufMetaView,
  mbufTimestampOffset,
  PacketLayers,
  PacketTemplate,
  PcapReader,
  type PcapRecord,
  PcapWriter,
  PTYPE,
  rawChecksum,
  readPcap,
  registerMbufTimestamp,
  summarize,
  tcpFrame,
  TcpView,
  TxChecksumOffload,
  udpFrame,
  UdpView,
} from "../lib/packet/mod.ts";
import { ArpView } from "../lib/packet/headers.ts";

const PYTHON = "/usr/bin/python3"; // Debian's, where python3-scapy lives
const CI = Deno.env.get("CI") !== undefined && Deno.env.get("CI") !== "";

function toolMissing(cmd: string, args: string[]): boolean {
  try {
    const r = new Deno.Command(cmd, { args, stdout: "null", stderr: "null" })
      .outputSync();
    return !r.success;
  } catch {
    return true;
  }
}
const noScapy = toolMissing(PYTHON, ["-c", "import scapy.all"]);
const noTshark = toolMissing("tshark", ["--version"]);
const noTcpdump = toolMissing("tcpdump", ["--version"]);
const noHexdump = toolMissing("hexdump", ["-C", "/dev/null"]);
/** Skip only off CI: in CI every tool is installed, a missing one fails. */
const skip = (missing: boolean) => missing && !CI;

async function run(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<string> {
  const out = await new Deno.Command(cmd, {
    args,
    env,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(
      `${cmd} ${args.join(" ")} failed:\n${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
  return text;
}

/** A seeded PRNG (mulberry32), so failures reproduce. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** DPDK's host-order u16 as the big-endian number we compute (x86). */
const swap16 = (v: number) => ((v & 0xff) << 8) | (v >> 8);

// ---- (a) checksums == DPDK's ------------------------------------------------

Deno.test("checksums equal DPDK's on 12,000 seeded random packets (no EAL)", () => {
  const L = lib();
  // the checksum functions run without rte_eal_init in this process
  // no EAL in this process: the EAL-bound shim functions say so
  assertEquals(L.shim_mbuf_timestamp_offset(), -RTE.ENODEV);
  const r = rng(11);
  const byte = () => (r() * 256) | 0;
  const buf = new Uint8Array(2048);
  const d = dataViewOf(buf);
  for (let i = 0; i < 4000; i++) {
    // IPv4 with options, UDP / TCP / another protocol, odd lengths
    const base = (r() * 8) | 0; // any alignment
    const ihl = 5 + ((r() * 11) | 0);
    const hl = ihl * 4;
    // at least a TCP header: the checksum field lies inside the L4 bytes
    const l4len = 20 + ((r() * 1400) | 0) + (r() < 0.5 ? 1 : 0);
    for (let k = 0; k < hl + l4len; k++) buf[base + k] = byte();
    buf[base] = 0x40 | ihl;
    d.setUint16(base + 2, hl + l4len);
    const proto = [17, 6, 17, 6, 1, 132][(r() * 6) | 0];
    buf[base + 9] = proto;
    const l4 = base + hl;
    const field = proto === 17 ? 6 : proto === 6 ? 16 : -1;
    if (proto === 17 && r() < 0.05) {
      // make the sum come out 0: DPDK sends 0xffff for UDP
      d.setUint16(l4 + 6, 0);
      d.setUint16(l4 + 8, 0);
      const c = ipv4L4Checksum(buf, base, l4);
      d.setUint16(l4 + 8, c === 0xffff ? 0 : c);
    }
    // ours, with garbage in the checksum fields
    d.setUint16(base + 10, byte() << 8 | byte());
    if (field >= 0) d.setUint16(l4 + field, byte() << 8 | byte());
    const ipOurs = ipv4Checksum(buf, base);
    const l4Ours = ipv4L4Checksum(buf, base, l4);
    const phOurs = ipv4PseudoHeaderSum(buf, base);
    // DPDK's, with the fields zeroed as it asks
    d.setUint16(base + 10, 0);
    if (field >= 0) d.setUint16(l4 + field, 0);
    const ip = buf.subarray(base), l4b = buf.subarray(l4);
    assertEquals(ipOurs, swap16(L.shim_ipv4_cksum(ip)), `ipv4 #${i}`);
    if (field >= 0) {
      assertEquals(
        l4Ours,
        swap16(L.shim_ipv4_udptcp_cksum(ip, l4b)),
        `ipv4 l4 #${i} proto ${proto}`,
      );
    }
    assertEquals(
      phOurs,
      swap16(L.shim_ipv4_phdr_cksum(ip, 0n)),
      `ipv4 phdr #${i}`,
    );
  }
  for (let i = 0; i < 4000; i++) {
    const base = (r() * 8) | 0;
    const plen = 20 + ((r() * 1400) | 0) + (r() < 0.5 ? 1 : 0);
    for (let k = 0; k < 40 + plen; k++) buf[base + k] = byte();
    buf[base] = 0x60 | (buf[base] & 15);
    d.setUint16(base + 4, plen);
    const proto = [17, 6, 58, 17, 6, 58, 99][(r() * 7) | 0];
    buf[base + 6] = proto;
    const l4 = base + 40;
    const field = proto === 17 ? 6 : proto === 6 ? 16 : proto === 58 ? 2 : -1;
    if (field >= 0) d.setUint16(l4 + field, byte() << 8 | byte());
    const l4Ours = ipv6L4Checksum(buf, base);
    const phOurs = ipv6PseudoHeaderSum(buf, base);
    if (field >= 0) d.setUint16(l4 + field, 0);
    const ip = buf.subarray(base), l4b = buf.subarray(l4);
    if (field >= 0) {
      assertEquals(
        l4Ours,
        swap16(L.shim_ipv6_udptcp_cksum(ip, l4b)),
        `ipv6 l4 #${i} proto ${proto}`,
      );
    }
    assertEquals(
      phOurs,
      swap16(L.shim_ipv6_phdr_cksum(ip, 0n)),
      `ipv6 phdr #${i}`,
    );
  }
  for (let i = 0; i < 4000; i++) {
    // raw sums at every alignment and length, and ICMP (= ~rte_raw_cksum)
    const off = (r() * 16) | 0, len = (r() * 1500) | 0;
    for (let k = 0; k < len + 4; k++) buf[off + k] = byte();
    const raw = L.shim_raw_cksum(buf.subarray(off), len);
    assertEquals(
      rawChecksum(buf, off, len),
      swap16(raw),
      `raw #${i} len ${len}`,
    );
    if (len >= 4) {
      d.setUint16(off + 2, 0);
      const dpdk = ~L.shim_raw_cksum(buf.subarray(off), len) & 0xffff;
      d.setUint16(off + 2, byte());
      assertEquals(icmpChecksum(buf, off, len), swap16(dpdk), `icmp #${i}`);
    }
  }
});

// ---- offloads and mbuf fields, through C's struct rte_mbuf ------------------

Deno.test("mbuf offload fields: TypeScript's offsets are C's (fake mbufs, no EAL)", () => {
  const L = lib();
  const size = MBUF_FIELDS.size;
  assert(size >= 128 && size % 64 === 0, `sizeof(struct rte_mbuf) = ${size}`);
  const r = rng(3);
  const u32 = () => Math.floor(r() * 2 ** 32);
  const bytes = new Uint8Array(size * 4);
  const data = dataViewOf(bytes);
  const meta = new MbufMetaView(data);
  const out = new BigUint64Array(9);
  for (let i = 0; i < 2000; i++) {
    const at = size * (i % 4);
    for (let k = 0; k < size; k++) bytes[at + k] = (r() * 256) | 0;
    meta.at(at);
    const v = {
      lo: u32(),
      hi: u32(),
      ptype: u32(),
      rss: u32(),
      tci: u32() & 0xffff,
      outer: u32() & 0xffff,
      l2: u32() & 0x7f,
      l3: u32() & 0x1ff,
      l4: u32() & 0xff,
    };
    meta.olFlagsLo = v.lo;
    meta.olFlagsHi = v.hi;
    meta.packetType = v.ptype;
    meta.rssHash = v.rss;
    meta.vlanTci = v.tci;
    meta.vlanTciOuter = v.outer;
    meta.l2Len = v.l2;
    meta.l3Len = v.l3;
    meta.l4Len = v.l4;
    L.shim_packet_mbuf_read(bytes.subarray(at), out);
    assertEquals(
      Array.from(out.subarray(0, 8)),
      [
        BigInt(v.hi) << 32n | BigInt(v.lo),
        v.ptype,
        v.rss,
        v.tci,
        v.outer,
        v.l2,
        v.l3,
        v.l4,
      ].map(BigInt),
      `mbuf #${i}`,
    );
    // and what C writes, TypeScript reads
    const w = new BigUint64Array([
      BigInt(u32()) << 32n | BigInt(u32()),
      BigInt(u32()),
      BigInt(u32()),
      BigInt(u32() & 0xffff),
      BigInt(u32() & 0xffff),
      BigInt(u32() & 0x7f),
      BigInt(u32() & 0x1ff),
      BigInt(u32() & 0xff),
    ]);
    L.shim_packet_mbuf_write(bytes.subarray(at), w);
    assertEquals(
      [
        meta.olFlags,
        meta.packetType,
        meta.rssHash,
        meta.vlanTci,
        meta.vlanTciOuter,
        meta.l2Len,
        meta.l3Len,
        meta.l4Len,
      ].map(BigInt),
      Array.from(w),
    );
    L.shim_packet_mbuf_read(bytes.subarray(at), out);
    assertEquals(meta.txOffload, out[8]);
  }
  // packet types decompose by their masks
  assertEquals(PTYPE.L3_IPV4 & PTYPE.L3_MASK, PTYPE.L3_IPV4);
  assertEquals(PTYPE.L4_UDP & PTYPE.L4_MASK, PTYPE.L4_UDP);
});

Deno.test("TX checksum offload: flags, lengths and pseudo-header as DPDK asks; software otherwise", () => {
  const L = lib();
  const size = MBUF_FIELDS.size;
  const frames = [
    udpFrame({
      ipSrc: "10.0.0.1",
      ipDst: "10.0.0.2",
      sport: 40001,
      dport: 40002,
      payloadLength: 30,
      vlan: 7,
    }),
    tcpFrame({
      ipSrc: "10.0.0.1",
      ipDst: "10.0.0.2",
      sport: 40001,
      dport: 40002,
      payloadLength: 9,
      ipOptions: new Uint8Array([1, 1, 1, 1]),
    }),
    udpFrame({
      ipSrc: "fe80::1",
      ipDst: "fe80::2",
      sport: 40001,
      dport: 40002,
      payloadLength: 11,
    }),
    tcpFrame({
      ipSrc: "fe80::1",
      ipDst: "fe80::2",
      sport: 40001,
      dport: 40002,
    }),
    icmpFrame({ ipSrc: "10.0.0.1", ipDst: "10.0.0.2", payloadLength: 20 }),
  ];
  // a "pool": one fake mbuf, then the frame's bytes
  const bytes = new Uint8Array(size + 2048);
  const data = dataViewOf(bytes);
  const full = ETH_OFFLOAD.TX_IPV4_CKSUM | ETH_OFFLOAD.TX_UDP_CKSUM |
    ETH_OFFLOAD.TX_TCP_CKSUM;
  const hw = new TxChecksumOffload(full, {}, data);
  const sw = new TxChecksumOffload(0n, {}, data);
  assertEquals(hw.portOffloads, full);
  assertEquals(sw.portOffloads, 0n);
  const out = new BigUint64Array(9);
  const layers = new PacketLayers();
  for (const f of frames) {
    // software: every checksum right (DPDK's functions judge)
    bytes.fill(0);
    bytes.fill(0xff, 0, size); // stale TX requests (and other bits) in the mbuf
    bytes.set(f, size);
    bytes[size + f.length - 1] ^= 0x55; // the payload changed after building
    assert(sw.prepare(bytes, data, 0, size, f.length));
    layers.parse(bytes, size, f.length);
    const copy = bytes.slice();
    if (layers.ipVersion === 4) {
      const c = new DataView(copy.buffer);
      c.setUint16(layers.l3Offset + 10, 0);
      assertEquals(
        data.getUint16(layers.l3Offset + 10),
        swap16(L.shim_ipv4_cksum(copy.subarray(layers.l3Offset))),
      );
    }
    if (layers.l4Protocol === 17 || layers.l4Protocol === 6) {
      const field = layers.l4Offset + (layers.l4Protocol === 17 ? 6 : 16);
      const c = new DataView(copy.buffer);
      c.setUint16(field, 0);
      const dpdk = layers.ipVersion === 4
        ? L.shim_ipv4_udptcp_cksum(
          copy.subarray(layers.l3Offset),
          copy.subarray(layers.l4Offset),
        )
        : L.shim_ipv6_udptcp_cksum(
          copy.subarray(layers.l3Offset),
          copy.subarray(layers.l4Offset),
        );
      assertEquals(data.getUint16(field), swap16(dpdk));
    }
    L.shim_packet_mbuf_read(bytes, out);
    const F0 = MBUF_FLAGS;
    const txBits = F0.TX_IPV4 | F0.TX_IPV6 | F0.TX_IP_CKSUM | F0.TX_L4_MASK;
    assertEquals(
      out[0],
      0xffffffffffffffffn & ~txBits,
      "software: TX requests cleared, other bits kept",
    );
    assertEquals(
      [out[5], out[6]],
      [0x7fn, 0x1ffn],
      "software: lengths untouched",
    );

    // offloaded: flags, l2/l3 lengths, zeroed IP checksum, pseudo-header sum
    bytes.fill(0xff, 0, size);
    bytes.set(f, size);
    assert(hw.prepare(bytes, data, 0, size, f.length));
    L.shim_packet_mbuf_read(bytes, out);
    const F = MBUF_FLAGS;
    const v4 = layers.ipVersion === 4;
    const l4flag = layers.l4Protocol === 17
      ? F.TX_UDP_CKSUM
      : layers.l4Protocol === 6
      ? F.TX_TCP_CKSUM
      : 0n;
    const want = (v4 ? F.TX_IPV4 | F.TX_IP_CKSUM : F.TX_IPV6) | l4flag;
    assertEquals(out[0], (0xffffffffffffffffn & ~txBits) | want);
    assertEquals([out[5], out[6]], [
      BigInt(layers.l2Length),
      BigInt(layers.l3Length),
    ]);
    if (v4) assertEquals(data.getUint16(layers.l3Offset + 10), 0);
    if (l4flag !== 0n) {
      const field = layers.l4Offset + (layers.l4Protocol === 17 ? 6 : 16);
      const ph = v4
        ? L.shim_ipv4_phdr_cksum(bytes.subarray(layers.l3Offset), want)
        : L.shim_ipv6_phdr_cksum(bytes.subarray(layers.l3Offset), want);
      assertEquals(data.getUint16(field), swap16(ph));
      // what the NIC does next: sum from the seeded field, complement
      const nic = ~rawChecksum(bytes, layers.l4Offset, layers.l4Length) &
        0xffff;
      const sum = v4
        ? ipv4L4Checksum(bytes, layers.l3Offset)
        : ipv6L4Checksum(bytes, layers.l3Offset);
      assertEquals(nic === 0 && layers.l4Protocol === 17 ? 0xffff : nic, sum);
    } else {
      assertEquals(
        new IcmpView(bytes, data, layers.l4Offset).checksum,
        icmpChecksum(bytes, layers.l4Offset, layers.l4Length),
      );
    }
  }
  // not IP, or IP lengths past the frame: nothing is touched
  const arp = arpFrame({ senderIp: "10.0.0.1", targetIp: "10.0.0.2" });
  bytes.set(arp, size);
  assertEquals(hw.prepare(bytes, data, 0, size, arp.length), false);
  assertEquals(hw.prepare(bytes, data, 0, size, 10), false);
  assertThrows(() => new TxChecksumOffload(full), TypeError, "DataView");
});

Deno.test("timestamp dynamic field: refused before the EAL, registered after", async () => {
  assertEquals(mbufTimestampOffset(), -1);
  assertThrows(
    () => registerMbufTimestamp(),
    DpdkError,
    "rte_mbuf_dyn_rx_timestamp_register",
  );
  // with an EAL, in a child process of its own group (no hugepages)
  const prefix = `pk_${Deno.pid}`;
  const code = `
    import { cleanupEal, initEal } from "${new URL(
    "../lib/eal.ts",
    import.meta.url,
  )}";
    import { MBUF_FIELDS, mbufTimestampOffset, registerMbufTimestamp } from "${new URL(
    "../lib/packet/offload.ts",
    import.meta.url,
  )}";
    initEal(["--no-huge", "-m", "64", "--no-pci", "-l", "0", "--file-prefix=${prefix}", "--log-level=lib.eal:error"], { claimLcores: false });
    const before = mbufTimestampOffset();
    const reg = registerMbufTimestamp();
    console.log(JSON.stringify({ before, offset: reg.offset, flag: String(reg.rxFlag), after: mbufTimestampOffset(), dyn: MBUF_FIELDS.dynfield1, size: MBUF_FIELDS.size }));
    cleanupEal();
  `;
  try {
    const text = await run(Deno.execPath(), ["eval", "--unstable-ffi", code]);
    const res = JSON.parse(text.trim().split("\n").at(-1)!);
    assertEquals(res.before, -1);
    assert(
      res.offset >= res.dyn && res.offset + 8 <= res.size,
      JSON.stringify(res),
    );
    assertEquals(res.after, res.offset);
    assert(
      BigInt(res.flag) !== 0n &&
        (BigInt(res.flag) & (BigInt(res.flag) - 1n)) === 0n,
      "one flag bit",
    );
  } finally {
    await removePrefixFiles(prefix);
  }
});

// ---- (b) frames we build, read by scapy and tshark ----------------------------

/** Seeded frames of every kind the builders make, some varied through templates. */
function ourFrames(seed: number, n: number): Uint8Array[] {
  const r = rng(seed);
  const pick = <T>(a: T[]) => a[(r() * a.length) | 0];
  const ip4 = () =>
    `10.${(r() * 256) | 0}.${(r() * 256) | 0}.${1 + ((r() * 254) | 0)}`;
  const ip6 = () =>
    `2001:db8::${((r() * 0xffff) | 0).toString(16)}:${
      ((r() * 0xffff) | 0).toString(16)
    }`;
  const port = () => 40000 + ((r() * 1000) | 0);
  const common = () => ({
    src: `02:00:00:00:${((r() * 256) | 0).toString(16).padStart(2, "0")}:01`,
    dst: `02:00:00:00:${((r() * 256) | 0).toString(16).padStart(2, "0")}:02`,
    vlan: r() < 0.3 ? { id: (r() * 4095) | 0, pcp: (r() * 8) | 0 } : undefined,
    ttl: 1 + ((r() * 254) | 0),
    payloadLength: (r() * 100) | 0,
  });
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 8;
    const c = common();
    const v6 = r() < 0.5;
    const a = v6 ? { ipSrc: ip6(), ipDst: ip6() } : {
      ipSrc: ip4(),
      ipDst: ip4(),
      id: (r() * 65536) | 0,
      ipOptions: r() < 0.3 ? new Uint8Array([7, 7, 4, 0, 0, 0, 0]) : undefined,
    };
    switch (kind) {
      case 0:
      case 1:
        out.push(udpFrame({ ...c, ...a, sport: port(), dport: port() }));
        break;
      case 2:
      case 3:
        out.push(tcpFrame({
          ...c,
          ...a,
          sport: port(),
          dport: port(),
          seq: Math.floor(r() * 2 ** 32),
          ack: Math.floor(r() * 2 ** 32),
          flags: pick(["S", "SA", "A", "PA", "FA", "R", "RA"]),
          window: (r() * 65536) | 0,
          options: r() < 0.5
            ? new Uint8Array([2, 4, 5, 0xb4, 1, 3, 3, 7, 4, 2])
            : undefined,
        }));
        break;
      case 4:
        out.push(
          v6
            ? icmpv6Frame({ ...c, ...a, identifier: port(), sequence: i })
            : icmpFrame({
              ...c,
              ...a,
              type: pick([0, 8]),
              identifier: port(),
              sequence: i,
            }),
        );
        break;
      case 5:
        out.push(
          arpFrame({
            src: c.src,
            vlan: c.vlan,
            operation: pick([1, 2]),
            dst: c.dst,
            senderIp: ip4(),
            targetIp: ip4(),
            targetMac: c.dst,
          }),
        );
        break;
      default: {
        // a template, one field varied with its checksums adjusted
        const tpl = new PacketTemplate(
          pick([0, 1]) === 0
            ? udpFrame({ ...c, ...a, sport: port(), dport: port() })
            : tcpFrame({
              ...c,
              ...a,
              sport: port(),
              dport: port(),
              flags: "PA",
            }),
        );
        const names = tpl.layers.l4Protocol === 17
          ? ["udp.srcPort", "udp.dstPort"] as const
          : ["tcp.seq", "tcp.ack", "tcp.srcPort"] as const;
        const extra = tpl.layers.ipVersion === 4
          ? ["ipv4.src", "ipv4.ttl", "ipv4.id"] as const
          : ["ipv6.flowLabel"] as const;
        const f = tpl.field(pick([...names, ...extra]));
        const frame = tpl.bytes.slice();
        const v = f.width === 4
          ? Math.floor(r() * 2 ** 32)
          : f.width === 2
          ? (r() * 65536) | 0
          : 1 + ((r() * 254) | 0);
        f.set(
          dataViewOf(frame),
          0,
          f.at === tpl.layers.l4Offset || f.at === tpl.layers.l4Offset + 2
            ? 40000 + (v % 1000)
            : v,
        );
        out.push(frame);
      }
    }
  }
  return out;
}

const SCAPY_CHECK = `
import json, sys
from scapy.all import rdpcap, Ether
res = []
for p in rdpcap(sys.argv[1]):
    p = Ether(bytes(p))
    bad = []
    i = 0
    while p.getlayer(i) is not None:
        lay = p.getlayer(i)
        for name in ("chksum", "cksum", "len", "plen", "ihl", "dataofs"):
            if name in lay.fields and not type(lay).__name__.endswith("error"):
                q = Ether(bytes(p))
                q.getlayer(i).setfieldval(name, None)
                want = Ether(bytes(q)).getlayer(i).getfieldval(name)
                if want != lay.getfieldval(name):
                    bad.append("%s.%s %r != %r" % (type(lay).__name__, name, lay.getfieldval(name), want))
        i += 1
    res.append({"layers": [l.__name__ for l in p.layers()], "bad": bad})
print(json.dumps(res))
`;

Deno.test({
  name:
    "frames we build and write are read by scapy and tshark: no errors, checksums right",
  ignore: skip(noScapy || noTshark),
  async fn() {
    const frames = ourFrames(21, 1000);
    const dir = await Deno.makeTempDir({ prefix: "pk_oracle_" });
    try {
      for (const fmt of ["pcap-us", "pcap-ns", "pcapng"] as const) {
        const path = `${dir}/ours-${fmt}.pcap`;
        const w = PcapWriter.create(path, {
          format: fmt === "pcapng" ? "pcapng" : "pcap",
          nanosecond: fmt !== "pcap-us",
        });
        frames.forEach((f, i) => w.write(f, 1_700_000_000 + i, i * 1001));
        w.close();
        const scapy = JSON.parse(
          await run(PYTHON, ["-c", SCAPY_CHECK, path]),
        ) as { layers: string[]; bad: string[] }[];
        assertEquals(scapy.length, frames.length);
        scapy.forEach((s, i) => {
          assertEquals(
            s.bad,
            [],
            `frame ${i} (${s.layers.join("/")})\n${hexDump(frames[i])}`,
          );
          const L = new PacketLayers();
          L.parse(frames[i]);
          const want = L.etherType === 0x0806
            ? "ARP"
            : L.l4Protocol === 17
            ? "UDP"
            : L.l4Protocol === 6
            ? "TCP"
            : L.ipVersion === 4
            ? "ICMP"
            : "ICMPv6EchoRequest";
          assert(
            s.layers.includes(want),
            `frame ${i}: scapy sees ${s.layers.join("/")}, not ${want}`,
          );
          if (L.vlanCount > 0) assert(s.layers.includes("Dot1Q"));
        });
        const json = JSON.parse(
          await run("tshark", [
            "-r",
            path,
            "-T",
            "json",
            "-o",
            "ip.check_checksum:TRUE",
            "-o",
            "udp.check_checksum:TRUE",
            "-o",
            "tcp.check_checksum:TRUE",
          ]),
        ) as { _source: { layers: Record<string, unknown> } }[];
        assertEquals(json.length, frames.length);
        json.forEach((pkt, i) => {
          const problems: string[] = [];
          let statuses = 0;
          const walk = (o: unknown, path: string) => {
            if (o === null || typeof o !== "object") return;
            for (const [k, v] of Object.entries(o as Record<string, unknown>)) {
              if (k === "_ws.malformed") problems.push(`${path}: malformed`);
              if (k.endsWith(".checksum.status")) {
                statuses++;
                if (v !== "1") problems.push(`${path}.${k} = ${v}`);
              }
              if (k === "_ws.expert.severity" && v === "8388608") {
                problems.push(`${path}: expert error`);
              }
              walk(v, `${path}.${k}`);
            }
          };
          walk(pkt._source.layers, "");
          assertEquals(problems, [], `frame ${i}\n${hexDump(frames[i])}`);
          const isArp = frames[i][12] === 0x08 && frames[i][13] === 0x06 ||
            frames[i][16] === 0x08 && frames[i][17] === 0x06;
          if (!isArp) {
            assert(statuses >= 1, `frame ${i}: tshark checked no checksum`);
          }
        });
        // and our own reader agrees with what we wrote
        const back = await readPcap(path);
        assertEquals(back.map((r) => r.data), frames);
        assertEquals(back[5].seconds, 1_700_000_005);
        assertEquals(
          back[5].nanos,
          fmt === "pcap-us" ? Math.floor(5 * 1001 / 1000) * 1000 : 5 * 1001,
        );
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

// ---- (c) frames scapy builds, read by our reader and views --------------------

const SCAPY_BUILD = `
import ipaddress, json, random, sys
from scapy.all import *
out, seed, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
R = random.Random(seed)
def mac(): return "02:%02x:%02x:%02x:%02x:%02x" % tuple(R.randrange(256) for _ in range(5))
def ip4(): return str(ipaddress.IPv4Address(R.getrandbits(32)))
def ip6(): return str(ipaddress.IPv6Address(R.getrandbits(128) if R.random() < 0.5 else (0x20010db8 << 96) | R.getrandbits(16)))
def port(): return R.randrange(40000, 41000)
def pay(): return bytes(R.randrange(256) for _ in range(R.randrange(0, 48)))
def l2():
    e = Ether(src=mac(), dst=mac())
    if R.random() < 0.3:
        e = e / Dot1Q(vlan=R.randrange(4096), prio=R.randrange(8), id=R.randrange(2))
    return e
def ipv4(**kw):
    opts = []
    if R.random() < 0.3:
        opts = [IPOption_NOP()] * R.randrange(3) + [IPOption_RR(routers=[ip4() for _ in range(R.randrange(1, 4))])]
    return IP(src=ip4(), dst=ip4(), id=R.randrange(65536), ttl=R.randrange(256), tos=R.randrange(256), flags=R.choice([0, 2]), options=opts, **kw)
def ipv6(**kw):
    return IPv6(src=ip6(), dst=ip6(), tc=R.randrange(256), fl=R.randrange(1 << 20), hlim=R.randrange(256), **kw)
def tcp():
    opts = R.sample([("MSS", R.randrange(65536)), ("NOP", None), ("WScale", R.randrange(15)), ("SAckOK", b""), ("Timestamp", (R.getrandbits(32), R.getrandbits(32)))], R.randrange(0, 5))
    return TCP(sport=port(), dport=port(), seq=R.getrandbits(32), ack=R.getrandbits(32), flags=R.randrange(256), window=R.randrange(65536), urgptr=R.randrange(65536), options=opts)
pk = []
for i in range(n):
    k = i % 10
    if k == 0: p = l2() / ipv4() / UDP(sport=port(), dport=port()) / pay()
    elif k == 1: p = l2() / ipv4() / tcp() / pay()
    elif k == 2: p = l2() / ipv4() / ICMP(type=R.choice([0, 8]), id=R.randrange(65536), seq=R.randrange(65536)) / pay()
    elif k == 3: p = l2() / ipv6() / UDP(sport=port(), dport=port()) / pay()
    elif k == 4: p = l2() / ipv6() / tcp() / pay()
    elif k == 5: p = l2() / ipv6() / R.choice([ICMPv6EchoRequest, ICMPv6EchoReply])(id=R.randrange(65536), seq=R.randrange(65536), data=pay())
    elif k == 6: p = l2() / ipv6() / ICMPv6ND_NS(tgt=ip6())
    elif k == 7: p = l2() / ipv6() / ICMPv6ND_NA(tgt=ip6(), R=R.randrange(2), S=R.randrange(2), O=R.randrange(2))
    elif k == 8: p = l2() / ARP(op=R.choice([1, 2]), hwsrc=mac(), psrc=ip4(), hwdst=mac(), pdst=ip4())
    else: p = l2() / ipv4() / ICMP(type=3, code=R.choice([0, 1, 2, 3]), ) / IPerror(src=ip4(), dst=ip4()) / UDPerror(sport=port(), dport=port())
    pk.append(Ether(bytes(p)))
wrpcap(out, pk)
def fields(p):
    d = {}
    raw = bytes(p)
    e = p[Ether]
    d["eth"] = [e.dst, e.src, e.type]
    if Dot1Q in p:
        q = p[Dot1Q]; d["vlan"] = [q.prio, q.id, q.vlan, q.type]
    if IP in p:
        x = p[IP]; hb = bytes(x)
        d["ip"] = [x.version, x.ihl, x.tos, x.len, x.id, int(x.flags), x.frag, x.ttl, x.proto, x.chksum, x.src, x.dst, hb[20:x.ihl * 4].hex()]
    if IPv6 in p:
        x = p[IPv6]; d["ip6"] = [x.version, x.tc, x.fl, x.plen, x.nh, x.hlim, x.src, x.dst]
    if UDP in p and UDPerror not in p:
        x = p[UDP]; d["udp"] = [x.sport, x.dport, x.len, x.chksum]
    if TCP in p:
        x = p[TCP]; hb = bytes(x)
        d["tcp"] = [x.sport, x.dport, x.seq, x.ack, x.dataofs, x.reserved, int(x.flags), x.window, x.chksum, x.urgptr, hb[20:x.dataofs * 4].hex()]
    if ICMP in p:
        x = p[ICMP]; d["icmp"] = [x.type, x.code, x.chksum, x.id if x.type in (0, 8) else None, x.seq if x.type in (0, 8) else None]
    for cls in (ICMPv6EchoRequest, ICMPv6EchoReply):
        if cls in p:
            x = p[cls]; d["icmp6"] = [x.type, x.code, x.cksum, x.id, x.seq]
    for cls in (ICMPv6ND_NS, ICMPv6ND_NA):
        if cls in p:
            x = p[cls]; d["icmp6"] = [x.type, x.code, x.cksum, x.tgt]
    if ARP in p:
        x = p[ARP]; d["arp"] = [x.hwtype, x.ptype, x.hwlen, x.plen, x.op, x.hwsrc, x.psrc, x.hwdst, x.pdst]
    return d
print(json.dumps([fields(p) for p in pk]))
`;

Deno.test({
  name:
    "frames scapy builds are read by our reader and views, every field equal",
  ignore: skip(noScapy),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "pk_oracle_" });
    try {
      const path = `${dir}/scapy.pcap`;
      const want = JSON.parse(
        await run(PYTHON, ["-c", SCAPY_BUILD, path, "4", "1000"]),
      ) as Record<string, unknown[]>[];
      const reader = await PcapReader.open(path);
      const eth = new EthernetView(new Uint8Array(0));
      const ip = new Ipv4View(new Uint8Array(0));
      const ip6 = new Ipv6View(new Uint8Array(0));
      const udp = new UdpView(new Uint8Array(0));
      const tcp = new TcpView(new Uint8Array(0));
      const icmp = new IcmpView(new Uint8Array(0));
      const icmp6 = new Icmpv6View(new Uint8Array(0));
      const arp = new ArpView(new Uint8Array(0));
      const L = new PacketLayers();
      const hexOf = (b: Uint8Array, from: number, to: number) =>
        Array.from(b.subarray(from, to), (x) => x.toString(16).padStart(2, "0"))
          .join("");
      let i = 0;
      for await (const r of reader) {
        const w = want[i];
        const b = r.data, d = dataViewOf(b);
        assert(L.parse(b));
        const got: Record<string, unknown[]> = {};
        eth.on(b, d, 0);
        got.eth = [eth.dst.toString(), eth.src.toString(), eth.etherType];
        if (eth.hasVlan) {
          got.vlan = [eth.vlanPcp, eth.vlanDei, eth.vlanId, eth.vlanEtherType];
        }
        if (L.etherType === 0x0800) {
          ip.on(b, d, L.l3Offset);
          got.ip = [
            ip.version,
            ip.ihl,
            ip.tos,
            ip.totalLength,
            ip.id,
            ip.flags,
            ip.fragmentOffset,
            ip.ttl,
            ip.protocol,
            ip.checksum,
            ip.src.toString(),
            ip.dst.toString(),
            hexOf(b, ip.optionsOffset, ip.payloadOffset),
          ];
        }
        if (L.etherType === 0x86dd) {
          ip6.on(b, d, L.l3Offset);
          got.ip6 = [
            ip6.version,
            ip6.trafficClass,
            ip6.flowLabel,
            ip6.payloadLength,
            ip6.nextHeader,
            ip6.hopLimit,
            ip6.src.toString(),
            ip6.dst.toString(),
          ];
        }
        if (L.l4Protocol === 17) {
          udp.on(b, d, L.l4Offset);
          got.udp = [udp.srcPort, udp.dstPort, udp.length, udp.checksum];
        }
        if (L.l4Protocol === 6) {
          tcp.on(b, d, L.l4Offset);
          got.tcp = [
            tcp.srcPort,
            tcp.dstPort,
            tcp.seq,
            tcp.ack,
            tcp.dataOffset,
            tcp.reserved,
            tcp.flags | (tcp.ns ? 0x100 : 0),
            tcp.window,
            tcp.checksum,
            tcp.urgentPointer,
            hexOf(b, tcp.optionsOffset, tcp.payloadOffset),
          ];
        }
        if (L.l4Protocol === 1) {
          icmp.on(b, d, L.l4Offset);
          const echo = icmp.type === 0 || icmp.type === 8;
          got.icmp = [
            icmp.type,
            icmp.code,
            icmp.checksum,
            echo ? icmp.identifier : null,
            echo ? icmp.sequence : null,
          ];
        }
        if (L.l4Protocol === 58) {
          icmp6.on(b, d, L.l4Offset);
          got.icmp6 = icmp6.type >= 135
            ? [icmp6.type, icmp6.code, icmp6.checksum, icmp6.target.toString()]
            : [
              icmp6.type,
              icmp6.code,
              icmp6.checksum,
              icmp6.identifier,
              icmp6.sequence,
            ];
        }
        if (L.etherType === 0x0806) {
          arp.on(b, d, L.l3Offset);
          got.arp = [
            arp.hardwareType,
            arp.protocolType,
            arp.hardwareLength,
            arp.protocolLength,
            arp.operation,
            arp.senderMac.toString(),
            arp.senderIp.toString(),
            arp.targetMac.toString(),
            arp.targetIp.toString(),
          ];
        }
        assertEquals(got, w, `frame ${i}\n${hexDump(b)}`);
        // and our checksums agree with scapy's
        const copy = b.slice();
        fillChecksums(copy);
        assertEquals(copy, b, `frame ${i}: our checksums differ from scapy's`);
        i++;
      }
      assertEquals(i, want.length);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

// ---- (d) our summary lines agree with tcpdump's -------------------------------

/** Frames for the tcpdump comparison: well-formed ones and broken ones. */
function tcpdumpCases(): { data: Uint8Array; wire: number }[] {
  const cases: { data: Uint8Array; wire: number }[] = [];
  const add = (data: Uint8Array, wire = data.length) =>
    cases.push({ data, wire });
  const a = { ipSrc: "10.0.0.1", ipDst: "10.0.0.2" },
    b = { ipSrc: "10.0.0.2", ipDst: "10.0.0.1" };
  const u = udpFrame({ ...a, sport: 40001, dport: 40002, payloadLength: 18 });
  add(u);
  add(
    udpFrame({
      ...a,
      sport: 40001,
      dport: 40002,
      payloadLength: 18,
      vlan: { id: 5, pcp: 3, dei: 1 },
    }),
  );
  add(udpFrame({ ...a, sport: 40001, dport: 40002, padTo: 60 }));
  // a TCP conversation, relative sequence numbers in plain tcpdump -n
  const t = (
    s: typeof a,
    sport: number,
    dport: number,
    flags: string,
    seq: number,
    ack: number,
    payloadLength = 0,
    options?: Uint8Array,
  ) =>
    add(
      tcpFrame({ ...s, sport, dport, flags, seq, ack, payloadLength, options }),
    );
  t(
    a,
    40001,
    40080,
    "S",
    1000,
    0,
    0,
    new Uint8Array([
      2,
      4,
      5,
      0xb4,
      1,
      3,
      3,
      7,
      4,
      2,
      8,
      10,
      0,
      0,
      0,
      1,
      0,
      0,
      0,
      0,
    ]),
  );
  t(b, 40080, 40001, "SA", 5000, 1001);
  t(a, 40001, 40080, "A", 1001, 5001);
  t(a, 40001, 40080, "PA", 1001, 5001, 5);
  t(
    b,
    40080,
    40001,
    "A",
    5001,
    1006,
    0,
    new Uint8Array([1, 1, 5, 10, 0, 0, 0x03, 0xf0, 0, 0, 0x03, 0xf2]),
  );
  t(a, 40001, 40080, "FA", 1006, 5001);
  t(a, 40001, 40080, "R", 1007, 0);
  t(a, 40001, 40080, "UEC", 7, 0);
  add(
    tcpFrame({
      ...a,
      sport: 40001,
      dport: 40080,
      flags: 0xff,
      urgentPointer: 3,
    }),
  );
  add(
    tcpFrame({
      ...a,
      sport: 40001,
      dport: 40080,
      flags: 0,
      options: new Uint8Array([99, 4, 0xab, 0xcd]),
    }),
  );
  add(
    tcpFrame({
      ipSrc: "2001:db8::1",
      ipDst: "2001:db8::2",
      sport: 40003,
      dport: 40004,
      flags: "S",
      seq: 1,
    }),
  );
  add(
    udpFrame({
      ipSrc: "fe80::1",
      ipDst: "fe80::2",
      sport: 40001,
      dport: 40002,
      payloadLength: 18,
    }),
  );
  add(
    udpFrame({
      ipSrc: "::1",
      ipDst: "::ffff:1.2.3.4",
      sport: 40001,
      dport: 40002,
      vlan: 7,
    }),
  );
  add(icmpFrame({ ...a, identifier: 1, sequence: 2, payloadLength: 56 }));
  add(
    icmpFrame({ ...b, type: 0, identifier: 1, sequence: 2, payloadLength: 56 }),
  );
  const inner = (proto: "udp" | "tcp") =>
    (proto === "udp"
      ? udpFrame({ ...a, ipDst: "10.0.0.3", sport: 40001, dport: 40777 })
      : tcpFrame({ ...a, ipDst: "10.0.0.3", sport: 40001, dport: 40777 }))
      .subarray(14, 14 + 28);
  for (
    const [type, code, proto, rest] of [
      [3, 0, "udp", 0],
      [3, 1, "udp", 0],
      [3, 2, "tcp", 0],
      [3, 3, "udp", 0],
      [3, 3, "tcp", 0],
      [3, 4, "udp", 1500],
      [3, 13, "udp", 0],
      [3, 10, "udp", 0],
      [11, 0, "udp", 0],
      [11, 1, "udp", 0],
      [4, 0, "udp", 0],
      [5, 1, "udp", 0x0a000009],
      [12, 0, "udp", 0x04000000],
      [10, 0, "udp", 0],
      [200, 0, "udp", 0],
    ] as const
  ) {
    const f = icmpFrame({ ...b, type, code, payload: inner(proto) });
    new DataView(f.buffer).setUint32(38, rest);
    fillChecksums(f);
    add(f);
  }
  const v6 = { ipSrc: "fe80::1", ipDst: "fe80::2" };
  add(icmpv6Frame({ ...v6, identifier: 1, sequence: 2, payloadLength: 8 }));
  add(
    icmpv6Frame({
      ...v6,
      type: 129,
      identifier: 1,
      sequence: 2,
      payloadLength: 8,
    }),
  );
  const inner6 = udpFrame({
    ipSrc: "fe80::2",
    ipDst: "fe80::3",
    sport: 40001,
    dport: 40777,
  }).subarray(14);
  const target = new Uint8Array(16);
  target.set([0xfe, 0x80], 0);
  target[15] = 2;
  for (
    const [type, code, rest, payload] of [
      [135, 0, 0, target],
      [136, 0, 0x60000000, target],
      [133, 0, 0, new Uint8Array(0)],
      [134, 0, 0x40000000, new Uint8Array(8)],
      [1, 0, 0, inner6],
      [1, 1, 0, inner6],
      [1, 3, 0, inner6],
      [1, 4, 0, inner6],
      [2, 0, 1280, inner6],
      [3, 0, 0, inner6],
      [3, 1, 0, inner6],
      [4, 0, 7, inner6],
      [4, 1, 40, inner6],
      [4, 2, 41, inner6],
    ] as const
  ) {
    const f = icmpv6Frame({ ...v6, type, code, payload });
    new DataView(f.buffer).setUint32(58, rest);
    fillChecksums(f);
    add(f);
  }
  add(arpFrame({ senderIp: "10.0.0.1", targetIp: "10.0.0.2" }));
  add(
    arpFrame({
      senderIp: "10.0.0.1",
      targetIp: "10.0.0.2",
      targetMac: "02:00:00:00:00:09",
      dst: "02:00:00:00:00:09",
      padTo: 60,
    }),
  );
  add(
    arpFrame({
      operation: 2,
      dst: "02:00:00:00:00:01",
      senderIp: "10.0.0.2",
      targetIp: "10.0.0.1",
      targetMac: "02:00:00:00:00:01",
      vlan: 100,
    }),
  );
  // a non-first fragment, an unknown protocol, an unknown EtherType
  const frag = udpFrame({ ...a, sport: 1, dport: 2, payloadLength: 22 });
  new DataView(frag.buffer).setUint16(20, 5);
  fillChecksums(frag);
  add(frag);
  const proto = udpFrame({ ...a, sport: 1, dport: 2, payloadLength: 2 });
  proto[23] = 253;
  fillChecksums(proto);
  add(proto);
  const unknown = new Uint8Array(22);
  unknown.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xb5, 0x61, 0x62]);
  add(unknown);
  // broken: snapped short, short on the wire, bad header and length fields
  for (const n of [13, 14, 20, 33, 34, 36, 38, 41]) {
    add(u.subarray(0, n), u.length);
  }
  add(u.subarray(0, 37));
  const opt = tcpFrame({
    ...a,
    sport: 40001,
    dport: 40080,
    options: new Uint8Array([
      2,
      4,
      5,
      0xb4,
      1,
      1,
      5,
      10,
      0,
      0,
      0,
      1,
      0,
      0,
      0,
      2,
    ]),
  });
  for (const n of [34, 38, 46, 54, 56, 58, 60]) {
    add(opt.subarray(0, n), opt.length);
  }
  const v6u = udpFrame({ ...v6, sport: 40001, dport: 40002 });
  for (const n of [20, 54, 56]) add(v6u.subarray(0, n), v6u.length);
  const arpShort = arpFrame({ senderIp: "10.0.0.1", targetIp: "10.0.0.2" });
  add(arpShort.subarray(0, 30), arpShort.length);
  const edit = (f: Uint8Array, at: number, v: number[]) => {
    const c = f.slice();
    c.set(v, at);
    add(c);
  };
  edit(u, 14, [0x44]);
  edit(u, 14, [0x46]);
  edit(u, 14, [0x65]);
  edit(u, 14, [0x55]);
  edit(u, 16, [0, 10]);
  edit(u, 16, [0, 200]);
  edit(u, 38, [0, 100]);
  edit(u, 38, [0, 4]);
  edit(opt, 46, [0x40]);
  edit(v6u, 18, [0, 100]);
  return cases;
}

Deno.test({
  name: "our summary lines are tcpdump's, with and without -e and -S",
  ignore: skip(noTcpdump || noScapy),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "pk_oracle_" });
    try {
      // our edge cases, then scapy's random frames of every kind
      const cases = tcpdumpCases();
      const scapyPath = `${dir}/scapy.pcap`;
      await run(PYTHON, ["-c", SCAPY_BUILD, scapyPath, "9", "400"]);
      const records: PcapRecord[] = [];
      for await (const r of await PcapReader.open(scapyPath)) records.push(r);
      const path = `${dir}/cases.pcap`;
      const w = PcapWriter.create(path, { nanosecond: true });
      cases.forEach((c, i) => w.write(c.data, i, 0, c.wire));
      records.forEach((r, i) =>
        w.write(r.data, cases.length + i, 0, r.originalLength)
      );
      w.close();
      const all = [
        ...cases,
        ...records.map((r) => ({ data: r.data, wire: r.originalLength })),
      ];
      for (
        const flags of [["-n"], ["-n", "-e"], ["-n", "-S"], ["-n", "-e", "-S"]]
      ) {
        const text = await run("tcpdump", [...flags, "-r", path], {
          TZ: "UTC",
        });
        const lines = text.split("\n").filter((l) =>
          l !== "" && !l.startsWith("\t")
        )
          .map((l) => l.replace(/^\d\d:\d\d:\d\d\.\d+ /, ""));
        assertEquals(lines.length, all.length, text);
        const link = flags.includes("-e"), relative = !flags.includes("-S");
        const dis = new Dissector({ link, relativeSeq: relative });
        all.forEach((c, i) => {
          const ours = relative
            ? dis.summary(c.data, 0, c.data.length, c.wire)
            : summarize(c.data, 0, c.data.length, { link }, c.wire);
          assertEquals(
            ours,
            lines[i],
            `tcpdump ${flags.join(" ")}, frame ${i}\n${hexDump(c.data)}`,
          );
        });
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "hexDump is hexdump -C; Ipv6Addr formats as Python's ipaddress (RFC 5952)",
  ignore: skip(noScapy || noHexdump),
  async fn() {
    const r = rng(5952);
    const dir = await Deno.makeTempDir({ prefix: "pk_oracle_" });
    try {
      for (const len of [1, 15, 16, 17, 64, 100, 333]) {
        const b = new Uint8Array(len);
        for (let i = 0; i < len; i++) b[i] = r() < 0.3 ? 0 : (r() * 256) | 0;
        if (len > 64) b.fill(7, 16, 64); // repeated lines fold into '*'
        await Deno.writeFile(`${dir}/b`, b);
        assertEquals(hexDump(b), await run("hexdump", ["-C", `${dir}/b`]));
      }
      const addrs: string[] = [];
      for (let i = 0; i < 2000; i++) {
        const words = Array.from(
          { length: 8 },
          () => (r() < 0.5 ? 0 : (r() * 65536) | 0).toString(16),
        );
        if (i % 10 === 0) words.splice(0, 6, "0", "0", "0", "0", "0", "ffff");
        addrs.push(words.join(":"));
      }
      const p = new Deno.Command(PYTHON, {
        args: [
          "-c",
          "import ipaddress,sys\nfor a in sys.stdin.read().split():\n  x = ipaddress.IPv6Address(a)\n  print(('::ffff:' + str(x.ipv4_mapped)) if x.ipv4_mapped else x.compressed)",
        ],
        stdin: "piped",
        stdout: "piped",
      }).spawn();
      const wr = p.stdin.getWriter();
      await wr.write(new TextEncoder().encode(addrs.join("\n")));
      await wr.close();
      const want = new TextDecoder().decode((await p.output()).stdout).trim()
        .split("\n");
      const { Ipv6Addr } = await import("../lib/packet/addr.ts");
      assertEquals(addrs.map((a) => Ipv6Addr.parse(a).toString()), want);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
