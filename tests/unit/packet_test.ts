/**
 * lib/packet without the shim or any permission: addresses, header views,
 * checksums against published and precomputed vectors (frames built by
 * scapy), builders and templates, dissection of malformed input, pcap and
 * pcapng round trips through in-memory files. The tools themselves (DPDK,
 * scapy, tshark, tcpdump) judge the same code in tests/packet_oracle_test.ts.
 */

import {
  assert,
  assertEquals,
  assertFalse,
  assertNotEquals,
  assertRejects,
  assertThrows,
} from "@std/assert";
import {
  formatIpv6,
  Ipv4Addr,
  Ipv6Addr,
  MacAddr,
} from "../../lib/packet/addr.ts";
import {
  ArpView,
  dataViewOf,
  EthernetView,
  Icmpv6View,
  IcmpView,
  Ipv4View,
  Ipv6View,
  PacketLayers,
  TCP_FLAGS,
  TcpView,
  UdpView,
} from "../../lib/packet/headers.ts";
import {
  checksumAdjust,
  checksumAdjust32,
  foldSum,
  icmpChecksum,
  icmpv6Checksum,
  internetChecksum,
  ipv4Checksum,
  ipv4ChecksumValid,
  ipv4L4Checksum,
  ipv4PseudoHeaderSum,
  ipv6L4Checksum,
  onesSum,
  rawChecksum,
} from "../../lib/packet/checksum.ts";
import {
  arpFrame,
  fillChecksums,
  icmpFrame,
  icmpv6Frame,
  PacketTemplate,
  tcpFlags,
  tcpFrame,
  udpFrame,
} from "../../lib/packet/build.ts";
import {
  Dissector,
  hexDump,
  summarize,
  tcpFlagString,
} from "../../lib/packet/dissect.ts";
import {
  PcapFormatError,
  PcapReader,
  type PcapRecord,
  type PcapSource,
  PcapWriter,
  type PcapWriterOptions,
} from "../../lib/packet/pcap.ts";

function hex(s: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  }
  return out;
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

// Frames built by scapy 2.5 (bytes(...).hex()), checksums by scapy:
// Ether(src="02:00:00:00:00:01",dst="02:00:00:00:00:02")/...
const SCAPY = {
  // IP(src="10.0.0.1",dst="10.0.0.2",id=7)/UDP(sport=1234,dport=5678)/b"hello world!"
  udp4:
    "02000000000202000000000108004500002800070000401166bc0a0000010a00000204d2162e00143ed468656c6c6f20776f726c6421",
  // IPv6(src="2001:db8::1",dst="2001:db8::2")/TCP(sport=40000,dport=8080,flags="PA",
  //   seq=1000,ack=2000,options=[("MSS",1460),("NOP",None),("WScale",7)])/b"abc"
  tcp6:
    "02000000000202000000000186dd60000000001f064020010db800000000000000000000000120010db80000000000000000000000029c401f90000003e8000007d0701820007c9f0000020405b401030307616263",
  // IPv6(src="fe80::1",dst="ff02::1")/ICMPv6EchoRequest(id=1,seq=2,data=b"xyz")
  icmp6:
    "02000000000202000000000186dd60000000000b3a40fe800000000000000000000000000001ff02000000000000000000000000000180008fb70001000278797a",
  // Dot1Q(vlan=100,prio=5)/IP(src="192.168.1.1",dst="192.168.1.2",
  //   options=[IPOption_RR(routers=["1.2.3.4"])])/ICMP(id=9,seq=10)/b"ping"
  vlanIcmp:
    "0200000000020200000000018100a064080047000028000100004001e475c0a80101c0a8010207070401020304000800191c0009000a70696e67",
};

// ---- addresses ----------------------------------------------------------

Deno.test("MacAddr parses both separators and formats lower case", () => {
  assertEquals(
    MacAddr.parse("02:00:00:00:00:01").toString(),
    "02:00:00:00:00:01",
  );
  assertEquals(MacAddr.parse("AA-bb-0C-d-E-f").toString(), "aa:bb:0c:0d:0e:0f");
  for (
    const bad of [
      "02:00:00:00:00",
      "02:00:00:00:00:01:02",
      "02:00-00:00:00:01",
      "zz:00:00:00:00:01",
      "",
    ]
  ) {
    assertThrows(() => MacAddr.parse(bad), SyntaxError, "not a MAC");
  }
  const b = new Uint8Array(10);
  MacAddr.parse("ff:ee:dd:cc:bb:aa").writeTo(b, 3);
  assertEquals(Array.from(b.subarray(3, 9)), [
    0xff,
    0xee,
    0xdd,
    0xcc,
    0xbb,
    0xaa,
  ]);
  assert(MacAddr.parse("ff:ee:dd:cc:bb:aa").equalsAt(b, 3));
  assertFalse(MacAddr.parse("ff:ee:dd:cc:bb:ab").equalsAt(b, 3));
  assertEquals(MacAddr.readFrom(b, 3).toString(), "ff:ee:dd:cc:bb:aa");
  assertThrows(() => MacAddr.readFrom(b, 5), RangeError, "do not fit");
  assert(MacAddr.BROADCAST.isMulticast);
  assertFalse(MacAddr.parse("02:00:00:00:00:01").isMulticast);
});

