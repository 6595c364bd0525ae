/**
 * Header views: named getters and setters for every field of Ethernet
 * (802.1Q VLAN tags included), ARP, IPv4, IPv6, UDP, TCP, ICMP and ICMPv6
 * headers, read and written in place in a packet's bytes (typically a
 * pool view's `bytes` and `data`).
 *
 * A view is created once and re-pointed with {@linkcode HeaderView.at}
 * for each packet, so a loop allocates nothing per packet. Fields are
 * numbers in host terms (multi-byte fields are big-endian on the wire).
 * Address getters (`src`, `dst`, ...) return new address objects; in hot
 * loops use the `*Value` numbers (IPv4) or the addresses' `writeTo` /
 * `equalsAt`.
 *
 * Views do not check lengths: they are for packets whose headers are
 * known to be there. Use {@linkcode PacketLayers.parse} to find and check
 * the layers of untrusted input first.
 *
 * @example Rewrite the UDP source port of every packet of a burst
 * ```ts
 * const udp = new UdpView(view.bytes, view.data);
 * for (let i = 0; i < n; i++) udp.at(burst.off[i] + 34).srcPort = 10000 + i;
 * ```
 *
 * @module
 */

import { Ipv4Addr, Ipv6Addr, MacAddr } from "./addr.ts";
import {
  icmpChecksumOf,
  ipv4ChecksumOf,
  ipv6L4ChecksumOf,
  l4ChecksumOf,
} from "./checksum.ts";

/** EtherType values (IEEE registry). */
export const ETHERTYPE: {
  readonly IPV4: 0x0800;
  readonly ARP: 0x0806;
  readonly VLAN: 0x8100;
  readonly QINQ: 0x88a8;
  readonly IPV6: 0x86dd;
} = Object.freeze({
  IPV4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100,
  QINQ: 0x88a8,
  IPV6: 0x86dd,
});

/** IP protocol numbers (IANA). */
export const IPPROTO: {
  readonly ICMP: 1;
  readonly TCP: 6;
  readonly UDP: 17;
  readonly ICMPV6: 58;
} = Object.freeze({ ICMP: 1, TCP: 6, UDP: 17, ICMPV6: 58 });

/** TCP flag bits of header byte 13 (NS is bit 0 of byte 12). */
export const TCP_FLAGS: {
  readonly FIN: 0x01;
  readonly SYN: 0x02;
  readonly RST: 0x04;
  readonly PSH: 0x08;
  readonly ACK: 0x10;
  readonly URG: 0x20;
  readonly ECE: 0x40;
  readonly CWR: 0x80;
} = Object.freeze({
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
});

/** ARP operations. */
export const ARP_OP: { readonly REQUEST: 1; readonly REPLY: 2 } = Object
  .freeze({ REQUEST: 1, REPLY: 2 });

/** ICMP (IPv4) message types used here. */
export const ICMP_TYPE: {
  readonly ECHO_REPLY: 0;
  readonly DEST_UNREACHABLE: 3;
  readonly ECHO_REQUEST: 8;
  readonly TIME_EXCEEDED: 11;
} = Object.freeze({
  ECHO_REPLY: 0,
  DEST_UNREACHABLE: 3,
  ECHO_REQUEST: 8,
  TIME_EXCEEDED: 11,
});

/** ICMPv6 message types used here. */
export const ICMPV6_TYPE: {
  readonly DEST_UNREACHABLE: 1;
  readonly PACKET_TOO_BIG: 2;
  readonly TIME_EXCEEDED: 3;
  readonly ECHO_REQUEST: 128;
  readonly ECHO_REPLY: 129;
  readonly ROUTER_SOLICITATION: 133;
  readonly ROUTER_ADVERTISEMENT: 134;
  readonly NEIGHBOR_SOLICITATION: 135;
  readonly NEIGHBOR_ADVERTISEMENT: 136;
} = Object.freeze({
  DEST_UNREACHABLE: 1,
  PACKET_TOO_BIG: 2,
  TIME_EXCEEDED: 3,
  ECHO_REQUEST: 128,
  ECHO_REPLY: 129,
  ROUTER_SOLICITATION: 133,
  ROUTER_ADVERTISEMENT: 134,
  NEIGHBOR_SOLICITATION: 135,
  NEIGHBOR_ADVERTISEMENT: 136,
});

/** A DataView over exactly the memory of `bytes`. */
export function dataViewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** What every header view shares: the buffer and the header's offset. */
export abstract class HeaderView {
  /** The packet memory. */
  bytes: Uint8Array;
  /** The same memory as a DataView (same start as `bytes`). */
  data: DataView;
  /** Offset of the header in `bytes`. */
  offset: number;

