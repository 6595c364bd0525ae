/**
 * Offloads and mbuf metadata: the `ol_flags` bits, ethdev offload
 * capability bits, packet type masks and `struct rte_mbuf` field offsets,
 * all read from the shim (`shim_packet_contract`) on first use, never
 * copied as literals; {@linkcode MbufMetaView} to read and write an mbuf's
 * offload flags, `l2_len`/`l3_len`/`l4_len`, packet type, RSS hash, VLAN
 * tags and timestamp in a pool view; {@linkcode TxChecksumOffload} to
 * request TX checksum offload where a port offers it and compute the
 * checksums in TypeScript where it does not.
 *
 * Flag constants are bigints (as `ol_flags` is 64 bits wide); hot paths
 * use their precomputed 32-bit halves ({@linkcode flagBits}) instead.
 *
 * @module
 */

import { cstr, lib } from "../../ffi/lib.ts";
import { DpdkError } from "../errors.ts";
import {
  icmpChecksum,
  ipv4Checksum,
  ipv4L4Checksum,
  ipv4PseudoHeaderSum,
  ipv6L4Checksum,
  ipv6PseudoHeaderSum,
} from "./checksum.ts";
import { PacketLayers } from "./headers.ts";

let contract: Map<string, bigint> | undefined;

/** The shim's contract, loaded once (first use, not at import). */
function packetContract(): Map<string, bigint> {
  if (contract !== undefined) return contract;
  const l = lib();
  const n = l.shim_packet_contract(null, 0);
  const out = new BigUint64Array(n);
  const rc = l.shim_packet_contract(out, n);
  if (rc < 0) throw new DpdkError("shim_packet_contract", -rc);
  const names = cstr(l.shim_packet_contract_names()).split(",").filter((s) =>
    s !== ""
  );
  if (names.length !== n) {
    throw new Error(
      `shim_packet_contract: ${n} values but ${names.length} names: rebuild the shim (make -C shim)`,
    );
  }
  const m = new Map<string, bigint>();
  names.forEach((name, i) => m.set(name, out[i]));
  contract = m;
  return m;
}

function entry(name: string): bigint {
  const v = packetContract().get(name);
  if (v === undefined) {
    throw new Error(
      `the shim's packet contract has no "${name}": rebuild it (make -C shim)`,
    );
  }
  return v;
}

function lazyTable<K extends string, T>(
  names: Record<K, string>,
  convert: (v: bigint) => T,
): { readonly [k in K]: T } {
  const o = {} as Record<K, T>;
  for (const key of Object.keys(names) as K[]) {
    Object.defineProperty(o, key, {
      get: () => convert(entry(names[key])),
      enumerable: true,
    });
  }
  return Object.freeze(o);
}

/**
 * Byte offsets of `struct rte_mbuf` fields (from the start of the mbuf),
 * its size, and the bit position and width of `l2_len`, `l3_len` and
 * `l4_len` inside the 64-bit `tx_offload` word. From the shim, on first
 * use.
 */
export const MBUF_FIELDS: {
  readonly size: number;
  readonly olFlags: number;
  readonly packetType: number;
  readonly rssHash: number;
  readonly vlanTci: number;
  readonly vlanTciOuter: number;
  readonly txOffload: number;
  readonly dynfield1: number;
  readonly l2LenShift: number;
  readonly l2LenBits: number;
  readonly l3LenShift: number;
  readonly l3LenBits: number;
  readonly l4LenShift: number;
  readonly l4LenBits: number;
} = lazyTable({
  size: "mbuf_size",
  olFlags: "off_ol_flags",
  packetType: "off_packet_type",
  rssHash: "off_rss",
  vlanTci: "off_vlan_tci",
  vlanTciOuter: "off_vlan_tci_outer",
  txOffload: "off_tx_offload",
  dynfield1: "off_dynfield1",
  l2LenShift: "l2_len_shift",
  l2LenBits: "l2_len_bits",
  l3LenShift: "l3_len_shift",
  l3LenBits: "l3_len_bits",
  l4LenShift: "l4_len_shift",
  l4LenBits: "l4_len_bits",
}, Number);