Deno.test("Ipv4Addr parses dotted quads strictly", () => {
  const a = Ipv4Addr.parse("10.0.0.1");
  assertEquals(a.value, 0x0a000001);
  assertEquals(a.toString(), "10.0.0.1");
  assertEquals(Ipv4Addr.parse("255.255.255.255").value, 0xffffffff);
  for (
    const bad of [
      "10.0.0",
      "10.0.0.1.2",
      "256.0.0.1",
      "01.2.3.4",
      "1.2.3.-4",
      "a.b.c.d",
      "1..2.3",
      "",
    ]
  ) {
    assertThrows(() => Ipv4Addr.parse(bad), SyntaxError, "not an IPv4");
  }
  assertThrows(() => new Ipv4Addr(2 ** 32), RangeError);
  const b = new Uint8Array(6);
  Ipv4Addr.parse("192.168.1.254").writeTo(b, 1);
  assertEquals(Array.from(b), [0, 192, 168, 1, 254, 0]);
  assertEquals(Ipv4Addr.readFrom(b, 1).toString(), "192.168.1.254");
  assert(Ipv4Addr.parse("192.168.1.254").equalsAt(b, 1));
});

Deno.test("Ipv6Addr formats as RFC 5952 says", () => {
  const cases: [string, string][] = [
    ["2001:0db8:0000:0000:0000:0000:0002:0001", "2001:db8::2:1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"], // first of two equal runs
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"], // the longest run
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"], // one zero group stays
    ["2001:DB8::AbCd", "2001:db8::abcd"],
    ["0:0:0:0:0:0:0:0", "::"],
    ["::1", "::1"],
    ["1::", "1::"],
    ["fe80::1", "fe80::1"],
    ["ff02::1:ff00:2", "ff02::1:ff00:2"],
    ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"],
    ["::ffff:10.0.0.1", "::ffff:10.0.0.1"],
    ["::ffff:a00:1", "::ffff:10.0.0.1"],
    ["1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"],
    ["::1.2.3.4", "::102:304"],
  ];
  for (const [text, want] of cases) {
    assertEquals(Ipv6Addr.parse(text).toString(), want, text);
    assertEquals(Ipv6Addr.parse(want).toString(), want);
  }
  for (
    const bad of [
      ":::",
      "1::2::3",
      "1:2:3:4:5:6:7:8:9",
      "g::1",
      "12345::",
      "::ffff:1.2.3",
      ":1",
      "1:",
      "fe80::1%eth0",
      "1:2:3:4:5:6:7:8::",
    ]
  ) {
    assertThrows(() => Ipv6Addr.parse(bad), SyntaxError, "not an IPv6", bad);
  }
  const b = new Uint8Array(20);
  Ipv6Addr.parse("2001:db8::1").writeTo(b, 2);
  assertEquals(formatIpv6(b, 2), "2001:db8::1");
  assert(Ipv6Addr.parse("2001:db8::1").equalsAt(b, 2));
  assertFalse(Ipv6Addr.parse("2001:db8::2").equalsAt(b, 2));
});

// ---- views ---------------------------------------------------------------

Deno.test("views read every field of scapy's frames", () => {
  const f = hex(SCAPY.udp4);
  const eth = new EthernetView(f);
  assertEquals(eth.dst.toString(), "02:00:00:00:00:02");
  assertEquals(eth.src.toString(), "02:00:00:00:00:01");
  assertEquals(
    [eth.etherType, eth.hasVlan, eth.headerLength, eth.payloadType],
    [0x0800, false, 14, 0x0800],
  );
  const ip = new Ipv4View(f, undefined, eth.payloadOffset);
  assertEquals(
    [
      ip.version,
      ip.ihl,
      ip.headerLength,
      ip.tos,
      ip.totalLength,
      ip.id,
      ip.flags,
      ip.fragmentOffset,
      ip.ttl,
      ip.protocol,
      ip.checksum,
    ],
    [4, 5, 20, 0, 40, 7, 0, 0, 64, 17, 0x66bc],
  );
  assertEquals([ip.src.toString(), ip.dst.toString(), ip.srcValue], [
    "10.0.0.1",
    "10.0.0.2",
    0x0a000001,
  ]);
  const udp = new UdpView(f, undefined, ip.payloadOffset);
  assertEquals([
    udp.srcPort,
    udp.dstPort,
    udp.length,
    udp.checksum,
    udp.payloadLength,
  ], [1234, 5678, 20, 0x3ed4, 12]);

  const t = hex(SCAPY.tcp6);
  const ip6 = new Ipv6View(t, undefined, 14);
  assertEquals(
    [
      ip6.version,
      ip6.trafficClass,
      ip6.flowLabel,
      ip6.payloadLength,
      ip6.nextHeader,
      ip6.hopLimit,
    ],
    [6, 0, 0, 31, 6, 64],
  );
  assertEquals([ip6.src.toString(), ip6.dst.toString()], [
    "2001:db8::1",
    "2001:db8::2",
  ]);
  const tcp = new TcpView(t, undefined, ip6.payloadOffset);
  assertEquals(
    [
      tcp.srcPort,
      tcp.dstPort,
      tcp.seq,
      tcp.ack,
      tcp.dataOffset,
      tcp.headerLength,
      tcp.flags,
      tcp.window,
      tcp.checksum,
      tcp.urgentPointer,
    ],
    [
      40000,
      8080,
      1000,
      2000,
      7,
      28,
      TCP_FLAGS.PSH | TCP_FLAGS.ACK,
      8192,
      0x7c9f,
      0,
    ],
  );
  assertEquals([tcp.psh, tcp.ackFlag, tcp.syn, tcp.fin, tcp.optionsLength], [
    true,
    true,
    false,
    false,
    8,
  ]);

  const v = hex(SCAPY.vlanIcmp);
  const ve = new EthernetView(v);
  assertEquals([
    ve.hasVlan,
    ve.vlanId,
    ve.vlanPcp,
    ve.vlanDei,
    ve.vlanEtherType,
    ve.headerLength,
  ], [true, 100, 5, 0, 0x0800, 18]);
  const vip = new Ipv4View(v, undefined, 18);
  assertEquals([vip.ihl, vip.optionsLength, vip.payloadLength], [7, 8, 12]);
  const icmp = new IcmpView(v, undefined, vip.payloadOffset);
  assertEquals([
    icmp.type,
    icmp.code,
    icmp.checksum,
    icmp.identifier,
    icmp.sequence,
  ], [8, 0, 0x191c, 9, 10]);

  const c6 = hex(SCAPY.icmp6);
  const i6 = new Icmpv6View(c6, undefined, 54);
  assertEquals([i6.type, i6.code, i6.checksum, i6.identifier, i6.sequence], [
    128,
    0,
    0x8fb7,
    1,
    2,
  ]);
});