  /**
   * A view of the header at `offset` of `bytes`.
   *
   * @param bytes the packet memory (e.g. a pool view's `bytes`)
   * @param data a DataView of the same memory (e.g. the pool view's `data`)
   * @param offset where the header starts
   */
  constructor(
    bytes: Uint8Array,
    data: DataView = dataViewOf(bytes),
    offset = 0,
  ) {
    this.bytes = bytes;
    this.data = data;
    this.offset = offset;
  }

  /** Re-points the view at the header at `offset`; returns the view. */
  at(offset: number): this {
    this.offset = offset;
    return this;
  }

  /** Re-points the view at another buffer (and offset); returns the view. */
  on(bytes: Uint8Array, data: DataView = dataViewOf(bytes), offset = 0): this {
    this.bytes = bytes;
    this.data = data;
    this.offset = offset;
    return this;
  }
}

function isVlanType(t: number): boolean {
  return t === 0x8100 || t === 0x88a8 || t === 0x9100;
}

/**
 * Ethernet II header, with up to two 802.1Q / 802.1ad tags: `etherType` is
 * the field at byte 12 (0x8100 when tagged); `vlan*` read the first tag;
 * `payloadType` and `headerLength` look through the tags.
 */
export class EthernetView extends HeaderView {
  /** Bytes of an untagged header. */
  static readonly LENGTH = 14;

  /** Destination address (a new MacAddr). */
  get dst(): MacAddr {
    return MacAddr.readFrom(this.bytes, this.offset);
  }
  set dst(v: MacAddr | string) {
    MacAddr.from(v).writeTo(this.bytes, this.offset);
  }
  /** Source address (a new MacAddr). */
  get src(): MacAddr {
    return MacAddr.readFrom(this.bytes, this.offset + 6);
  }
  set src(v: MacAddr | string) {
    MacAddr.from(v).writeTo(this.bytes, this.offset + 6);
  }
  /** The EtherType field at byte 12 (the TPID when tagged). */
  get etherType(): number {
    return this.data.getUint16(this.offset + 12);
  }
  set etherType(v: number) {
    this.data.setUint16(this.offset + 12, v);
  }
  /** Whether the frame carries an 802.1Q/802.1ad tag. */
  get hasVlan(): boolean {
    return isVlanType(this.data.getUint16(this.offset + 12));
  }
  /** First tag's TCI (priority, DEI, VLAN ID), bytes 14-15. */
  get vlanTci(): number {
    return this.data.getUint16(this.offset + 14);
  }
  set vlanTci(v: number) {
    this.data.setUint16(this.offset + 14, v);
  }
  /** First tag's VLAN ID (12 bits). */
  get vlanId(): number {
    return this.data.getUint16(this.offset + 14) & 0xfff;
  }
  set vlanId(v: number) {
    const o = this.offset + 14;
    this.data.setUint16(o, (this.data.getUint16(o) & 0xf000) | (v & 0xfff));
  }
  /** First tag's priority code point (3 bits). */
  get vlanPcp(): number {
    return this.bytes[this.offset + 14] >> 5;
  }
  set vlanPcp(v: number) {
    const o = this.offset + 14;
    this.bytes[o] = (this.bytes[o] & 0x1f) | ((v & 7) << 5);
  }
  /** First tag's drop eligible indicator (1 bit). */
  get vlanDei(): number {
    return (this.bytes[this.offset + 14] >> 4) & 1;
  }
  set vlanDei(v: number) {
    const o = this.offset + 14;
    this.bytes[o] = (this.bytes[o] & 0xef) | ((v & 1) << 4);
  }
  /** The EtherType after the first tag (bytes 16-17). */
  get vlanEtherType(): number {
    return this.data.getUint16(this.offset + 16);
  }
  set vlanEtherType(v: number) {
    this.data.setUint16(this.offset + 16, v);
  }
  /** Number of tags (0, 1 or 2). */
  get vlanCount(): number {
    if (!isVlanType(this.data.getUint16(this.offset + 12))) return 0;
    return isVlanType(this.data.getUint16(this.offset + 16)) ? 2 : 1;
  }
  /** Header bytes: 14, plus 4 per tag. */
  get headerLength(): number {
    return 14 + 4 * this.vlanCount;
  }
  /** The EtherType of the payload, after any tags. */
  get payloadType(): number {
    return this.data.getUint16(this.offset + this.headerLength - 2);
  }
  /** Offset of the payload (after any tags). */
  get payloadOffset(): number {
    return this.offset + this.headerLength;
  }
  /** Swaps source and destination addresses in place. */
  swapAddresses(): void {
    const b = this.bytes, o = this.offset;
    for (let i = 0; i < 6; i++) {
      const t = b[o + i];
      b[o + i] = b[o + 6 + i];
      b[o + 6 + i] = t;
    }
  }
}