/** `ol_flags` bits (`RTE_MBUF_F_*`), from the shim, on first use. */
export const MBUF_FLAGS: {
  readonly TX_IPV4: bigint;
  readonly TX_IPV6: bigint;
  readonly TX_IP_CKSUM: bigint;
  readonly TX_TCP_CKSUM: bigint;
  readonly TX_UDP_CKSUM: bigint;
  readonly TX_SCTP_CKSUM: bigint;
  readonly TX_L4_MASK: bigint;
  readonly TX_VLAN: bigint;
  readonly TX_TCP_SEG: bigint;
  readonly RX_VLAN: bigint;
  readonly RX_VLAN_STRIPPED: bigint;
  readonly RX_RSS_HASH: bigint;
  readonly RX_IP_CKSUM_MASK: bigint;
  readonly RX_IP_CKSUM_BAD: bigint;
  readonly RX_IP_CKSUM_GOOD: bigint;
  readonly RX_IP_CKSUM_NONE: bigint;
  readonly RX_L4_CKSUM_MASK: bigint;
  readonly RX_L4_CKSUM_BAD: bigint;
  readonly RX_L4_CKSUM_GOOD: bigint;
  readonly RX_L4_CKSUM_NONE: bigint;
} = lazyTable({
  TX_IPV4: "tx_ipv4",
  TX_IPV6: "tx_ipv6",
  TX_IP_CKSUM: "tx_ip_cksum",
  TX_TCP_CKSUM: "tx_tcp_cksum",
  TX_UDP_CKSUM: "tx_udp_cksum",
  TX_SCTP_CKSUM: "tx_sctp_cksum",
  TX_L4_MASK: "tx_l4_mask",
  TX_VLAN: "tx_vlan",
  TX_TCP_SEG: "tx_tcp_seg",
  RX_VLAN: "rx_vlan",
  RX_VLAN_STRIPPED: "rx_vlan_stripped",
  RX_RSS_HASH: "rx_rss_hash",
  RX_IP_CKSUM_MASK: "rx_ip_cksum_mask",
  RX_IP_CKSUM_BAD: "rx_ip_cksum_bad",
  RX_IP_CKSUM_GOOD: "rx_ip_cksum_good",
  RX_IP_CKSUM_NONE: "rx_ip_cksum_none",
  RX_L4_CKSUM_MASK: "rx_l4_cksum_mask",
  RX_L4_CKSUM_BAD: "rx_l4_cksum_bad",
  RX_L4_CKSUM_GOOD: "rx_l4_cksum_good",
  RX_L4_CKSUM_NONE: "rx_l4_cksum_none",
}, (v) => v);

/**
 * Port offload capability and configuration bits (`RTE_ETH_TX_OFFLOAD_*`,
 * `RTE_ETH_RX_OFFLOAD_*`), as in `txOffloadCapa` / `rxOffloadCapa` of a
 * port's info. From the shim, on first use.
 */
export const ETH_OFFLOAD: {
  readonly TX_VLAN_INSERT: bigint;
  readonly TX_IPV4_CKSUM: bigint;
  readonly TX_UDP_CKSUM: bigint;
  readonly TX_TCP_CKSUM: bigint;
  readonly RX_VLAN_STRIP: bigint;
  readonly RX_IPV4_CKSUM: bigint;
  readonly RX_UDP_CKSUM: bigint;
  readonly RX_TCP_CKSUM: bigint;
  readonly RX_RSS_HASH: bigint;
  readonly RX_TIMESTAMP: bigint;
} = lazyTable({
  TX_VLAN_INSERT: "eth_tx_vlan_insert",
  TX_IPV4_CKSUM: "eth_tx_ipv4_cksum",
  TX_UDP_CKSUM: "eth_tx_udp_cksum",
  TX_TCP_CKSUM: "eth_tx_tcp_cksum",
  RX_VLAN_STRIP: "eth_rx_vlan_strip",
  RX_IPV4_CKSUM: "eth_rx_ipv4_cksum",
  RX_UDP_CKSUM: "eth_rx_udp_cksum",
  RX_TCP_CKSUM: "eth_rx_tcp_cksum",
  RX_RSS_HASH: "eth_rx_rss_hash",
  RX_TIMESTAMP: "eth_rx_timestamp",
}, (v) => v);