Deno.test("setters write their bits only, and at() re-points a view", () => {
  const buf = new Uint8Array(16384);
  const data = dataViewOf(buf);
  const ip = new Ipv4View(buf, data);
  const tcp = new TcpView(buf, data);
  const r = rng(1);
  for (let i = 0; i < 200; i++) {
    const at = 64 * i + (i & 7);
    buf.fill(0xa5, at, at + 60);
    ip.at(at);
    ip.version = 4;
    ip.ihl = 6;
    ip.dscp = 46;
    ip.ecn = 1;
    ip.fragmentOffset = 0x1abc;
    ip.dontFragment = true;
    ip.moreFragments = false;
    ip.srcValue = 0xc0a80001;
    assertEquals([ip.version, ip.ihl, ip.dscp, ip.ecn, ip.tos], [
      4,
      6,
      46,
      1,
      46 << 2 | 1,
    ]);
    assertEquals([
      ip.fragmentOffset,
      ip.dontFragment,
      ip.moreFragments,
      ip.flags,
    ], [0x1abc, true, false, 0b010 | (0xa5 >> 7) << 2]);
    assertEquals(ip.src.toString(), "192.168.0.1");
    assertEquals(buf[at + 8], 0xa5); // TTL untouched
    tcp.at(at + 24);
    const seq = Math.floor(r() * 2 ** 32);
    tcp.seq = seq;
    tcp.dataOffset = 8;
    tcp.flags = 0;
    tcp.syn = true;
    tcp.ackFlag = true;
    tcp.ns = true;
    assertEquals([tcp.seq, tcp.dataOffset, tcp.flags, tcp.ns, tcp.reserved], [
      seq,
      8,
      0x12,
      true,
      (0xa5 >> 1) & 7,
    ]);
    tcp.ns = false;
    assertEquals(buf[at + 24 + 12], 0x80 | (0xa5 & 0x0e));
  }
  const e = new EthernetView(buf, data, 0);
  buf.set(hex(SCAPY.vlanIcmp), 0);
  e.vlanId = 4095;
  e.vlanPcp = 1;
  e.vlanDei = 1;
  assertEquals([e.vlanId, e.vlanPcp, e.vlanDei, e.vlanTci], [
    4095,
    1,
    1,
    0x3fff,
  ]);
  e.swapAddresses();
  assertEquals([e.src.toString(), e.dst.toString()], [
    "02:00:00:00:00:02",
    "02:00:00:00:00:01",
  ]);
  const v6 = new Ipv6View(buf, data, 100);
  v6.version = 6;
  v6.trafficClass = 0xab;
  v6.flowLabel = 0xfedcb;
  assertEquals([v6.version, v6.trafficClass, v6.flowLabel], [6, 0xab, 0xfedcb]);
  const arp = new ArpView(buf, data, 200);
  arp.senderMac = "02:00:00:00:00:09";
  arp.targetIp = "10.9.8.7";
  arp.operation = 2;
  assertEquals([
    arp.senderMac.toString(),
    arp.targetIp.toString(),
    arp.targetIpValue,
    arp.operation,
  ], ["02:00:00:00:00:09", "10.9.8.7", 0x0a090807, 2]);
});

Deno.test("PacketLayers finds layers and refuses inconsistent lengths", () => {
  const L = new PacketLayers();
  const v = hex(SCAPY.vlanIcmp);
  assert(L.parse(v));
  assertEquals([
    L.vlanCount,
    L.vlanTci,
    L.etherType,
    L.l2Length,
    L.l3Offset,
    L.ipVersion,
    L.l3Length,
    L.l4Protocol,
    L.l4Offset,
    L.l4Length,
    L.ipComplete,
  ], [1, 0xa064, 0x0800, 18, 18, 4, 28, 1, 46, 12, true]);
  assert(L.parse(v, 0, v.length - 1)); // IP total length past the frame
  assertFalse(L.ipComplete);
  assertEquals(L.l4Offset, -1);
  assertFalse(L.parse(v, 0, 13));
  const bad = hex(SCAPY.udp4);
  bad[14] = 0x44; // IHL 4
  assert(L.parse(bad));
  assertFalse(L.ipComplete);
  const t = hex(SCAPY.tcp6);
  assert(L.parse(t));
  assertEquals([L.ipVersion, L.l4Protocol, L.l4Offset, L.l4Length], [
    6,
    6,
    54,
    31,
  ]);
});

// ---- checksums -----------------------------------------------------------