/** ARP over Ethernet for IPv4 (RFC 826), 28 bytes. */
export class ArpView extends HeaderView {
  /** Bytes of an Ethernet/IPv4 ARP message. */
  static readonly LENGTH = 28;

  /** Hardware type (1: Ethernet). */
  get hardwareType(): number {
    return this.data.getUint16(this.offset);
  }
  set hardwareType(v: number) {
    this.data.setUint16(this.offset, v);
  }
  /** Protocol type (0x0800: IPv4). */
  get protocolType(): number {
    return this.data.getUint16(this.offset + 2);
  }
  set protocolType(v: number) {
    this.data.setUint16(this.offset + 2, v);
  }
  /** Hardware address length (6). */
  get hardwareLength(): number {
    return this.bytes[this.offset + 4];
  }
  set hardwareLength(v: number) {
    this.bytes[this.offset + 4] = v;
  }
  /** Protocol address length (4). */
  get protocolLength(): number {
    return this.bytes[this.offset + 5];
  }
  set protocolLength(v: number) {
    this.bytes[this.offset + 5] = v;
  }
  /** Operation (1 request, 2 reply; see {@linkcode ARP_OP}). */
  get operation(): number {
    return this.data.getUint16(this.offset + 6);
  }
  set operation(v: number) {
    this.data.setUint16(this.offset + 6, v);
  }
  /** Sender hardware address. */
  get senderMac(): MacAddr {
    return MacAddr.readFrom(this.bytes, this.offset + 8);
  }
  set senderMac(v: MacAddr | string) {
    MacAddr.from(v).writeTo(this.bytes, this.offset + 8);
  }
  /** Sender protocol address. */
  get senderIp(): Ipv4Addr {
    return Ipv4Addr.readFrom(this.bytes, this.offset + 14);
  }
  set senderIp(v: Ipv4Addr | string) {
    Ipv4Addr.from(v).writeTo(this.bytes, this.offset + 14);
  }
  /** Sender protocol address as a 32-bit number. */
  get senderIpValue(): number {
    return this.data.getUint32(this.offset + 14);
  }
  set senderIpValue(v: number) {
    this.data.setUint32(this.offset + 14, v);
  }
  /** Target hardware address. */
  get targetMac(): MacAddr {
    return MacAddr.readFrom(this.bytes, this.offset + 18);
  }
  set targetMac(v: MacAddr | string) {
    MacAddr.from(v).writeTo(this.bytes, this.offset + 18);
  }
  /** Target protocol address. */
  get targetIp(): Ipv4Addr {
    return Ipv4Addr.readFrom(this.bytes, this.offset + 24);
  }
  set targetIp(v: Ipv4Addr | string) {
    Ipv4Addr.from(v).writeTo(this.bytes, this.offset + 24);
  }
  /** Target protocol address as a 32-bit number. */
  get targetIpValue(): number {
    return this.data.getUint32(this.offset + 24);
  }
  set targetIpValue(v: number) {
    this.data.setUint32(this.offset + 24, v);
  }
}

/** IPv4 header (RFC 791), IHL-aware: options sit between 20 and `headerLength`. */
export class Ipv4View extends HeaderView {
  /** Bytes of a header without options. */
  static readonly MIN_LENGTH = 20;