/** `packet_type` masks and values (`RTE_PTYPE_*`), from the shim, on first use. */
export const PTYPE: {
  readonly L2_MASK: number;
  readonly L3_MASK: number;
  readonly L4_MASK: number;
  readonly TUNNEL_MASK: number;
  readonly L2_ETHER: number;
  readonly L2_ETHER_ARP: number;
  readonly L2_ETHER_VLAN: number;
  readonly L2_ETHER_QINQ: number;
  readonly L3_IPV4: number;
  readonly L3_IPV4_EXT: number;
  readonly L3_IPV4_EXT_UNKNOWN: number;
  readonly L3_IPV6: number;
  readonly L3_IPV6_EXT: number;
  readonly L3_IPV6_EXT_UNKNOWN: number;
  readonly L4_TCP: number;
  readonly L4_UDP: number;
  readonly L4_FRAG: number;
  readonly L4_ICMP: number;
  readonly L4_NONFRAG: number;
} = lazyTable({
  L2_MASK: "ptype_l2_mask",
  L3_MASK: "ptype_l3_mask",
  L4_MASK: "ptype_l4_mask",
  TUNNEL_MASK: "ptype_tunnel_mask",
  L2_ETHER: "ptype_l2_ether",
  L2_ETHER_ARP: "ptype_l2_ether_arp",
  L2_ETHER_VLAN: "ptype_l2_ether_vlan",
  L2_ETHER_QINQ: "ptype_l2_ether_qinq",
  L3_IPV4: "ptype_l3_ipv4",
  L3_IPV4_EXT: "ptype_l3_ipv4_ext",
  L3_IPV4_EXT_UNKNOWN: "ptype_l3_ipv4_ext_unknown",
  L3_IPV6: "ptype_l3_ipv6",
  L3_IPV6_EXT: "ptype_l3_ipv6_ext",
  L3_IPV6_EXT_UNKNOWN: "ptype_l3_ipv6_ext_unknown",
  L4_TCP: "ptype_l4_tcp",
  L4_UDP: "ptype_l4_udp",
  L4_FRAG: "ptype_l4_frag",
  L4_ICMP: "ptype_l4_icmp",
  L4_NONFRAG: "ptype_l4_nonfrag",
}, Number);

/** A 64-bit flag set as two unsigned 32-bit halves, for hot paths. */
export interface FlagBits {
  /** Bits 0..31. */
  readonly lo: number;
  /** Bits 32..63. */
  readonly hi: number;
}

/** The 32-bit halves of `flags` (computed once, outside a loop). */
export function flagBits(flags: bigint): FlagBits {
  return Object.freeze({
    lo: Number(flags & 0xffffffffn),
    hi: Number((flags >> 32n) & 0xffffffffn),
  });
}

/**
 * The offset of the timestamp dynamic field in `struct rte_mbuf`, or -1
 * when it is not registered (or before the EAL is initialised). A driver
 * that timestamps registers it; {@linkcode registerMbufTimestamp} does it
 * for a script that writes its own.
 */
export function mbufTimestampOffset(): number {
  const off = lib().shim_mbuf_timestamp_offset();
  return off < 0 ? -1 : off;
}

/**
 * Registers the timestamp dynamic field and RX timestamp flag
 * (`rte_mbuf_dyn_rx_timestamp_register`, idempotent); needs the EAL.
 *
 * @returns the field's offset in the mbuf and the RX flag's `ol_flags` bit
 * @throws DpdkError when registration fails or the EAL is not initialised
 */
export function registerMbufTimestamp(): { offset: number; rxFlag: bigint } {
  const flag = new BigUint64Array(1);
  const off = lib().shim_mbuf_timestamp_register(flag);
  if (off < 0) throw new DpdkError("rte_mbuf_dyn_rx_timestamp_register", -off);
  return { offset: off, rxFlag: flag[0] };
}