Deno.test("RFC 1071 and known IPv4 header vectors", () => {
  // RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2
  const b = hex("0001f203f4f5f6f7");
  assertEquals(rawChecksum(b, 0, 8), 0xddf2);
  assertEquals(internetChecksum(b, 0, 8), 0x220d);
  assertEquals(foldSum(onesSum(b, 0, 8)), 0xddf2);
  // odd length: the last byte is the high byte of a zero-padded word
  // 0x0102 + 0xff00 = 0x10002, folded with end-around carry
  assertEquals(rawChecksum(hex("0102ff"), 0, 3), 0x0003);
  // a classic header (checksum b861), the field filled with garbage
  const h = hex("450000730000400040110000c0a80001c0a800c7");
  h[10] = 0x12;
  h[11] = 0x34;
  assertEquals(ipv4Checksum(h, 0), 0xb861);
  assertFalse(ipv4ChecksumValid(h, 0));
  h[10] = 0xb8;
  h[11] = 0x61;
  assert(ipv4ChecksumValid(h, 0));
  h[0] = 0x44;
  assertThrows(() => ipv4Checksum(h, 0), RangeError, "IHL 4 < 5");
  assertThrows(() => rawChecksum(h, 10, 11), RangeError, "outside");
});

Deno.test("checksums of scapy's frames, whatever the fields held", () => {
  for (
    const [name, at, ip, l4, want] of [
      ["udp4", 40, 14, 34, 0x3ed4],
      ["tcp6", 70, 14, 54, 0x7c9f],
      ["icmp6", 56, 14, 54, 0x8fb7],
    ] as const
  ) {
    const f = hex(SCAPY[name]);
    f[at] ^= 0x5a; // garbage in the field: it counts as zero
    const got = f[14] >> 4 === 4
      ? ipv4L4Checksum(f, ip, l4)
      : name === "icmp6"
      ? icmpv6Checksum(f, ip, l4)
      : ipv6L4Checksum(f, ip, l4);
    assertEquals(got, want, name);
  }
  // 10.0.0.1 + 10.0.0.2 + protocol 17 + UDP length 20
  assertEquals(ipv4PseudoHeaderSum(hex(SCAPY.udp4), 14), 0x1428);
  const v = hex(SCAPY.vlanIcmp);
  assertEquals(ipv4Checksum(v, 18), 0xe475);
  assertEquals(icmpChecksum(v, 46, 12), 0x191c);
  const u = hex(SCAPY.udp4);
  assertThrows(
    () => ipv4L4Checksum(u.subarray(0, 50), 14),
    RangeError,
    "outside",
  );
});

Deno.test("UDP maps a computed 0 to 0xffff, TCP keeps 0", () => {
  for (const proto of [17, 6]) {
    const f = proto === 17
      ? udpFrame({
        ipSrc: "10.1.2.3",
        ipDst: "10.4.5.6",
        sport: 7,
        dport: 9,
        payloadLength: 2,
      })
      : tcpFrame({
        ipSrc: "10.1.2.3",
        ipDst: "10.4.5.6",
        sport: 7,
        dport: 9,
        payloadLength: 2,
      });
    const d = dataViewOf(f);
    const pay = f.length - 2;
    // the payload word that brings the sum to 0xffff: checksum 0
    const c = ipv4L4Checksum(f, 14);
    d.setUint16(pay, c === 0xffff && proto === 17 ? 0 : c);
    assertEquals(ipv4L4Checksum(f, 14), proto === 17 ? 0xffff : 0);
  }
});

Deno.test("RFC 1624 adjustments equal a full computation (20,000 seeded cases)", () => {
  const r = rng(1624);
  const f = udpFrame({
    ipSrc: "10.0.0.1",
    ipDst: "10.0.0.2",
    sport: 1,
    dport: 2,
    payloadLength: 31,
  });
  const d = dataViewOf(f);
  for (let i = 0; i < 20000; i++) {
    for (let k = 42; k < f.length; k++) f[k] = (r() * 256) | 0;
    fillChecksums(f);
    const at = r() < 0.5 ? 34 : 42 + 2 * Math.floor(r() * 15); // a port or a payload word
    const old = d.getUint16(at),
      next = r() < 0.01 ? 0xffff - old : (r() * 65536) | 0;
    const adjusted = checksumAdjust(d.getUint16(40), old, next, true);
    d.setUint16(at, next);
    assertEquals(adjusted, ipv4L4Checksum(f, 14), `case ${i}`);
    const old32 = d.getUint32(26), next32 = Math.floor(r() * 2 ** 32);
    const adj32 = checksumAdjust32(d.getUint16(24), old32, next32);
    d.setUint32(26, next32);
    assertEquals(adj32, ipv4Checksum(f, 14), `case ${i} (32-bit)`);
  }
});

// ---- builders and templates ---------------------------------------------