  /** Version (4). */
  get version(): number {
    return this.bytes[this.offset] >> 4;
  }
  set version(v: number) {
    const o = this.offset;
    this.bytes[o] = (this.bytes[o] & 15) | ((v & 15) << 4);
  }
  /** Internet header length in 32-bit words (5..15). */
  get ihl(): number {
    return this.bytes[this.offset] & 15;
  }
  set ihl(v: number) {
    const o = this.offset;
    this.bytes[o] = (this.bytes[o] & 0xf0) | (v & 15);
  }
  /** Header length in bytes (IHL * 4). */
  get headerLength(): number {
    return (this.bytes[this.offset] & 15) * 4;
  }
  /** The type-of-service byte (DSCP and ECN). */
  get tos(): number {
    return this.bytes[this.offset + 1];
  }
  set tos(v: number) {
    this.bytes[this.offset + 1] = v;
  }
  /** Differentiated services code point (6 bits). */
  get dscp(): number {
    return this.bytes[this.offset + 1] >> 2;
  }
  set dscp(v: number) {
    const o = this.offset + 1;
    this.bytes[o] = (this.bytes[o] & 3) | ((v & 63) << 2);
  }
  /** Explicit congestion notification (2 bits). */
  get ecn(): number {
    return this.bytes[this.offset + 1] & 3;
  }
  set ecn(v: number) {
    const o = this.offset + 1;
    this.bytes[o] = (this.bytes[o] & 0xfc) | (v & 3);
  }
  /** Total length: header and payload, in bytes. */
  get totalLength(): number {
    return this.data.getUint16(this.offset + 2);
  }
  set totalLength(v: number) {
    this.data.setUint16(this.offset + 2, v);
  }
  /** Identification. */
  get id(): number {
    return this.data.getUint16(this.offset + 4);
  }
  set id(v: number) {
    this.data.setUint16(this.offset + 4, v);
  }
  /** The 3 flag bits (reserved, DF, MF) as a number 0..7. */
  get flags(): number {
    return this.bytes[this.offset + 6] >> 5;
  }
  set flags(v: number) {
    const o = this.offset + 6;
    this.bytes[o] = (this.bytes[o] & 0x1f) | ((v & 7) << 5);
  }
  /** Don't fragment. */
  get dontFragment(): boolean {
    return (this.bytes[this.offset + 6] & 0x40) !== 0;
  }
  set dontFragment(v: boolean) {
    const o = this.offset + 6;
    this.bytes[o] = v ? this.bytes[o] | 0x40 : this.bytes[o] & ~0x40;
  }
  /** More fragments. */
  get moreFragments(): boolean {
    return (this.bytes[this.offset + 6] & 0x20) !== 0;
  }
  set moreFragments(v: boolean) {
    const o = this.offset + 6;
    this.bytes[o] = v ? this.bytes[o] | 0x20 : this.bytes[o] & ~0x20;
  }
  /** Fragment offset in 8-byte units (13 bits). */
  get fragmentOffset(): number {
    return this.data.getUint16(this.offset + 6) & 0x1fff;
  }
  set fragmentOffset(v: number) {
    const o = this.offset + 6;
    this.data.setUint16(o, (this.data.getUint16(o) & 0xe000) | (v & 0x1fff));
  }
  /** Time to live. */
  get ttl(): number {
    return this.bytes[this.offset + 8];
  }
  set ttl(v: number) {
    this.bytes[this.offset + 8] = v;
  }
  /** Protocol of the payload (see {@linkcode IPPROTO}). */
  get protocol(): number {
    return this.bytes[this.offset + 9];
  }
  set protocol(v: number) {
    this.bytes[this.offset + 9] = v;
  }
  /** Header checksum field. */
  get checksum(): number {
    return this.data.getUint16(this.offset + 10);
  }
  set checksum(v: number) {
    this.data.setUint16(this.offset + 10, v);
  }
  /** Source address (a new Ipv4Addr). */
  get src(): Ipv4Addr {
    return Ipv4Addr.readFrom(this.bytes, this.offset + 12);
  }
  set src(v: Ipv4Addr | string) {
    Ipv4Addr.from(v).writeTo(this.bytes, this.offset + 12);
  }
  /** Source address as a 32-bit number. */
  get srcValue(): number {
    return this.data.getUint32(this.offset + 12);
  }
  set srcValue(v: number) {
    this.data.setUint32(this.offset + 12, v);
  }
  /** Destination address (a new Ipv4Addr). */
  get dst(): Ipv4Addr {
    return Ipv4Addr.readFrom(this.bytes, this.offset + 16);
  }
  set dst(v: Ipv4Addr | string) {
    Ipv4Addr.from(v).writeTo(this.bytes, this.offset + 16);
  }
  /** Destination address as a 32-bit number. */
  get dstValue(): number {
    return this.data.getUint32(this.offset + 16);
  }
  set dstValue(v: number) {
    this.data.setUint32(this.offset + 16, v);
  }
  /** Offset of the options (when IHL > 5). */
  get optionsOffset(): number {
    return this.offset + 20;
  }
  /** Bytes of options (IHL * 4 - 20). */
  get optionsLength(): number {
    return (this.bytes[this.offset] & 15) * 4 - 20;
  }
  /** Offset of the payload (after the options). */
  get payloadOffset(): number {
    return this.offset + (this.bytes[this.offset] & 15) * 4;
  }
  /** Payload bytes: total length - header length. */
  get payloadLength(): number {
    return this.data.getUint16(this.offset + 2) -
      (this.bytes[this.offset] & 15) * 4;
  }
  /** Computes and stores the header checksum; returns it. */
  updateChecksum(): number {
    const d = this.data, o = this.offset;
    const c = ipv4ChecksumOf(d, o);
    d.setUint16(o + 10, c);
    return c;
  }
}

