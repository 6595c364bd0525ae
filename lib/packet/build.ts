/**
 * Building frames from a short description (lengths and checksums filled
 * in), and {@linkcode PacketTemplate}: built bytes stamped into many
 * packet buffers, then per-packet fields varied with their checksums fixed
 * incrementally (RFC 1624), MoonGen's way of filling a pool once and
 * touching only what changes.
 *
 * @example 100 UDP flows out of a template
 * ```ts
 * const tpl = new PacketTemplate(udpFrame({
 *   ipSrc: "10.0.0.1", ipDst: "10.0.0.2", sport: 10000, dport: 9,
 *   payloadLength: 18,
 * }));
 * const sport = tpl.field("udp.srcPort");
 * tpl.stampAll(view.bytes, burst.off, n, burst.len);
 * for (let i = 0; i < n; i++) sport.set(view.data, burst.off[i], 10000 + i % 100);
 * ```
 *
 * @module
 */

import { Ipv4Addr, Ipv6Addr, MacAddr } from "./addr.ts";
import {
  icmpChecksum,
  icmpv6Checksum,
  ipv4Checksum,
  ipv4L4Checksum,
  ipv6L4Checksum,
} from "./checksum.ts";
import { dataViewOf, PacketLayers } from "./headers.ts";

/** A VLAN tag: the VLAN ID alone, or its fields. */
export type VlanSpec = number | {
  /** VLAN ID (12 bits). */
  id: number;
  /** Priority code point (3 bits, default 0). */
  pcp?: number;
  /** Drop eligible indicator (default 0). */
  dei?: number;
  /** Tag protocol identifier (default 0x8100). */
  tpid?: number;
};

/** Ethernet part of a frame description. */
export interface EthernetSpec {
  /** Source MAC (default 02:00:00:00:00:01). */
  src?: MacAddr | string;
  /** Destination MAC (default 02:00:00:00:00:02). */
  dst?: MacAddr | string;
  /** One 802.1Q tag (absent: untagged). */
  vlan?: VlanSpec;
  /** Pad the frame with zeros to at least this many bytes (default 0: no padding; 60 is Ethernet's minimum without FCS). */
  padTo?: number;
}

/** IP part of a frame description; IPv6 when the addresses are IPv6. */
export interface IpSpec extends EthernetSpec {
  /** Source address: IPv4 or IPv6 text or object. */
  ipSrc: string | Ipv4Addr | Ipv6Addr;
  /** Destination address, the same family as `ipSrc`. */
  ipDst: string | Ipv4Addr | Ipv6Addr;
  /** TTL or hop limit (default 64). */
  ttl?: number;
  /** IPv4 TOS byte or IPv6 traffic class (default 0). */
  tos?: number;
  /** IPv4 identification (default 0). */
  id?: number;
  /** IPv4 don't-fragment flag (default false). */
  dontFragment?: boolean;
  /** IPv4 options (padded with zeros to a multiple of 4 bytes). */
  ipOptions?: Uint8Array;
  /** IPv6 flow label (default 0). */
  flowLabel?: number;
}

/** Payload of a frame description. */
export interface PayloadSpec {
  /** Payload bytes (default: `payloadLength` zero bytes). */
  payload?: Uint8Array;
  /** Payload length when `payload` is absent (default 0). */
  payloadLength?: number;
}

/** A UDP frame (see {@linkcode udpFrame}). */
export interface UdpSpec extends IpSpec, PayloadSpec {
  /** Source port. */
  sport: number;
  /** Destination port. */
  dport: number;
}

/** A TCP segment (see {@linkcode tcpFrame}). */
export interface TcpSpec extends IpSpec, PayloadSpec {
  /** Source port. */
  sport: number;
  /** Destination port. */
  dport: number;
  /** Sequence number (default 0). */
  seq?: number;
  /** Acknowledgment number (default 0). */
  ack?: number;
  /** Flags: a number (see TCP_FLAGS) or letters as scapy writes them, "S", "SA", "PA", "FA", "R" (F S R P A U E C) (default "S"). */
  flags?: number | string;
  /** Window (default 8192). */
  window?: number;
  /** Urgent pointer (default 0). */
  urgentPointer?: number;
  /** TCP options (padded with zeros to a multiple of 4 bytes). */
  options?: Uint8Array;
}