Deno.test("udpFrame matches scapy's bytes; builders fill every length", () => {
  const f = udpFrame({
    ipSrc: "10.0.0.1",
    ipDst: "10.0.0.2",
    id: 7,
    sport: 1234,
    dport: 5678,
    payload: new TextEncoder().encode("hello world!"),
  });
  assertEquals(f, hex(SCAPY.udp4));
  const t = tcpFrame({
    ipSrc: "2001:db8::1",
    ipDst: "2001:db8::2",
    sport: 40000,
    dport: 8080,
    flags: "PA",
    seq: 1000,
    ack: 2000,
    options: hex("020405b401030307"),
    payload: new TextEncoder().encode("abc"),
  });
  assertEquals(t, hex(SCAPY.tcp6));
  // options are padded with zeros (EOL) to whole words
  const padded = tcpFrame({
    ipSrc: "10.0.0.1",
    ipDst: "10.0.0.2",
    sport: 1,
    dport: 2,
    options: hex("0303"),
  });
  assertEquals(new TcpView(padded, undefined, 34).headerLength, 24);
  assertEquals(Array.from(padded.subarray(54, 58)), [3, 3, 0, 0]);
  const i6 = icmpv6Frame({
    ipSrc: "fe80::1",
    ipDst: "ff02::1",
    identifier: 1,
    sequence: 2,
    payload: new TextEncoder().encode("xyz"),
  });
  assertEquals(i6, hex(SCAPY.icmp6));
  const vi = icmpFrame({
    ipSrc: "192.168.1.1",
    ipDst: "192.168.1.2",
    id: 1,
    vlan: { id: 100, pcp: 5 },
    ipOptions: hex("07070401020304"),
    identifier: 9,
    sequence: 10,
    payload: new TextEncoder().encode("ping"),
  });
  assertEquals(vi, hex(SCAPY.vlanIcmp));
  const arp = arpFrame({
    senderIp: "10.0.0.1",
    targetIp: "10.0.0.2",
    padTo: 60,
  });
  assertEquals(arp.length, 60);
  assertEquals(new ArpView(arp, undefined, 14).targetIp.toString(), "10.0.0.2");
  assertEquals(new EthernetView(arp).dst.toString(), "ff:ff:ff:ff:ff:ff");
  assertThrows(
    () => udpFrame({ ipSrc: "10.0.0.1", ipDst: "::1", sport: 1, dport: 2 }),
    TypeError,
    "one family",
  );
  assertThrows(
    () =>
      udpFrame({
        ipSrc: "10.0.0.1",
        ipDst: "10.0.0.2",
        sport: 1,
        dport: 2,
        vlan: 4096,
      }),
    RangeError,
    "vlan id",
  );
  assertThrows(() => tcpFlags("SX"), SyntaxError, "unknown flag");
  assertEquals(tcpFlags("FSRPAUEC"), 0xff);
  assertThrows(
    () => arpFrame({ operation: 2, senderIp: "1.1.1.1", targetIp: "2.2.2.2" }),
    TypeError,
    "dst is required",
  );
});

Deno.test("template fields keep every checksum right (stamped at odd offsets)", () => {
  const r = rng(7);
  const frames = [
    udpFrame({
      ipSrc: "10.0.0.1",
      ipDst: "10.0.0.2",
      sport: 1000,
      dport: 9,
      payloadLength: 19,
      vlan: 3,
    }),
    tcpFrame({
      ipSrc: "10.0.0.1",
      ipDst: "10.0.0.2",
      sport: 1000,
      dport: 9,
      payloadLength: 5,
      flags: "PA",
    }),
    tcpFrame({
      ipSrc: "fe80::1",
      ipDst: "fe80::2",
      sport: 1000,
      dport: 9,
      payloadLength: 5,
    }),
    udpFrame({
      ipSrc: "fe80::1",
      ipDst: "fe80::2",
      sport: 1000,
      dport: 9,
      payloadLength: 5,
    }),
    icmpFrame({ ipSrc: "10.0.0.1", ipDst: "10.0.0.2", payloadLength: 9 }),
    icmpv6Frame({ ipSrc: "fe80::1", ipDst: "fe80::2", payloadLength: 9 }),
  ];
  const names = {
    0: [
      "udp.srcPort",
      "udp.dstPort",
      "ipv4.src",
      "ipv4.dst",
      "ipv4.id",
      "ipv4.ttl",
    ],
    1: [
      "tcp.srcPort",
      "tcp.dstPort",
      "tcp.seq",
      "tcp.ack",
      "ipv4.src",
      "ipv4.ttl",
    ],
    2: ["tcp.srcPort", "tcp.seq", "ipv6.flowLabel"],
    3: ["udp.srcPort", "udp.dstPort"],
    4: ["icmp.identifier", "icmp.sequence", "ipv4.ttl", "ipv4.dst"],
    5: ["icmp.identifier", "icmp.sequence"],
  } as const;
  const buf = new Uint8Array(2048 * 8);
  const data = dataViewOf(buf);
  const offs = Uint32Array.from({ length: 8 }, (_, i) => 2048 * i + 2 * i + 1);
  const lens = new Uint16Array(8);
  frames.forEach((frame, k) => {
    const tpl = new PacketTemplate(frame);
    tpl.stampAll(buf, offs, 8, lens);
    assertEquals(lens[7], frame.length);
    const fields = names[k as keyof typeof names].map((n) => tpl.field(n));
    for (let i = 0; i < 2000; i++) {
      const p = i % 8, o = offs[p];
      const f = fields[i % fields.length];
      const max = f.width === 4 ? 2 ** 32 : 2 ** (8 * f.width);
      f.set(data, o, Math.floor(r() * max));
      const copy = buf.slice(o, o + frame.length);
      fillChecksums(copy);
      assertEquals(
        buf.subarray(o, o + frame.length),
        copy,
        `frame ${k} field ${i % fields.length} step ${i}`,
      );
    }
  });
  assertThrows(
    () => new PacketTemplate(frames[0]).field("tcp.seq"),
    TypeError,
    "no tcp.seq",
  );
});

// ---- dissection ----------------------------------------------------------