/** IPv6 fixed header (RFC 8200), 40 bytes. */
export class Ipv6View extends HeaderView {
  /** Bytes of the fixed header. */
  static readonly LENGTH = 40;

  /** Version (6). */
  get version(): number {
    return this.bytes[this.offset] >> 4;
  }
  set version(v: number) {
    const o = this.offset;
    this.bytes[o] = (this.bytes[o] & 15) | ((v & 15) << 4);
  }
  /** Traffic class (8 bits). */
  get trafficClass(): number {
    return (this.data.getUint16(this.offset) >> 4) & 0xff;
  }
  set trafficClass(v: number) {
    const o = this.offset;
    this.data.setUint16(
      o,
      (this.data.getUint16(o) & 0xf00f) | ((v & 0xff) << 4),
    );
  }
  /** Flow label (20 bits). */
  get flowLabel(): number {
    return this.data.getUint32(this.offset) & 0xfffff;
  }
  set flowLabel(v: number) {
    const o = this.offset;
    this.data.setUint32(
      o,
      ((this.data.getUint32(o) & 0xfff00000) | (v & 0xfffff)) >>> 0,
    );
  }
  /** Payload length (bytes after the fixed header). */
  get payloadLength(): number {
    return this.data.getUint16(this.offset + 4);
  }
  set payloadLength(v: number) {
    this.data.setUint16(this.offset + 4, v);
  }
  /** Next header (the payload's protocol, see {@linkcode IPPROTO}). */
  get nextHeader(): number {
    return this.bytes[this.offset + 6];
  }
  set nextHeader(v: number) {
    this.bytes[this.offset + 6] = v;
  }
  /** Hop limit. */
  get hopLimit(): number {
    return this.bytes[this.offset + 7];
  }
  set hopLimit(v: number) {
    this.bytes[this.offset + 7] = v;
  }
  /** Source address (a new Ipv6Addr). */
  get src(): Ipv6Addr {
    return Ipv6Addr.readFrom(this.bytes, this.offset + 8);
  }
  set src(v: Ipv6Addr | string) {
    Ipv6Addr.from(v).writeTo(this.bytes, this.offset + 8);
  }
  /** Destination address (a new Ipv6Addr). */
  get dst(): Ipv6Addr {
    return Ipv6Addr.readFrom(this.bytes, this.offset + 24);
  }
  set dst(v: Ipv6Addr | string) {
    Ipv6Addr.from(v).writeTo(this.bytes, this.offset + 24);
  }
  /** Offset of the payload (after the fixed header). */
  get payloadOffset(): number {
    return this.offset + 40;
  }
}

/** UDP header (RFC 768), 8 bytes. */
export class UdpView extends HeaderView {
  /** Bytes of the header. */
  static readonly LENGTH = 8;

  /** Source port. */
  get srcPort(): number {
    return this.data.getUint16(this.offset);
  }
  set srcPort(v: number) {
    this.data.setUint16(this.offset, v);
  }
  /** Destination port. */
  get dstPort(): number {
    return this.data.getUint16(this.offset + 2);
  }
  set dstPort(v: number) {
    this.data.setUint16(this.offset + 2, v);
  }
  /** Length: header and payload, in bytes. */
  get length(): number {
    return this.data.getUint16(this.offset + 4);
  }
  set length(v: number) {
    this.data.setUint16(this.offset + 4, v);
  }
  /** Checksum field (0: none, over IPv4). */
  get checksum(): number {
    return this.data.getUint16(this.offset + 6);
  }
  set checksum(v: number) {
    this.data.setUint16(this.offset + 6, v);
  }
  /** Offset of the payload. */
  get payloadOffset(): number {
    return this.offset + 8;
  }
  /** Payload bytes (length - 8). */
  get payloadLength(): number {
    return this.data.getUint16(this.offset + 4) - 8;
  }
  /**
   * Computes and stores the checksum, with the IP header at `ipOffset`
   * (IPv4 or IPv6); returns it.
   */
  updateChecksum(ipOffset: number): number {
    const d = this.data, o = this.offset;
    const c = l4ChecksumOf(d, ipOffset, o);
    d.setUint16(o + 6, c);
    return c;
  }
}