/** An ICMP or ICMPv6 message (see {@linkcode icmpFrame}). */
export interface IcmpSpec extends IpSpec, PayloadSpec {
  /** Type (default: echo request, 8 for ICMP, 128 for ICMPv6). */
  type?: number;
  /** Code (default 0). */
  code?: number;
  /** Echo identifier (default 0). */
  identifier?: number;
  /** Echo sequence number (default 0). */
  sequence?: number;
}

/** An Ethernet/IPv4 ARP message (see {@linkcode arpFrame}). */
export interface ArpSpec extends EthernetSpec {
  /** Operation (default 1, request). */
  operation?: number;
  /** Sender MAC (default: the frame's source). */
  senderMac?: MacAddr | string;
  /** Sender IPv4 address. */
  senderIp: Ipv4Addr | string;
  /** Target MAC (default 00:00:00:00:00:00). */
  targetMac?: MacAddr | string;
  /** Target IPv4 address. */
  targetIp: Ipv4Addr | string;
}

const TCP_LETTERS: Record<string, number> = {
  F: 0x01,
  S: 0x02,
  R: 0x04,
  P: 0x08,
  A: 0x10,
  U: 0x20,
  E: 0x40,
  C: 0x80,
};

/** TCP flags from a number or scapy-style letters ("SA"). */
export function tcpFlags(flags: number | string): number {
  if (typeof flags === "number") return flags & 0xff;
  let v = 0;
  for (const ch of flags) {
    const bit = TCP_LETTERS[ch.toUpperCase()];
    if (bit === undefined) {
      throw new SyntaxError(`tcpFlags: unknown flag "${ch}" in "${flags}"`);
    }
    v |= bit;
  }
  return v;
}

function pad4(b: Uint8Array | undefined): number {
  return b === undefined ? 0 : (b.length + 3) & ~3;
}

function ipFamily(spec: IpSpec): 4 | 6 {
  const isV6 = (a: string | Ipv4Addr | Ipv6Addr) =>
    a instanceof Ipv6Addr || (typeof a === "string" && a.includes(":"));
  const s = isV6(spec.ipSrc), d = isV6(spec.ipDst);
  if (s !== d) {
    throw new TypeError(
      `ipSrc ${spec.ipSrc} and ipDst ${spec.ipDst} are not of one family`,
    );
  }
  return s ? 6 : 4;
}

function checkRange(what: string, v: number, max: number): number {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new RangeError(`${what} ${v} is outside 0..${max}`);
  }
  return v;
}

/** Writes Ethernet (and a tag); returns the L3 offset. */
function writeEthernet(
  b: Uint8Array,
  d: DataView,
  spec: EthernetSpec,
  etherType: number,
): number {
  MacAddr.from(spec.dst ?? "02:00:00:00:00:02").writeTo(b, 0);
  MacAddr.from(spec.src ?? "02:00:00:00:00:01").writeTo(b, 6);
  let o = 12;
  if (spec.vlan !== undefined) {
    const v = typeof spec.vlan === "number" ? { id: spec.vlan } : spec.vlan;
    d.setUint16(o, v.tpid ?? 0x8100);
    d.setUint16(
      o + 2,
      (checkRange("vlan pcp", v.pcp ?? 0, 7) << 13) |
        (checkRange("vlan dei", v.dei ?? 0, 1) << 12) |
        checkRange("vlan id", v.id, 4095),
    );
    o += 4;
  }
  d.setUint16(o, etherType);
  return o + 2;
}

function l2Length(spec: EthernetSpec): number {
  return spec.vlan === undefined ? 14 : 18;
}

function payloadOf(p: PayloadSpec): Uint8Array {
  if (p.payload !== undefined) return p.payload;
  return new Uint8Array(
    checkRange("payloadLength", p.payloadLength ?? 0, 65000),
  );
}

/**
 * Lays out Ethernet + IP for an L4 message of `l4Length` bytes; returns
 * the frame and the IP and L4 offsets, with every IP field filled but the
 * IPv4 checksum (computed once the L4 part is in place).
 */