Deno.test("summaries of well-formed frames (lines tcpdump -n printed)", () => {
  assertEquals(
    summarize(hex(SCAPY.udp4)),
    "IP 10.0.0.1.1234 > 10.0.0.2.5678: UDP, length 12",
  );
  assertEquals(
    summarize(hex(SCAPY.tcp6)),
    "IP6 2001:db8::1.40000 > 2001:db8::2.8080: Flags [P.], seq 1000:1003, ack 2000, win 8192, options [mss 1460,nop,wscale 7], length 3",
  );
  assertEquals(
    summarize(hex(SCAPY.vlanIcmp)),
    "IP 192.168.1.1 > 192.168.1.2: ICMP echo request, id 9, seq 10, length 12",
  );
  assertEquals(
    summarize(hex(SCAPY.vlanIcmp), 0, undefined, { link: true }),
    "02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype 802.1Q (0x8100), length 58: vlan 100, p 5, ethertype IPv4 (0x0800), 192.168.1.1 > 192.168.1.2: ICMP echo request, id 9, seq 10, length 12",
  );
  assertEquals(
    summarize(hex(SCAPY.icmp6)),
    "IP6 fe80::1 > ff02::1: ICMP6, echo request, id 1, seq 2, length 11",
  );
  assertEquals(tcpFlagString(0), "none");
  assertEquals(tcpFlagString(0xff), "FSRP.UEW");
});

Deno.test("Dissector prints relative TCP sequence numbers as tcpdump does", () => {
  const d = new Dissector();
  const a = { ipSrc: "10.0.0.1", ipDst: "10.0.0.2", sport: 1234, dport: 8080 };
  const b = { ipSrc: "10.0.0.2", ipDst: "10.0.0.1", sport: 8080, dport: 1234 };
  const lines = [
    tcpFrame({ ...a, flags: "S", seq: 1000 }),
    tcpFrame({ ...b, flags: "SA", seq: 5000, ack: 1001 }),
    tcpFrame({ ...a, flags: "A", seq: 1001, ack: 5001 }),
    tcpFrame({ ...a, flags: "PA", seq: 1001, ack: 5001, payloadLength: 5 }),
  ].map((f) => d.summary(f).replace(/^.*?: /, ""));
  assertEquals(lines, [
    "Flags [S], seq 1000, win 8192, length 0",
    "Flags [S.], seq 5000, ack 1001, win 8192, length 0",
    "Flags [.], ack 1, win 8192, length 0",
    "Flags [P.], seq 1:6, ack 1, win 8192, length 5",
  ]);
});

Deno.test("malformed and truncated frames are described, never thrown", () => {
  const u = hex(SCAPY.udp4);
  assertEquals(summarize(u, 0, 13), " [|ether]");
  // captured short of the wire length (a snap length): [|proto]
  assertEquals(summarize(u, 0, 20, {}, u.length), "IP  [|ip]");
  assertEquals(
    summarize(u, 0, 36, {}, u.length),
    "IP 10.0.0.1 > 10.0.0.2:  [|udp]",
  );
  // short on the wire as well: the IP length says what is missing
  assertEquals(
    summarize(u, 0, 36),
    "IP truncated-ip - 18 bytes missing! 10.0.0.1 > 10.0.0.2:  [|udp]",
  );
  assertEquals(
    summarize(u, 0, 38, {}, u.length),
    "IP 10.0.0.1.1234 > 10.0.0.2.5678:  [|udp]",
  );
  assertEquals(
    summarize(u, 0, 44),
    "IP truncated-ip - 10 bytes missing! 10.0.0.1.1234 > 10.0.0.2.5678: UDP, length 12",
  );
  const bad = u.slice();
  bad[14] = 0x44;
  assertEquals(summarize(bad), "IP bad-hlen 16");
  bad[14] = 0x45;
  bad[16] = 0;
  bad[17] = 10;
  assertEquals(summarize(bad), "IP bad-len 10");
  bad[17] = 40;
  bad[38] = 0;
  bad[39] = 100;
  assertEquals(
    summarize(bad),
    "IP 10.0.0.1.1234 > 10.0.0.2.5678: UDP, bad length 92 > 12",
  );
  bad[39] = 4;
  assertEquals(
    summarize(bad),
    "IP 10.0.0.1.1234 > 10.0.0.2.5678: truncated-udplength 4",
  );
  bad[14] = 0x65;
  assertEquals(summarize(bad), "IP6, wrong link-layer encapsulation (invalid)");
  // odd inputs: offsets and lengths outside the buffer, NaN, empty
  assertEquals(summarize(new Uint8Array(0)), " [|ether]");
  assertEquals(summarize(u, 1000, 10), " [|ether]");
  assertEquals(summarize(u, 0, 1e9), summarize(u));
  assertEquals(summarize(u, NaN, NaN), " [|ether]");
});

Deno.test("summarize reads nothing outside the given range (fuzzed, 30,000 frames)", () => {
  const r = rng(99);
  const seeds = [
    hex(SCAPY.udp4),
    hex(SCAPY.tcp6),
    hex(SCAPY.icmp6),
    hex(SCAPY.vlanIcmp),
    arpFrame({ senderIp: "10.0.0.1", targetIp: "10.0.0.2" }),
    tcpFrame({
      ipSrc: "10.0.0.1",
      ipDst: "10.0.0.2",
      sport: 1,
      dport: 2,
      options: hex("0204ffff0402080a00000001000000020101050a0000000100000002"),
    }),
    icmpFrame({
      ipSrc: "10.0.0.1",
      ipDst: "10.0.0.2",
      type: 3,
      code: 3,
      payload: hex(SCAPY.udp4).subarray(14),
    }),
    icmpv6Frame({
      ipSrc: "fe80::1",
      ipDst: "fe80::2",
      type: 1,
      code: 4,
      payload: hex(SCAPY.tcp6).subarray(10),
    }),
  ];
  const a = new Uint8Array(256), b = new Uint8Array(256);
  for (let i = 0; i < 30000; i++) {
    const s = seeds[i % seeds.length];
    const off = 16 + ((r() * 32) | 0);
    const len = (r() * (s.length + 1)) | 0;
    for (let k = 0; k < 256; k++) {
      a[k] = (r() * 256) | 0;
      b[k] = (r() * 256) | 0;
    }
    a.set(s.subarray(0, len), off);
    // flip a few bytes inside, so that lengths and types go wrong too
    for (let m = (r() * 3) | 0; m > 0; m--) {
      a[off + ((r() * Math.max(len, 1)) | 0)] = (r() * 256) | 0;
    }
    b.set(a.subarray(off, off + len), off);
    const sa = summarize(a, off, len), sb = summarize(b, off, len);
    assertEquals(sa, sb, `frame ${i} read outside [${off}, ${off + len})`);
    assertEquals(
      new Dissector({ link: true }).summary(a, off, len),
      new Dissector({ link: true }).summary(b, off, len),
    );
  }
});