/** TCP header (RFC 9293), data-offset aware: options up to `headerLength`. */
export class TcpView extends HeaderView {
  /** Bytes of a header without options. */
  static readonly MIN_LENGTH = 20;

  /** Source port. */
  get srcPort(): number {
    return this.data.getUint16(this.offset);
  }
  set srcPort(v: number) {
    this.data.setUint16(this.offset, v);
  }
  /** Destination port. */
  get dstPort(): number {
    return this.data.getUint16(this.offset + 2);
  }
  set dstPort(v: number) {
    this.data.setUint16(this.offset + 2, v);
  }
  /** Sequence number. */
  get seq(): number {
    return this.data.getUint32(this.offset + 4);
  }
  set seq(v: number) {
    this.data.setUint32(this.offset + 4, v >>> 0);
  }
  /** Acknowledgment number. */
  get ack(): number {
    return this.data.getUint32(this.offset + 8);
  }
  set ack(v: number) {
    this.data.setUint32(this.offset + 8, v >>> 0);
  }
  /** Data offset: header length in 32-bit words (5..15). */
  get dataOffset(): number {
    return this.bytes[this.offset + 12] >> 4;
  }
  set dataOffset(v: number) {
    const o = this.offset + 12;
    this.bytes[o] = (this.bytes[o] & 15) | ((v & 15) << 4);
  }
  /** Header length in bytes (data offset * 4). */
  get headerLength(): number {
    return (this.bytes[this.offset + 12] >> 4) * 4;
  }
  /** The 3 reserved bits (between data offset and NS). */
  get reserved(): number {
    return (this.bytes[this.offset + 12] >> 1) & 7;
  }
  set reserved(v: number) {
    const o = this.offset + 12;
    this.bytes[o] = (this.bytes[o] & 0xf1) | ((v & 7) << 1);
  }
  /** The flags byte (see {@linkcode TCP_FLAGS}). */
  get flags(): number {
    return this.bytes[this.offset + 13];
  }
  set flags(v: number) {
    this.bytes[this.offset + 13] = v;
  }
  /** NS (nonce sum, RFC 3540; bit 0 of byte 12). */
  get ns(): boolean {
    return (this.bytes[this.offset + 12] & 1) !== 0;
  }
  set ns(v: boolean) {
    const o = this.offset + 12;
    this.bytes[o] = v ? this.bytes[o] | 1 : this.bytes[o] & 0xfe;
  }
  #flag(bit: number): boolean {
    return (this.bytes[this.offset + 13] & bit) !== 0;
  }
  #setFlag(bit: number, v: boolean): void {
    const o = this.offset + 13;
    this.bytes[o] = v ? this.bytes[o] | bit : this.bytes[o] & ~bit;
  }
  /** FIN flag. */
  get fin(): boolean {
    return this.#flag(0x01);
  }
  set fin(v: boolean) {
    this.#setFlag(0x01, v);
  }
  /** SYN flag. */
  get syn(): boolean {
    return this.#flag(0x02);
  }
  set syn(v: boolean) {
    this.#setFlag(0x02, v);
  }
  /** RST flag. */
  get rst(): boolean {
    return this.#flag(0x04);
  }
  set rst(v: boolean) {
    this.#setFlag(0x04, v);
  }
  /** PSH flag. */
  get psh(): boolean {
    return this.#flag(0x08);
  }
  set psh(v: boolean) {
    this.#setFlag(0x08, v);
  }
  /** ACK flag. */
  get ackFlag(): boolean {
    return this.#flag(0x10);
  }
  set ackFlag(v: boolean) {
    this.#setFlag(0x10, v);
  }
  /** URG flag. */
  get urg(): boolean {
    return this.#flag(0x20);
  }
  set urg(v: boolean) {
    this.#setFlag(0x20, v);
  }
  /** ECE flag. */
  get ece(): boolean {
    return this.#flag(0x40);
  }
  set ece(v: boolean) {
    this.#setFlag(0x40, v);
  }
  /** CWR flag. */
  get cwr(): boolean {
    return this.#flag(0x80);
  }
  set cwr(v: boolean) {
    this.#setFlag(0x80, v);
  }
  /** Window. */
  get window(): number {
    return this.data.getUint16(this.offset + 14);
  }
  set window(v: number) {
    this.data.setUint16(this.offset + 14, v);
  }
  /** Checksum field. */
  get checksum(): number {
    return this.data.getUint16(this.offset + 16);
  }
  set checksum(v: number) {
    this.data.setUint16(this.offset + 16, v);
  }
  /** Urgent pointer. */
  get urgentPointer(): number {
    return this.data.getUint16(this.offset + 18);
  }
  set urgentPointer(v: number) {
    this.data.setUint16(this.offset + 18, v);
  }
  /** Offset of the options. */
  get optionsOffset(): number {
    return this.offset + 20;
  }
  /** Bytes of options (data offset * 4 - 20). */
  get optionsLength(): number {
    return (this.bytes[this.offset + 12] >> 4) * 4 - 20;
  }
  /** Offset of the payload (after the options). */
  get payloadOffset(): number {
    return this.offset + (this.bytes[this.offset + 12] >> 4) * 4;
  }
  /**
   * Computes and stores the checksum, with the IP header at `ipOffset`
   * (IPv4 or IPv6); returns it.
   */
  updateChecksum(ipOffset: number): number {
    const d = this.data, o = this.offset;
    const c = l4ChecksumOf(d, ipOffset, o);
    d.setUint16(o + 16, c);
    return c;
  }
}