function ipFrame(
  spec: IpSpec,
  proto: number,
  l4Length: number,
): {
  b: Uint8Array<ArrayBuffer>;
  d: DataView;
  ip: number;
  l4: number;
  v: 4 | 6;
} {
  const v = ipFamily(spec);
  const optLen = v === 4 ? pad4(spec.ipOptions) : 0;
  if (v === 6 && spec.ipOptions !== undefined) {
    throw new TypeError("ipOptions apply to IPv4 only");
  }
  if (optLen > 40) throw new RangeError(`ipOptions: ${optLen} bytes > 40`);
  const l3Len = v === 4 ? 20 + optLen : 40;
  const ip = l2Length(spec);
  const frameLen = ip + l3Len + l4Length;
  const b = new Uint8Array(Math.max(frameLen, spec.padTo ?? 0));
  const d = dataViewOf(b);
  writeEthernet(b, d, spec, v === 4 ? 0x0800 : 0x86dd);
  const ttl = checkRange("ttl", spec.ttl ?? 64, 255);
  const tos = checkRange("tos", spec.tos ?? 0, 255);
  if (v === 4) {
    if (l3Len + l4Length > 65535) {
      throw new RangeError(`IPv4 total length ${l3Len + l4Length} > 65535`);
    }
    b[ip] = 0x40 | (l3Len / 4);
    b[ip + 1] = tos;
    d.setUint16(ip + 2, l3Len + l4Length);
    d.setUint16(ip + 4, checkRange("id", spec.id ?? 0, 0xffff));
    b[ip + 6] = spec.dontFragment ? 0x40 : 0;
    b[ip + 8] = ttl;
    b[ip + 9] = proto;
    Ipv4Addr.from(spec.ipSrc as Ipv4Addr | string).writeTo(b, ip + 12);
    Ipv4Addr.from(spec.ipDst as Ipv4Addr | string).writeTo(b, ip + 16);
    if (spec.ipOptions !== undefined) b.set(spec.ipOptions, ip + 20);
  } else {
    if (l4Length > 65535) {
      throw new RangeError(`IPv6 payload length ${l4Length} > 65535`);
    }
    d.setUint32(
      ip,
      ((6 << 28) | (tos << 20) |
        checkRange("flowLabel", spec.flowLabel ?? 0, 0xfffff)) >>> 0,
    );
    d.setUint16(ip + 4, l4Length);
    b[ip + 6] = proto;
    b[ip + 7] = ttl;
    Ipv6Addr.from(spec.ipSrc as Ipv6Addr | string).writeTo(b, ip + 8);
    Ipv6Addr.from(spec.ipDst as Ipv6Addr | string).writeTo(b, ip + 24);
  }
  return { b, d, ip, l4: ip + l3Len, v };
}

/**
 * A UDP datagram over IPv4 or IPv6 (after the addresses' family), lengths
 * and checksums filled in.
 *
 * @example
 * ```ts
 * udpFrame({ src: "02:00:00:00:00:01", dst: "02:00:00:00:00:02",
 *   ipSrc: "10.0.0.1", ipDst: "10.0.0.2", sport: 1234, dport: 5678,
 *   payloadLength: 18, vlan: 5 });
 * ```
 */
export function udpFrame(spec: UdpSpec): Uint8Array<ArrayBuffer> {
  const payload = payloadOf(spec);
  const { b, d, ip, l4, v } = ipFrame(spec, 17, 8 + payload.length);
  d.setUint16(l4, checkRange("sport", spec.sport, 0xffff));
  d.setUint16(l4 + 2, checkRange("dport", spec.dport, 0xffff));
  d.setUint16(l4 + 4, 8 + payload.length);
  b.set(payload, l4 + 8);
  finishIp(b, d, ip, l4, v, 6);
  return b;
}