/** Reads bits [shift, shift+bits) of the u64 at `at` (little-endian). */
function getBits(
  data: DataView,
  at: number,
  shift: number,
  bits: number,
): number {
  const lo = data.getUint32(at, true), hi = data.getUint32(at + 4, true);
  const mask = bits >= 32 ? 0xffffffff : (2 ** bits) - 1;
  if (shift >= 32) return ((hi >>> (shift - 32)) & mask) >>> 0;
  if (shift + bits <= 32) return ((lo >>> shift) & mask) >>> 0;
  // straddles the two words
  const loBits = 32 - shift;
  return ((lo >>> shift) +
    (hi & ((2 ** (bits - loBits)) - 1)) * 2 ** loBits) >>> 0;
}

/** Writes bits [shift, shift+bits) of the u64 at `at` (little-endian). */
function setBits(
  data: DataView,
  at: number,
  shift: number,
  bits: number,
  value: number,
): void {
  const mask = bits >= 32 ? 0xffffffff : (2 ** bits) - 1;
  const v = value & mask;
  if (shift >= 32) {
    const s = shift - 32;
    const hi = data.getUint32(at + 4, true);
    data.setUint32(at + 4, ((hi & ~(mask << s)) | (v << s)) >>> 0, true);
  } else if (shift + bits <= 32) {
    const lo = data.getUint32(at, true);
    data.setUint32(at, ((lo & ~(mask << shift)) | (v << shift)) >>> 0, true);
  } else {
    const loBits = 32 - shift;
    const loMask = (2 ** loBits) - 1;
    const lo = data.getUint32(at, true);
    data.setUint32(
      at,
      ((lo & ~(loMask << shift)) | ((v & loMask) << shift)) >>> 0,
      true,
    );
    const hiBits = bits - loBits;
    const hiMask = (2 ** hiBits) - 1;
    const hi = data.getUint32(at + 4, true);
    data.setUint32(
      at + 4,
      ((hi & ~hiMask) | (Math.floor(v / 2 ** loBits) & hiMask)) >>> 0,
      true,
    );
  }
}

/**
 * A reusable view of one mbuf's metadata in a pool view: `at(offset)`
 * points it at the `struct rte_mbuf` at that offset (e.g. from
 * `PoolView.offsets`). Offsets come from the shim when the view is made;
 * number accessors allocate nothing, bigint ones (`olFlags`, `txOffload`,
 * `timestamp`) do.
 */
export class MbufMetaView {
  /** The pool view's DataView. */
  data: DataView;
  /** Offset of the mbuf in `data`. */
  offset: number;
  #olFlags: number;
  #packetType: number;
  #rss: number;
  #vlanTci: number;
  #vlanTciOuter: number;
  #txOffload: number;
  #l2Shift: number;
  #l2Bits: number;
  #l3Shift: number;
  #l3Bits: number;
  #l4Shift: number;
  #l4Bits: number;
  #timestamp: number;

  /** A view over `data` (a pool view's `data`), at mbuf offset `offset`. */
  constructor(data: DataView, offset = 0) {
    this.data = data;
    this.offset = offset;
    this.#olFlags = MBUF_FIELDS.olFlags;
    this.#packetType = MBUF_FIELDS.packetType;
    this.#rss = MBUF_FIELDS.rssHash;
    this.#vlanTci = MBUF_FIELDS.vlanTci;
    this.#vlanTciOuter = MBUF_FIELDS.vlanTciOuter;
    this.#txOffload = MBUF_FIELDS.txOffload;
    this.#l2Shift = MBUF_FIELDS.l2LenShift;
    this.#l2Bits = MBUF_FIELDS.l2LenBits;
    this.#l3Shift = MBUF_FIELDS.l3LenShift;
    this.#l3Bits = MBUF_FIELDS.l3LenBits;
    this.#l4Shift = MBUF_FIELDS.l4LenShift;
    this.#l4Bits = MBUF_FIELDS.l4LenBits;
    this.#timestamp = -1;
  }

  /** Points the view at the mbuf at `offset`; returns the view. */
  at(offset: number): this {
    this.offset = offset;
    return this;
  }