/** ICMP (IPv4) header (RFC 792): type, code, checksum, 4 more bytes. */
export class IcmpView extends HeaderView {
  /** Bytes of the header. */
  static readonly LENGTH = 8;

  /** Message type (see {@linkcode ICMP_TYPE}). */
  get type(): number {
    return this.bytes[this.offset];
  }
  set type(v: number) {
    this.bytes[this.offset] = v;
  }
  /** Code. */
  get code(): number {
    return this.bytes[this.offset + 1];
  }
  set code(v: number) {
    this.bytes[this.offset + 1] = v;
  }
  /** Checksum field. */
  get checksum(): number {
    return this.data.getUint16(this.offset + 2);
  }
  set checksum(v: number) {
    this.data.setUint16(this.offset + 2, v);
  }
  /** Echo identifier (bytes 4-5). */
  get identifier(): number {
    return this.data.getUint16(this.offset + 4);
  }
  set identifier(v: number) {
    this.data.setUint16(this.offset + 4, v);
  }
  /** Echo sequence number (bytes 6-7). */
  get sequence(): number {
    return this.data.getUint16(this.offset + 6);
  }
  set sequence(v: number) {
    this.data.setUint16(this.offset + 6, v);
  }
  /** Bytes 4-7 as one number (the "rest of header"). */
  get rest(): number {
    return this.data.getUint32(this.offset + 4);
  }
  set rest(v: number) {
    this.data.setUint32(this.offset + 4, v >>> 0);
  }
  /** Offset of the message body. */
  get payloadOffset(): number {
    return this.offset + 8;
  }
  /** Computes and stores the checksum over `length` bytes; returns it. */
  updateChecksum(length: number): number {
    const d = this.data, o = this.offset;
    const c = icmpChecksumOf(d, o, length);
    d.setUint16(o + 2, c);
    return c;
  }
}

/** ICMPv6 header (RFC 4443): type, code, checksum, 4 more bytes. */
export class Icmpv6View extends HeaderView {
  /** Bytes of the header. */
  static readonly LENGTH = 8;

  /** Message type (see {@linkcode ICMPV6_TYPE}). */
  get type(): number {
    return this.bytes[this.offset];
  }
  set type(v: number) {
    this.bytes[this.offset] = v;
  }
  /** Code. */
  get code(): number {
    return this.bytes[this.offset + 1];
  }
  set code(v: number) {
    this.bytes[this.offset + 1] = v;
  }
  /** Checksum field. */
  get checksum(): number {
    return this.data.getUint16(this.offset + 2);
  }
  set checksum(v: number) {
    this.data.setUint16(this.offset + 2, v);
  }
  /** Echo identifier (bytes 4-5). */
  get identifier(): number {
    return this.data.getUint16(this.offset + 4);
  }
  set identifier(v: number) {
    this.data.setUint16(this.offset + 4, v);
  }
  /** Echo sequence number (bytes 6-7). */
  get sequence(): number {
    return this.data.getUint16(this.offset + 6);
  }
  set sequence(v: number) {
    this.data.setUint16(this.offset + 6, v);
  }
  /** Bytes 4-7 as one number (MTU, pointer, NA flags...). */
  get rest(): number {
    return this.data.getUint32(this.offset + 4);
  }
  set rest(v: number) {
    this.data.setUint32(this.offset + 4, v >>> 0);
  }
  /** Neighbor solicitation/advertisement target (bytes 8-23). */
  get target(): Ipv6Addr {
    return Ipv6Addr.readFrom(this.bytes, this.offset + 8);
  }
  set target(v: Ipv6Addr | string) {
    Ipv6Addr.from(v).writeTo(this.bytes, this.offset + 8);
  }
  /** Offset of the message body. */
  get payloadOffset(): number {
    return this.offset + 8;
  }
  /**
   * Computes and stores the checksum, with the IPv6 header at `ipOffset`;
   * returns it.
   */
  updateChecksum(ipOffset: number): number {
    const d = this.data, o = this.offset;
    const c = ipv6L4ChecksumOf(d, ipOffset, o, IPPROTO.ICMPV6);
    d.setUint16(o + 2, c);
    return c;
  }
}