Deno.test("hexDump writes hexdump -C's layout", () => {
  const text = new TextEncoder().encode(
    "hello world, this is a test of hexdump\x00\x01\x02",
  );
  assertEquals(
    hexDump(text),
    "00000000  68 65 6c 6c 6f 20 77 6f  72 6c 64 2c 20 74 68 69  |hello world, thi|\n" +
      "00000010  73 20 69 73 20 61 20 74  65 73 74 20 6f 66 20 68  |s is a test of h|\n" +
      "00000020  65 78 64 75 6d 70 00 01  02                       |exdump...|\n" +
      "00000029\n",
  );
  const z = new Uint8Array(103);
  z.set([0x61, 0x62, 0x63], 100);
  assertEquals(
    hexDump(z),
    "00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n*\n" +
      "00000060  00 00 00 00 61 62 63                              |....abc|\n00000067\n",
  );
  assertEquals(hexDump(new Uint8Array(0)), "");
  assertEquals(
    hexDump(text, 39, 100),
    "00000000  01 02                                             |..|\n00000002\n",
  );
});

// ---- pcap and pcapng -------------------------------------------------------

/** An in-memory file: a source that hands out at most `step` bytes a read. */
class MemSource implements PcapSource {
  pos = 0;
  largestRead = 0;
  closed = false;
  constructor(readonly bytes: Uint8Array, readonly step = 1 << 30) {}
  read(p: Uint8Array): Promise<number | null> {
    return Promise.resolve(this.readSync(p));
  }
  readSync(p: Uint8Array): number | null {
    this.largestRead = Math.max(this.largestRead, p.length);
    if (this.pos >= this.bytes.length) return null;
    const n = Math.min(p.length, this.step, this.bytes.length - this.pos);
    p.set(this.bytes.subarray(this.pos, this.pos + n));
    this.pos += n;
    return n;
  }
  close(): void {
    this.closed = true;
  }
}

class MemSink {
  chunks: Uint8Array[] = [];
  writeSync(p: Uint8Array): number {
    const n = Math.min(p.length, 1000); // partial writes, as files may do
    this.chunks.push(p.slice(0, n));
    return n;
  }
  bytes(): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(this.chunks.reduce((n, c) => n + c.length, 0));
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

function sampleRecords(n: number, seed: number): PcapRecord[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const data = new Uint8Array(14 + ((r() * 200) | 0));
    for (let k = 0; k < data.length; k++) data[k] = (r() * 256) | 0;
    return {
      data,
      originalLength: data.length + (i % 3 === 0 ? 100 : 0),
      seconds: i === 0 ? 0xffffffff : Math.floor(r() * 2 ** 32),
      nanos: i === 0 ? 999999999 : Math.floor(r() * 1e9),
      linkType: 1,
      interfaceId: 0,
    };
  });
}

function writeAll(
  records: PcapRecord[],
  options: PcapWriterOptions,
): Uint8Array<ArrayBuffer> {
  const sink = new MemSink();
  const w = PcapWriter.to(sink, { bufferSize: 777, ...options });
  for (const r of records) w.writeRecord(r);
  w.close();
  return sink.bytes();
}

Deno.test("pcap and pcapng round trips: µs, ns, bounded buffer, sync and async", async () => {
  const records = sampleRecords(3000, 5);
  for (
    const opts of [
      { format: "pcap", nanosecond: false },
      { format: "pcap", nanosecond: true },
      { format: "pcapng", nanosecond: false },
      { format: "pcapng", nanosecond: true },
    ] as const
  ) {
    const file = writeAll(records, opts);
    const src = new MemSource(file, 333);
    const reader = new PcapReader(src, { chunkSize: 4096 });
    let i = 0;
    for await (const r of reader) {
      const want = records[i++];
      assertEquals(r.data, want.data);
      assertEquals(r.originalLength, want.originalLength);
      assertEquals(r.seconds, want.seconds);
      assertEquals(
        r.nanos,
        opts.nanosecond ? want.nanos : Math.floor(want.nanos / 1000) * 1000,
      );
      assertEquals([r.linkType, r.interfaceId], [1, 0]);
    }
    assertEquals(i, records.length);
    assertEquals([reader.format, reader.linkType, reader.snapLength], [
      opts.format,
      1,
      65535,
    ]);
    assert(src.closed);
    assert(
      src.largestRead <= 4096,
      `a read of ${src.largestRead} bytes: the buffer grew`,
    );
    // synchronously, records as views into the reader's buffer
    const sync = new PcapReader(new MemSource(file, 100), {
      copy: false,
      chunkSize: 512,
    });
    let n = 0;
    for (const r of sync) assertEquals(r.data, records[n++].data);
    assertEquals(n, records.length);
  }
});