/** A TCP segment over IPv4 or IPv6, lengths and checksums filled in. */
export function tcpFrame(spec: TcpSpec): Uint8Array<ArrayBuffer> {
  const payload = payloadOf(spec);
  const optLen = pad4(spec.options);
  if (optLen > 40) throw new RangeError(`TCP options: ${optLen} bytes > 40`);
  const hl = 20 + optLen;
  const { b, d, ip, l4, v } = ipFrame(spec, 6, hl + payload.length);
  d.setUint16(l4, checkRange("sport", spec.sport, 0xffff));
  d.setUint16(l4 + 2, checkRange("dport", spec.dport, 0xffff));
  d.setUint32(l4 + 4, checkRange("seq", spec.seq ?? 0, 0xffffffff));
  d.setUint32(l4 + 8, checkRange("ack", spec.ack ?? 0, 0xffffffff));
  b[l4 + 12] = (hl / 4) << 4;
  b[l4 + 13] = tcpFlags(spec.flags ?? "S");
  d.setUint16(l4 + 14, checkRange("window", spec.window ?? 8192, 0xffff));
  d.setUint16(
    l4 + 18,
    checkRange("urgentPointer", spec.urgentPointer ?? 0, 0xffff),
  );
  if (spec.options !== undefined) b.set(spec.options, l4 + 20);
  b.set(payload, l4 + hl);
  finishIp(b, d, ip, l4, v, 16);
  return b;
}

/**
 * An ICMP message over IPv4 (default: echo request), checksums filled in;
 * for ICMPv6 use {@linkcode icmpv6Frame}.
 */
export function icmpFrame(spec: IcmpSpec): Uint8Array<ArrayBuffer> {
  if (ipFamily(spec) !== 4) {
    throw new TypeError(
      "icmpFrame: IPv4 addresses expected (icmpv6Frame for IPv6)",
    );
  }
  const payload = payloadOf(spec);
  const { b, d, ip, l4 } = ipFrame(spec, 1, 8 + payload.length);
  writeIcmpHeader(b, d, l4, spec, 8);
  b.set(payload, l4 + 8);
  d.setUint16(l4 + 2, icmpChecksum(b, l4, 8 + payload.length));
  d.setUint16(ip + 10, ipv4Checksum(b, ip));
  return b;
}

/** An ICMPv6 message (default: echo request), checksum filled in. */
export function icmpv6Frame(spec: IcmpSpec): Uint8Array<ArrayBuffer> {
  if (ipFamily(spec) !== 6) {
    throw new TypeError(
      "icmpv6Frame: IPv6 addresses expected (icmpFrame for IPv4)",
    );
  }
  const payload = payloadOf(spec);
  const { b, d, ip, l4 } = ipFrame(spec, 58, 8 + payload.length);
  writeIcmpHeader(b, d, l4, spec, 128);
  b.set(payload, l4 + 8);
  d.setUint16(l4 + 2, icmpv6Checksum(b, ip, l4));
  return b;
}

function writeIcmpHeader(
  b: Uint8Array,
  d: DataView,
  l4: number,
  spec: IcmpSpec,
  echoType: number,
): void {
  b[l4] = checkRange("type", spec.type ?? echoType, 255);
  b[l4 + 1] = checkRange("code", spec.code ?? 0, 255);
  d.setUint16(l4 + 4, checkRange("identifier", spec.identifier ?? 0, 0xffff));
  d.setUint16(l4 + 6, checkRange("sequence", spec.sequence ?? 0, 0xffff));
}

/**
 * An Ethernet/IPv4 ARP message; the destination MAC defaults to broadcast
 * for a request and must be given for a reply.
 */
export function arpFrame(spec: ArpSpec): Uint8Array<ArrayBuffer> {
  const op = checkRange("operation", spec.operation ?? 1, 0xffff);
  const dst = spec.dst ?? (op === 1 ? MacAddr.BROADCAST : undefined);
  if (dst === undefined) {
    throw new TypeError("arpFrame: dst is required for a reply");
  }
  const l2 = l2Length(spec);
  const b = new Uint8Array(Math.max(l2 + 28, spec.padTo ?? 0));
  const d = dataViewOf(b);
  const a = writeEthernet(b, d, { ...spec, dst }, 0x0806);
  d.setUint16(a, 1);
  d.setUint16(a + 2, 0x0800);
  b[a + 4] = 6;
  b[a + 5] = 4;
  d.setUint16(a + 6, op);
  MacAddr.from(spec.senderMac ?? spec.src ?? "02:00:00:00:00:01").writeTo(
    b,
    a + 8,
  );
  Ipv4Addr.from(spec.senderIp).writeTo(b, a + 14);
  MacAddr.from(spec.targetMac ?? MacAddr.ZERO).writeTo(b, a + 18);
  Ipv4Addr.from(spec.targetIp).writeTo(b, a + 24);
  return b;
}