/**
 * The layers of one frame, found and bounds-checked by
 * {@linkcode PacketLayers.parse}: reusable across packets (fields are
 * overwritten by each parse, nothing is allocated). Offsets are absolute
 * (into the buffer); -1 where a layer is absent.
 */
export class PacketLayers {
  /** Number of VLAN tags (0..2). */
  vlanCount = 0;
  /** First tag's TCI (0 without tags). */
  vlanTci = 0;
  /** EtherType of the L3 payload, after tags (-1 when the frame is shorter). */
  etherType: number = -1;
  /** Offset of the L3 header (-1 when absent). */
  l3Offset: number = -1;
  /** L2 header bytes (Ethernet + tags). */
  l2Length = 0;
  /** IP version (4 or 6; 0 when not IP). */
  ipVersion = 0;
  /** L3 header bytes (IPv4 IHL * 4, or 40 for IPv6; 0 when not IP). */
  l3Length = 0;
  /** L4 protocol (IPv4 protocol or IPv6 next header; -1 when not IP). */
  l4Protocol: number = -1;
  /** Offset of the L4 header (-1 when absent or a non-first fragment). */
  l4Offset: number = -1;
  /** L4 bytes by the IP length fields (header and payload). */
  l4Length = 0;
  /** The IP length fields end inside the given length. */
  ipComplete = false;

  /**
   * Finds the layers of the frame at `bytes[offset..offset+length)`; never
   * reads outside that range. Returns false when the Ethernet header is
   * incomplete; IP is checked (version, IHL >= 5, lengths inside the
   * frame: `ipComplete`) and L4 is located only in a consistent IP packet.
   */
  parse(
    bytes: Uint8Array,
    offset = 0,
    length = bytes.length - offset,
  ): boolean {
    this.vlanCount = 0;
    this.vlanTci = 0;
    this.etherType = -1;
    this.l3Offset = -1;
    this.l2Length = 0;
    this.ipVersion = 0;
    this.l3Length = 0;
    this.l4Protocol = -1;
    this.l4Offset = -1;
    this.l4Length = 0;
    this.ipComplete = false;
    const end = Math.min(offset + length, bytes.length);
    let o = offset + 12;
    if (o + 2 > end) return false;
    let type = (bytes[o] << 8) | bytes[o + 1];
    while (isVlanType(type) && this.vlanCount < 2) {
      if (o + 6 > end) return false;
      if (this.vlanCount === 0) {
        this.vlanTci = (bytes[o + 2] << 8) | bytes[o + 3];
      }
      this.vlanCount++;
      o += 4;
      type = (bytes[o] << 8) | bytes[o + 1];
    }
    this.etherType = type;
    this.l2Length = o + 2 - offset;
    const ip = o + 2;
    this.l3Offset = ip;
    if (type === 0x0800) {
      if (ip + 20 > end || bytes[ip] >> 4 !== 4) return true;
      const hl = (bytes[ip] & 15) * 4;
      const total = (bytes[ip + 2] << 8) | bytes[ip + 3];
      if (hl < 20 || total < hl || ip + total > end) return true;
      this.ipVersion = 4;
      this.l3Length = hl;
      this.l4Protocol = bytes[ip + 9];
      this.ipComplete = true;
      const fragOff = ((bytes[ip + 6] & 0x1f) << 8) | bytes[ip + 7];
      if (fragOff === 0) {
        this.l4Offset = ip + hl;
        this.l4Length = total - hl;
      }
    } else if (type === 0x86dd) {
      if (ip + 40 > end || bytes[ip] >> 4 !== 6) return true;
      const plen = (bytes[ip + 4] << 8) | bytes[ip + 5];
      if (ip + 40 + plen > end) return true;
      this.ipVersion = 6;
      this.l3Length = 40;
      this.l4Protocol = bytes[ip + 6];
      this.ipComplete = true;
      this.l4Offset = ip + 40;
      this.l4Length = plen;
    }
    return true;
  }
}