Deno.test("pcap: big-endian files, truncated tails, snap length, garbage", async () => {
  // a big-endian nanosecond file written by hand
  const be = new Uint8Array(24 + 16 + 4);
  const v = new DataView(be.buffer);
  v.setUint32(0, 0xa1b23c4d);
  v.setUint16(4, 2);
  v.setUint16(6, 4);
  v.setUint32(16, 1500);
  v.setUint32(20, 1);
  v.setUint32(24, 1234);
  v.setUint32(28, 567);
  v.setUint32(32, 4);
  v.setUint32(36, 60);
  be.set([1, 2, 3, 4], 40);
  const r = new PcapReader(new MemSource(be));
  const rec = await r.next();
  assertEquals([
    rec?.seconds,
    rec?.nanos,
    rec?.originalLength,
    Array.from(rec?.data ?? []),
  ], [1234, 567, 60, [1, 2, 3, 4]]);
  assert(r.nanosecond);
  assertEquals(await r.next(), null);
  // a record still being written is left out, and said so
  const file = writeAll(sampleRecords(3, 1), { format: "pcap" });
  const cut = new PcapReader(new MemSource(file.subarray(0, file.length - 5)));
  let n = 0;
  for (const _ of cut) n++;
  assertEquals(n, 2);
  assert(cut.truncatedTail);
  // the snap length truncates, the original length stays
  const snapped = writeAll(sampleRecords(5, 2), { snapLength: 20 });
  for await (const s of new PcapReader(new MemSource(snapped))) {
    assertEquals(s.data.length, 20);
    assert(s.originalLength > 20);
  }
  await assertRejects(
    () => new PcapReader(new MemSource(hex("00112233445566778899"))).next(),
    PcapFormatError,
    "not a pcap or pcapng file",
  );
  await assertRejects(
    () => new PcapReader(new MemSource(new Uint8Array(0))).next(),
    PcapFormatError,
    "too short",
  );
  // a record length past maxRecord is corruption, not a reason to allocate
  const huge = file.slice();
  new DataView(huge.buffer).setUint32(24 + 8, 0x7fffffff, true);
  await assertRejects(
    () => new PcapReader(new MemSource(huge)).next(),
    PcapFormatError,
    "maxRecord",
  );
});

Deno.test("pcapng: sections of both byte orders, if_tsresol, SPB, unknown blocks", async () => {
  const parts: number[] = [];
  const block = (le: boolean, type: number, body: number[]): void => {
    const len = 12 + body.length;
    const b = new Uint8Array(len);
    const d = new DataView(b.buffer);
    d.setUint32(0, type, le);
    d.setUint32(4, len, le);
    b.set(body, 8);
    d.setUint32(len - 4, len, le);
    parts.push(...b);
  };
  const u32 = (v: number, le: boolean) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, le);
    return [...b];
  };
  const u16 = (v: number, le: boolean) => {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, v, le);
    return [...b];
  };
  // section 1, big-endian, interface with if_tsresol = 2^-10 and snaplen 8
  block(false, 0x0a0d0d0a, [
    ...u32(0x1a2b3c4d, false),
    ...u16(1, false),
    ...u16(0, false),
    ...u32(0xffffffff, false),
    ...u32(0xffffffff, false),
  ]);
  block(false, 1, [
    ...u16(1, false),
    ...u16(0, false),
    ...u32(8, false),
    ...u16(9, false),
    ...u16(1, false),
    0x8a,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
  ]);
  block(false, 0xbad, [1, 2, 3, 4]); // unknown: skipped
  // EPB: ts = 3 * 1024 + 512 units = 3.5 s
  block(false, 6, [
    ...u32(0, false),
    ...u32(0, false),
    ...u32(3 * 1024 + 512, false),
    ...u32(4, false),
    ...u32(4, false),
    9,
    8,
    7,
    6,
  ]);
  // SPB: original 12 bytes, snap 8
  block(false, 3, [...u32(12, false), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  // section 2, little-endian, microseconds
  block(true, 0x0a0d0d0a, [
    ...u32(0x1a2b3c4d, true),
    ...u16(1, true),
    ...u16(0, true),
    ...u32(0xffffffff, true),
    ...u32(0xffffffff, true),
  ]);
  block(true, 1, [...u16(101, true), ...u16(0, true), ...u32(0, true)]);
  block(true, 6, [
    ...u32(0, true),
    ...u32(0, true),
    ...u32(2_000_001, true),
    ...u32(2, true),
    ...u32(2, true),
    5,
    5,
    0,
    0,
  ]);
  const recs: PcapRecord[] = [];
  for await (
    const r of new PcapReader(new MemSource(new Uint8Array(parts), 7))
  ) recs.push(r);
  assertEquals(
    recs.map((
      r,
    ) => [
      r.seconds,
      r.nanos,
      Array.from(r.data),
      r.originalLength,
      r.linkType,
    ]),
    [
      [3, 500000000, [9, 8, 7, 6], 4, 1],
      [0, 0, [1, 2, 3, 4, 5, 6, 7, 8], 12, 1],
      [2, 1000, [5, 5], 2, 101],
    ],
  );
  // a packet naming an interface the section does not describe
  const orphan = writeAll(sampleRecords(1, 3), { format: "pcapng" });
  new DataView(orphan.buffer).setUint32(28 + 20 + 8, 3, true);
  await assertRejects(
    () => new PcapReader(new MemSource(orphan)).next(),
    PcapFormatError,
    "interface 3",
  );
  assertNotEquals(orphan.length, 0);
});