function finishIp(
  b: Uint8Array,
  d: DataView,
  ip: number,
  l4: number,
  v: 4 | 6,
  checksumAt: number,
): void {
  if (v === 4) {
    d.setUint16(l4 + checksumAt, ipv4L4Checksum(b, ip, l4));
    d.setUint16(ip + 10, ipv4Checksum(b, ip));
  } else {
    d.setUint16(l4 + checksumAt, ipv6L4Checksum(b, ip, l4));
  }
}

const L4_CHECKSUM_AT: Record<number, number> = { 6: 16, 17: 6, 1: 2, 58: 2 };

/**
 * Computes and stores every checksum of the frame at
 * `bytes[offset..offset+length)`: IPv4 header, then UDP, TCP, ICMP or
 * ICMPv6 (a UDP checksum of 0, "none", over IPv4 is left alone unless
 * `udpZero` is true). Returns false, changing nothing, when the frame is
 * not IP or its lengths are inconsistent. Allocates nothing when given a
 * reusable `layers`.
 */
export function fillChecksums(
  bytes: Uint8Array,
  offset = 0,
  length: number = bytes.length - offset,
  data: DataView = dataViewOf(bytes),
  layers: PacketLayers = new PacketLayers(),
  udpZero = true,
): boolean {
  if (!layers.parse(bytes, offset, length) || !layers.ipComplete) return false;
  const ip = layers.l3Offset, l4 = layers.l4Offset, proto = layers.l4Protocol;
  if (l4 >= 0) {
    const at = L4_CHECKSUM_AT[proto];
    if (at !== undefined && layers.l4Length >= at + 2) {
      const field = l4 + at;
      if (proto === 1) {
        if (layers.ipVersion === 4) {
          data.setUint16(field, icmpChecksum(bytes, l4, layers.l4Length));
        }
      } else if (
        !(proto === 17 && layers.ipVersion === 4 && !udpZero &&
          data.getUint16(field) === 0)
      ) {
        data.setUint16(
          field,
          layers.ipVersion === 4
            ? ipv4L4Checksum(bytes, ip, l4)
            : ipv6L4Checksum(bytes, ip, l4),
        );
      }
    }
  }
  if (layers.ipVersion === 4) data.setUint16(ip + 10, ipv4Checksum(bytes, ip));
  return true;
}

/** Fields a {@linkcode PacketTemplate} can vary per packet. */
export type TemplateFieldName =
  | "ipv4.id"
  | "ipv4.ttl"
  | "ipv4.src"
  | "ipv4.dst"
  | "ipv6.flowLabel"
  | "udp.srcPort"
  | "udp.dstPort"
  | "tcp.srcPort"
  | "tcp.dstPort"
  | "tcp.seq"
  | "tcp.ack"
  | "icmp.identifier"
  | "icmp.sequence";

/**
 * One field of a template's frame, written into stamped copies with the
 * checksums that cover it adjusted incrementally (RFC 1624): made once by
 * {@linkcode PacketTemplate.field}, then `set` per packet allocates
 * nothing and reads only the field and the checksums it updates.
 */
export class TemplateField {
  // Every field holds a small integer from the start (`declare`: no
  // `undefined` first; flags as 0/1, not booleans), so V8 tracks their type
  // and `set` reads them without checks or conversions.
  /** Offset of the field from the frame's start. */
  declare readonly at: number;
  /** Width in bytes: 1, 2 or 4 (a 1-byte field changes the high or low byte of its word). */
  declare readonly width: 1 | 2 | 4;
  // checksum fields to adjust (offset from the frame start, -1: none)
  readonly #c1: number = -1;
  readonly #c1Udp: number = 0; // 1: a UDP checksum
  readonly #c2: number = -1;
  readonly #c2Udp: number = 0;
  // the bits of a 32-bit field it owns, as an int32 (-1: all)
  readonly #mask: number = -1;