  /** `ol_flags` bits 0..31. */
  get olFlagsLo(): number {
    return this.data.getUint32(this.offset + this.#olFlags, true);
  }
  set olFlagsLo(v: number) {
    this.data.setUint32(this.offset + this.#olFlags, v >>> 0, true);
  }
  /** `ol_flags` bits 32..63. */
  get olFlagsHi(): number {
    return this.data.getUint32(this.offset + this.#olFlags + 4, true);
  }
  set olFlagsHi(v: number) {
    this.data.setUint32(this.offset + this.#olFlags + 4, v >>> 0, true);
  }
  /** `ol_flags` as a bigint (allocates). */
  get olFlags(): bigint {
    return this.data.getBigUint64(this.offset + this.#olFlags, true);
  }
  set olFlags(v: bigint) {
    this.data.setBigUint64(this.offset + this.#olFlags, v, true);
  }
  /** Whether every bit of `flag` is set in `ol_flags`. */
  hasFlags(flag: FlagBits): boolean {
    const o = this.offset + this.#olFlags;
    return (this.data.getUint32(o, true) & flag.lo) === flag.lo &&
      (this.data.getUint32(o + 4, true) & flag.hi) === flag.hi;
  }
  /** Whether any bit of `flag` is set in `ol_flags`. */
  anyFlags(flag: FlagBits): boolean {
    const o = this.offset + this.#olFlags;
    return (this.data.getUint32(o, true) & flag.lo) !== 0 ||
      (this.data.getUint32(o + 4, true) & flag.hi) !== 0;
  }
  /** Sets the bits of `flag` in `ol_flags`. */
  setFlags(flag: FlagBits): void {
    const o = this.offset + this.#olFlags, d = this.data;
    d.setUint32(o, (d.getUint32(o, true) | flag.lo) >>> 0, true);
    d.setUint32(o + 4, (d.getUint32(o + 4, true) | flag.hi) >>> 0, true);
  }
  /** Clears the bits of `flag` in `ol_flags`. */
  clearFlags(flag: FlagBits): void {
    const o = this.offset + this.#olFlags, d = this.data;
    d.setUint32(o, (d.getUint32(o, true) & ~flag.lo) >>> 0, true);
    d.setUint32(o + 4, (d.getUint32(o + 4, true) & ~flag.hi) >>> 0, true);
  }
  /** `packet_type` (see {@linkcode PTYPE}). */
  get packetType(): number {
    return this.data.getUint32(this.offset + this.#packetType, true);
  }
  set packetType(v: number) {
    this.data.setUint32(this.offset + this.#packetType, v >>> 0, true);
  }
  /** `hash.rss`, valid with RX_RSS_HASH. */
  get rssHash(): number {
    return this.data.getUint32(this.offset + this.#rss, true);
  }
  set rssHash(v: number) {
    this.data.setUint32(this.offset + this.#rss, v >>> 0, true);
  }
  /** `vlan_tci` (host order), valid with RX_VLAN; the tag to insert with TX_VLAN. */
  get vlanTci(): number {
    return this.data.getUint16(this.offset + this.#vlanTci, true);
  }
  set vlanTci(v: number) {
    this.data.setUint16(this.offset + this.#vlanTci, v, true);
  }
  /** `vlan_tci_outer` (host order). */
  get vlanTciOuter(): number {
    return this.data.getUint16(this.offset + this.#vlanTciOuter, true);
  }
  set vlanTciOuter(v: number) {
    this.data.setUint16(this.offset + this.#vlanTciOuter, v, true);
  }
  /** `l2_len` (bits of `tx_offload`). */
  get l2Len(): number {
    return getBits(
      this.data,
      this.offset + this.#txOffload,
      this.#l2Shift,
      this.#l2Bits,
    );
  }
  set l2Len(v: number) {
    setBits(
      this.data,
      this.offset + this.#txOffload,
      this.#l2Shift,
      this.#l2Bits,
      v,
    );
  }
  /** `l3_len` (bits of `tx_offload`). */
  get l3Len(): number {
    return getBits(
      this.data,
      this.offset + this.#txOffload,
      this.#l3Shift,
      this.#l3Bits,
    );
  }
  set l3Len(v: number) {
    setBits(
      this.data,
      this.offset + this.#txOffload,
      this.#l3Shift,
      this.#l3Bits,
      v,
    );
  }
  /** `l4_len` (bits of `tx_offload`). */
  get l4Len(): number {
    return getBits(
      this.data,
      this.offset + this.#txOffload,
      this.#l4Shift,
      this.#l4Bits,
    );
  }
  set l4Len(v: number) {
    setBits(
      this.data,
      this.offset + this.#txOffload,
      this.#l4Shift,
      this.#l4Bits,
      v,
    );
  }
  /** The whole `tx_offload` word (allocates). */
  get txOffload(): bigint {
    return this.data.getBigUint64(this.offset + this.#txOffload, true);
  }
  set txOffload(v: bigint) {
    this.data.setBigUint64(this.offset + this.#txOffload, v, true);
  }
  #timestampAt(): number {
    if (this.#timestamp < 0) {
      const off = mbufTimestampOffset();
      if (off < 0) {
        throw new Error(
          "the mbuf timestamp dynamic field is not registered " +
            "(registerMbufTimestamp(), or a port with RX timestamps)",
        );
      }
      this.#timestamp = off;
    }
    return this.#timestamp;
  }
  /**
   * The timestamp dynamic field (allocates a bigint).
   *
   * @throws Error when the field is not registered
   */
  get timestamp(): bigint {
    return this.data.getBigUint64(this.offset + this.#timestampAt(), true);
  }
  set timestamp(v: bigint) {
    this.data.setBigUint64(this.offset + this.#timestampAt(), v, true);
  }
}

/** Which checksums {@linkcode TxChecksumOffload} fills (all by default). */
export interface ChecksumOffloadOptions {
  /** The IPv4 header checksum (default true). */
  ip?: boolean;
  /** UDP and TCP checksums (default true). */
  l4?: boolean;
  /** ICMP and ICMPv6 checksums, always in software (default true). */
  icmp?: boolean;
  /** Never offload, compute everything in TypeScript (default false). */
  software?: boolean;
}

/**
 * Checksums for TX: offloaded to the NIC where the port offers it (the
 * capability bits of `port.info().txOffloadCapa`), computed in TypeScript
 * where it does not. For an offloaded checksum it sets the mbuf's
 * `ol_flags` (TX_IPV4/TX_IPV6, TX_IP_CKSUM, TX_UDP_CKSUM/TX_TCP_CKSUM),
 * `l2_len` and `l3_len`, zeroes the IPv4 checksum field and writes the
 * pseudo-header sum into the L4 checksum field, as DPDK asks. The port
 * must be configured with {@linkcode TxChecksumOffload.portOffloads} in
 * its TX offloads for the NIC to act on them.
 *
 * `prepare` allocates nothing per packet.
 */
export class TxChecksumOffload {
  /** The IPv4 header checksum is offloaded. */
  readonly hwIpv4: boolean;
  /** UDP checksums are offloaded. */
  readonly hwUdp: boolean;
  /** TCP checksums are offloaded. */
  readonly hwTcp: boolean;
  /** TX offload bits this plan needs enabled on the port (0n when all in software). */
  readonly portOffloads: bigint;
  readonly #ip: boolean;
  readonly #l4: boolean;
  readonly #icmp: boolean;
  readonly #layers = new PacketLayers();
  readonly #meta: MbufMetaView | null;
  // precomputed flag halves
  readonly #clear: FlagBits;
  readonly #ipv4: FlagBits;
  readonly #ipv6: FlagBits;
  readonly #ipCksum: FlagBits;
  readonly #udp: FlagBits;
  readonly #tcp: FlagBits;

  /**
   * A plan for a port with TX offload capabilities `txOffloadCapa`.
   *
   * @param txOffloadCapa the port's `txOffloadCapa` (0n: none offered)
   * @param options which checksums to fill, and whether to force software
   * @param data the pool view's DataView for the mbufs' metadata (needed
   *   when anything is offloaded)
   */
  constructor(
    txOffloadCapa: bigint,
    { ip = true, l4 = true, icmp = true, software = false }:
      ChecksumOffloadOptions = {},
    data?: DataView,
  ) {
    const has = (bit: bigint) => !software && (txOffloadCapa & bit) !== 0n;
    this.#ip = ip;
    this.#l4 = l4;
    this.#icmp = icmp;
    this.hwIpv4 = ip && has(ETH_OFFLOAD.TX_IPV4_CKSUM);
    this.hwUdp = l4 && has(ETH_OFFLOAD.TX_UDP_CKSUM);
    this.hwTcp = l4 && has(ETH_OFFLOAD.TX_TCP_CKSUM);
    this.portOffloads = (this.hwIpv4 ? ETH_OFFLOAD.TX_IPV4_CKSUM : 0n) |
      (this.hwUdp ? ETH_OFFLOAD.TX_UDP_CKSUM : 0n) |
      (this.hwTcp ? ETH_OFFLOAD.TX_TCP_CKSUM : 0n);
    const F = MBUF_FLAGS;
    this.#clear = flagBits(
      F.TX_IPV4 | F.TX_IPV6 | F.TX_IP_CKSUM | F.TX_L4_MASK,
    );
    this.#ipv4 = flagBits(F.TX_IPV4);
    this.#ipv6 = flagBits(F.TX_IPV6);
    this.#ipCksum = flagBits(F.TX_IP_CKSUM);
    this.#udp = flagBits(F.TX_UDP_CKSUM);
    this.#tcp = flagBits(F.TX_TCP_CKSUM);
    const offloads = this.hwIpv4 || this.hwUdp || this.hwTcp;
    if (offloads && data === undefined) {
      throw new TypeError(
        "TxChecksumOffload: the port offloads checksums: pass the pool view's DataView",
      );
    }
    this.#meta = data !== undefined ? new MbufMetaView(data) : null;
  }

  /**
   * Fills or requests the checksums of the frame at
   * `bytes[pktOffset..pktOffset+length)` whose mbuf is at `mbufOffset`
   * (offsets into the same pool view). Returns false, changing nothing,
   * when the frame is not IP or its lengths are inconsistent.
   */
  prepare(
    bytes: Uint8Array,
    data: DataView,
    mbufOffset: number,
    pktOffset: number,
    length: number,
  ): boolean {
    const L = this.#layers;
    if (!L.parse(bytes, pktOffset, length) || !L.ipComplete) return false;
    const ip = L.l3Offset, l4 = L.l4Offset, proto = L.l4Protocol;
    const v4 = L.ipVersion === 4;
    let lo = 0, hi = 0;
    if (l4 >= 0 && this.#l4 && (proto === 17 || proto === 6)) {
      const field = l4 + (proto === 17 ? 6 : 16);
      const hw = proto === 17 ? this.hwUdp : this.hwTcp;
      if (hw && L.l4Length >= (proto === 17 ? 8 : 20)) {
        data.setUint16(
          field,
          v4
            ? ipv4PseudoHeaderSum(bytes, ip, L.l4Length)
            : ipv6PseudoHeaderSum(bytes, ip, L.l4Length, proto),
        );
        const f = proto === 17 ? this.#udp : this.#tcp;
        lo |= f.lo;
        hi |= f.hi;
      } else if (L.l4Length >= (proto === 17 ? 8 : 20)) {
        data.setUint16(
          field,
          v4 ? ipv4L4Checksum(bytes, ip, l4) : ipv6L4Checksum(bytes, ip, l4),
        );
      }
    } else if (l4 >= 0 && this.#icmp && L.l4Length >= 4) {
      if (proto === 1 && v4) {
        data.setUint16(l4 + 2, icmpChecksum(bytes, l4, L.l4Length));
      } else if (proto === 58 && !v4) {
        data.setUint16(l4 + 2, ipv6L4Checksum(bytes, ip, l4, 58));
      }
    }
    if (v4 && this.#ip) {
      if (this.hwIpv4) {
        data.setUint16(ip + 10, 0);
        lo |= this.#ipCksum.lo;
        hi |= this.#ipCksum.hi;
      } else {
        data.setUint16(ip + 10, ipv4Checksum(bytes, ip));
      }
    }
    const m = this.#meta;
    if (m !== null) {
      m.data = data;
      m.at(mbufOffset);
      m.clearFlags(this.#clear);
      if ((lo | hi) !== 0) {
        const fam = v4 ? this.#ipv4 : this.#ipv6;
        m.olFlagsLo = (m.olFlagsLo | lo | fam.lo) >>> 0;
        m.olFlagsHi = (m.olFlagsHi | hi | fam.hi) >>> 0;
        m.l2Len = L.l2Length;
        m.l3Len = L.l3Length;
      }
    }
    return true;
  }
}