  /**
   * A field at `at` of `width` bytes, covered by up to two checksums.
   *
   * @param at field offset from the frame start
   * @param width 1, 2 or 4 bytes
   * @param checksums offsets of the checksum fields covering it, each with
   *   whether it is a UDP checksum (0 stays 0, a result 0 is 0xffff)
   * @param mask for a 20-bit IPv6 flow label: the bits of the 32-bit word
   *   the field owns (default: all)
   */
  constructor(
    at: number,
    width: 1 | 2 | 4,
    checksums: readonly { at: number; udp: boolean }[] = [],
    mask = 0xffffffff,
  ) {
    this.at = at;
    this.width = width;
    this.#c1 = checksums[0]?.at ?? -1;
    this.#c1Udp = checksums[0]?.udp === true ? 1 : 0;
    this.#c2 = checksums[1]?.at ?? -1;
    this.#c2Udp = checksums[1]?.udp === true ? 1 : 0;
    this.#mask = mask | 0;
  }

  /** The field's value in the frame at `base`. */
  get(data: DataView, base: number): number {
    const p = base + this.at;
    if (this.width === 2) return data.getUint16(p);
    if (this.width === 4) return (data.getUint32(p) & this.#mask) >>> 0;
    return data.getUint8(p);
  }

  /**
   * Writes `value` into the frame at `base` (e.g. a burst's `off[i]`) and
   * adjusts the checksums covering the field.
   */
  set(data: DataView, base: number, value: number): void {
    // one method, no private methods (each call would check the brand):
    // the checksum fields are fixed inline
    const p = base + this.at;
    const c1 = this.#c1, c2 = this.#c2;
    if (this.width === 2) {
      const old = data.getUint16(p);
      const next = value & 0xffff;
      data.setUint16(p, next);
      if (c1 >= 0) fix16(data, base + c1, old, next, this.#c1Udp);
      if (c2 >= 0) fix16(data, base + c2, old, next, this.#c2Udp);
    } else if (this.width === 4) {
      const old = data.getUint32(p);
      const mask = this.#mask;
      const next = ((old & ~mask) | (value & mask)) >>> 0;
      data.setUint32(p, next);
      if (c1 >= 0) fix32(data, base + c1, old, next, this.#c1Udp);
      if (c2 >= 0) fix32(data, base + c2, old, next, this.#c2Udp);
    } else {
      // the checksum word holding this byte: [p, p+1] when p is its high byte
      const w = (this.at & 1) === 0 ? p : p - 1;
      const old = data.getUint16(w);
      data.setUint8(p, value);
      const next = data.getUint16(w);
      if (c1 >= 0) fix16(data, base + c1, old, next, this.#c1Udp);
      if (c2 >= 0) fix16(data, base + c2, old, next, this.#c2Udp);
    }
  }
}

/**
 * Writes the checksum at `at` after the words it covers changed by `diff`
 * (RFC 1624 eqn. 3: ~C + ~m + m', unfolded), as `checksumAdjust` does; a
 * UDP checksum of 0 ("none") is left alone. Here, not imported, so V8
 * inlines it without checking an imported binding per packet.
 */
function fix(data: DataView, at: number, diff: number, udp: number): void {
  const c = data.getUint16(at);
  if (udp !== 0 && c === 0) return; // no UDP checksum
  let s = (~c & 0xffff) + diff;
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  // the true sum of non-empty data is never 0: a 0 here is its 0xffff
  const r = s === 0 ? 0 : ~s & 0xffff;
  data.setUint16(at, r === 0 && udp !== 0 ? 0xffff : r);
}

function fix16(
  data: DataView,
  at: number,
  old: number,
  next: number,
  udp: number,
): void {
  fix(data, at, (~old & 0xffff) + next, udp);
}

function fix32(
  data: DataView,
  at: number,
  old: number,
  next: number,
  udp: number,
): void {
  fix(
    data,
    at,
    (~(old >>> 16) & 0xffff) + (~old & 0xffff) + (next >>> 16) +
      (next & 0xffff),
    udp,
  );
}

/**
 * A built frame kept as bytes: stamped into packet buffers (a pool
 * view's memory) and varied per packet through {@linkcode TemplateField}s.
 * The frame's byte offsets are relative: add a packet's data offset.
 * The frame's layers are parsed once (see `layers`).
 */
export class PacketTemplate {
  /** The frame. */
  readonly bytes: Uint8Array<ArrayBuffer>;
  /** Its length. */
  readonly length: number;
  /** Its layers (offsets from the frame start). */
  readonly layers: PacketLayers;

  /** A template of `frame` (copied). */
  constructor(frame: Uint8Array) {
    this.bytes = new Uint8Array(frame.length);
    this.bytes.set(frame);
    this.length = frame.length;
    this.layers = new PacketLayers();
    this.layers.parse(this.bytes, 0, this.length);
  }

  /** Copies the frame to `dst[offset..offset+length)`. */
  stamp(dst: Uint8Array, offset: number): void {
    dst.set(this.bytes, offset);
  }

  /**
   * Copies the frame to each of the first `n` offsets of `dst` and, when
   * given, sets `lengths[i]` to the frame's length (a burst's `len`, then
   * `applyLengths(n)`).
   */
  stampAll(
    dst: Uint8Array,
    offsets: ArrayLike<number>,
    n: number,
    lengths?: { [i: number]: number },
  ): void {
    const src = this.bytes, len = this.length;
    for (let i = 0; i < n; i++) {
      dst.set(src, offsets[i]);
      if (lengths !== undefined) lengths[i] = len;
    }
  }

  /**
   * A field of this frame to vary per packet, with the checksums that
   * cover it adjusted on each `set`.
   *
   * @throws TypeError when the frame has no such layer
   */
  field(name: TemplateFieldName): TemplateField {
    const L = this.layers;
    const ip = L.l3Offset, l4 = L.l4Offset, proto = L.l4Protocol;
    const need = (ok: boolean) => {
      if (!ok) throw new TypeError(`template has no ${name} field`);
    };
    const ipSum = { at: ip + 10, udp: false };
    const l4Sum = (): { at: number; udp: boolean }[] => {
      if (l4 < 0) return [];
      if (proto === 17) return [{ at: l4 + 6, udp: true }];
      if (proto === 6) return [{ at: l4 + 16, udp: false }];
      if (proto === 58) return [{ at: l4 + 2, udp: false }];
      return [];
    };
    switch (name) {
      case "ipv4.id":
        need(L.ipVersion === 4);
        return new TemplateField(ip + 4, 2, [ipSum]);
      case "ipv4.ttl":
        need(L.ipVersion === 4);
        return new TemplateField(ip + 8, 1, [ipSum]);
      case "ipv4.src":
        need(L.ipVersion === 4);
        return new TemplateField(ip + 12, 4, [ipSum, ...l4Sum()]);
      case "ipv4.dst":
        need(L.ipVersion === 4);
        return new TemplateField(ip + 16, 4, [ipSum, ...l4Sum()]);
      case "ipv6.flowLabel":
        need(L.ipVersion === 6);
        return new TemplateField(ip, 4, [], 0xfffff);
      case "udp.srcPort":
      case "udp.dstPort":
        need(proto === 17 && l4 >= 0);
        return new TemplateField(
          l4 + (name === "udp.srcPort" ? 0 : 2),
          2,
          l4Sum(),
        );
      case "tcp.srcPort":
      case "tcp.dstPort":
        need(proto === 6 && l4 >= 0);
        return new TemplateField(
          l4 + (name === "tcp.srcPort" ? 0 : 2),
          2,
          l4Sum(),
        );
      case "tcp.seq":
      case "tcp.ack":
        need(proto === 6 && l4 >= 0);
        return new TemplateField(l4 + (name === "tcp.seq" ? 4 : 8), 4, l4Sum());
      case "icmp.identifier":
      case "icmp.sequence": {
        need((proto === 1 || proto === 58) && l4 >= 0);
        const at = l4 + (name === "icmp.identifier" ? 4 : 6);
        return new TemplateField(at, 2, [{ at: l4 + 2, udp: false }]);
      }
    }
    throw new TypeError(`unknown template field ${name}`);
  }
}
