/**
 * Internet checksums (RFC 1071) over packet bytes, bit-exact with DPDK's
 * `rte_raw_cksum`, `rte_ipv4_cksum`, `rte_ipv4_phdr_cksum`,
 * `rte_ipv6_phdr_cksum`, `rte_ipv4_udptcp_cksum` and
 * `rte_ipv6_udptcp_cksum`, and incremental updates (RFC 1624).
 *
 * Values are numbers in network order: the value to store with
 * `DataView.setUint16(at, value)` (big-endian). DPDK returns the same bytes
 * as a host-order `uint16_t` (on x86, the byte swap of our number).
 *
 * The functions that fill a header's checksum compute it as if the
 * checksum field were zero (DPDK asks the caller to zero it first), so
 * they give the value to store whatever the field holds. They read only
 * inside `bytes` and throw `RangeError` when a header's length fields
 * point past it; nothing is allocated.
 *
 * @module
 */

/** IP protocol numbers the L4 checksums special-case. */
const PROTO_TCP = 6;
const PROTO_UDP = 17;
const PROTO_ICMPV6 = 58;

/**
 * Sum of the 16-bit big-endian words of `bytes[offset..offset+length)`,
 * unfolded, added to `initial`; an odd last byte counts as its word's high
 * byte (RFC 1071). Exact for any packet size (the sum stays below 2^53).
 */
export function onesSum(
  bytes: Uint8Array,
  offset: number,
  length: number,
  initial = 0,
): number {
  // high and low bytes summed apart (fewer operations than words)
  let hi = 0, lo = 0;
  let i = offset;
  const end = offset + length;
  const end8 = offset + (length & ~7);
  for (; i < end8; i += 8) {
    hi += bytes[i] + bytes[i + 2] + bytes[i + 4] + bytes[i + 6];
    lo += bytes[i + 1] + bytes[i + 3] + bytes[i + 5] + bytes[i + 7];
  }
  for (; i + 1 < end; i += 2) {
    hi += bytes[i];
    lo += bytes[i + 1];
  }
  if (i < end) hi += bytes[i];
  return initial + hi * 256 + lo;
}

/**
 * Folds a sum from {@linkcode onesSum} to 16 bits with end-around carry:
 * the non-complemented checksum (0 only when the sum is 0).
 */
export function foldSum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/**
 * `rte_raw_cksum`: the folded, non-complemented sum of
 * `bytes[offset..offset+length)`.
 */
export function rawChecksum(
  bytes: Uint8Array,
  offset: number,
  length: number,
): number {
  checkSpan("rawChecksum", bytes, offset, length);
  return foldSum(onesSum(bytes, offset, length));
}

/**
 * The RFC 1071 checksum of `bytes[offset..offset+length)`: the one's
 * complement of the folded sum (what ICMP carries).
 */
export function internetChecksum(
  bytes: Uint8Array,
  offset: number,
  length: number,
): number {
  checkSpan("internetChecksum", bytes, offset, length);
  return ~foldSum(onesSum(bytes, offset, length)) & 0xffff;
}

function checkSpan(
  what: string,
  bytes: Uint8Array,
  offset: number,
  length: number,
): void {
  if (!(offset >= 0 && length >= 0 && offset + length <= bytes.length)) {
    throw new RangeError(
      `${what}: ${length} bytes at offset ${offset} are outside the ` +
        `${bytes.length}-byte buffer`,
    );
  }
}

function word(bytes: Uint8Array, at: number): number {
  return (bytes[at] << 8) | bytes[at + 1];
}

function ipv4HeaderLength(what: string, bytes: Uint8Array, ip: number): number {
  checkSpan(what, bytes, ip, 20);
  if (bytes[ip] >> 4 !== 4) {
    throw new RangeError(`${what}: not IPv4 (version ${bytes[ip] >> 4})`);
  }
  const hl = (bytes[ip] & 15) * 4;
  if (hl < 20) throw new RangeError(`${what}: IHL ${hl / 4} < 5`);
  checkSpan(what, bytes, ip, hl);
  return hl;
}

/**
 * The IPv4 header checksum of the header at `ipOffset` (IHL-sized, options
 * included), as `rte_ipv4_cksum` computes it with the field zeroed.
 */
export function ipv4Checksum(bytes: Uint8Array, ipOffset: number): number {
  const hl = ipv4HeaderLength("ipv4Checksum", bytes, ipOffset);
  const s = onesSum(bytes, ipOffset, hl) - word(bytes, ipOffset + 10);
  return ~foldSum(s) & 0xffff;
}

/** Whether the IPv4 header at `ipOffset` carries a correct checksum. */
export function ipv4ChecksumValid(
  bytes: Uint8Array,
  ipOffset: number,
): boolean {
  const hl = ipv4HeaderLength("ipv4ChecksumValid", bytes, ipOffset);
  return foldSum(onesSum(bytes, ipOffset, hl)) === 0xffff;
}

/**
 * `rte_ipv4_phdr_cksum(ip, 0)`: the folded, non-complemented sum of the
 * IPv4 pseudo-header (addresses, protocol, L4 length = total length - IHL),
 * what a NIC's L4 checksum offload expects in the L4 checksum field.
 */
export function ipv4PseudoHeaderSum(
  bytes: Uint8Array,
  ipOffset: number,
  l4Length: number = ipv4L4Length("ipv4PseudoHeaderSum", bytes, ipOffset),
): number {
  checkSpan("ipv4PseudoHeaderSum", bytes, ipOffset, 20);
  return foldSum(ipv4PseudoSum(bytes, ipOffset, l4Length));
}

function ipv4PseudoSum(
  bytes: Uint8Array,
  ip: number,
  l4Length: number,
): number {
  return word(bytes, ip + 12) + word(bytes, ip + 14) + word(bytes, ip + 16) +
    word(bytes, ip + 18) + bytes[ip + 9] + l4Length;
}

function ipv4L4Length(what: string, bytes: Uint8Array, ip: number): number {
  const hl = ipv4HeaderLength(what, bytes, ip);
  const total = word(bytes, ip + 2);
  if (total < hl) {
    throw new RangeError(`${what}: total length ${total} < header ${hl}`);
  }
  return total - hl;
}

/**
 * `rte_ipv6_phdr_cksum(ip, 0)`: the folded, non-complemented sum of the
 * IPv6 pseudo-header (addresses, L4 length = payload length, next header).
 */
export function ipv6PseudoHeaderSum(
  bytes: Uint8Array,
  ipOffset: number,
  l4Length: number = word(bytes, ipOffset + 4),
  proto: number = bytes[ipOffset + 6],
): number {
  checkSpan("ipv6PseudoHeaderSum", bytes, ipOffset, 40);
  return foldSum(onesSum(bytes, ipOffset + 8, 32, l4Length + proto));
}

/** Offset in the L4 header of its checksum field, -1 for none. */
function checksumFieldOffset(proto: number): number {
  if (proto === PROTO_UDP) return 6;
  if (proto === PROTO_TCP) return 16;
  if (proto === PROTO_ICMPV6 || proto === 1) return 2;
  return -1;
}

function l4Sum(
  what: string,
  bytes: Uint8Array,
  l4Offset: number,
  l4Length: number,
  proto: number,
): number {
  checkSpan(what, bytes, l4Offset, l4Length);
  let s = onesSum(bytes, l4Offset, l4Length);
  const field = checksumFieldOffset(proto);
  if (field >= 0 && field + 2 <= l4Length) s -= word(bytes, l4Offset + field);
  return s;
}

function finishL4(sum: number, proto: number): number {
  const c = ~foldSum(sum) & 0xffff;
  // RFC 768: a computed 0 is sent as all ones for UDP (as DPDK does)
  return c === 0 && proto === PROTO_UDP ? 0xffff : c;
}

/**
 * `rte_ipv4_udptcp_cksum`: the UDP or TCP checksum (also for any other
 * protocol number) of the L4 header at `l4Offset` behind the IPv4 header
 * at `ipOffset`, over total length - IHL bytes, the checksum field taken
 * as zero. A computed 0 becomes 0xffff for UDP.
 */
export function ipv4L4Checksum(
  bytes: Uint8Array,
  ipOffset: number,
  l4Offset: number = ipOffset + (bytes[ipOffset] & 15) * 4,
): number {
  const len = ipv4L4Length("ipv4L4Checksum", bytes, ipOffset);
  const proto = bytes[ipOffset + 9];
  const s = l4Sum("ipv4L4Checksum", bytes, l4Offset, len, proto) +
    ipv4PseudoSum(bytes, ipOffset, len);
  return finishL4(s, proto);
}

/**
 * `rte_ipv6_udptcp_cksum`: the UDP, TCP or ICMPv6 checksum of the L4
 * header at `l4Offset` (default: right after the fixed header) behind the
 * IPv6 header at `ipOffset`, over payload length - (extension headers)
 * bytes, the checksum field taken as zero. `proto` defaults to the next
 * header field (give it when extension headers sit between). A computed 0
 * becomes 0xffff for UDP.
 */
export function ipv6L4Checksum(
  bytes: Uint8Array,
  ipOffset: number,
  l4Offset: number = ipOffset + 40,
  proto: number = bytes[ipOffset + 6],
): number {
  checkSpan("ipv6L4Checksum", bytes, ipOffset, 40);
  const len = word(bytes, ipOffset + 4) - (l4Offset - ipOffset - 40);
  if (len < 0) {
    throw new RangeError(
      `ipv6L4Checksum: L4 offset ${l4Offset} is past the payload length`,
    );
  }
  const s = l4Sum("ipv6L4Checksum", bytes, l4Offset, len, proto) +
    onesSum(bytes, ipOffset + 8, 32, len + proto);
  return finishL4(s, proto);
}

/**
 * The L4 (UDP, TCP, ICMPv6) checksum behind the IP header at `ipOffset`,
 * IPv4 or IPv6 after its version field: {@linkcode ipv4L4Checksum} or
 * {@linkcode ipv6L4Checksum}.
 */
export function l4Checksum(
  bytes: Uint8Array,
  ipOffset: number,
  l4Offset?: number,
): number {
  checkSpan("l4Checksum", bytes, ipOffset, 1);
  return bytes[ipOffset] >> 4 === 6
    ? ipv6L4Checksum(bytes, ipOffset, l4Offset)
    : ipv4L4Checksum(bytes, ipOffset, l4Offset);
}

/** The UDP checksum behind the IPv4/IPv6 header at `ipOffset`. */
export const udpChecksum: typeof l4Checksum = l4Checksum;
/** The TCP checksum behind the IPv4/IPv6 header at `ipOffset`. */
export const tcpChecksum: typeof l4Checksum = l4Checksum;

/**
 * The ICMP (IPv4) checksum of the `length`-byte message at `offset`, its
 * checksum field taken as zero.
 */
export function icmpChecksum(
  bytes: Uint8Array,
  offset: number,
  length: number,
): number {
  const s = l4Sum("icmpChecksum", bytes, offset, length, 1);
  return ~foldSum(s) & 0xffff;
}

/**
 * The ICMPv6 checksum of the message at `l4Offset` behind the IPv6 header
 * at `ipOffset` (pseudo-header with next header 58).
 */
export function icmpv6Checksum(
  bytes: Uint8Array,
  ipOffset: number,
  l4Offset: number = ipOffset + 40,
): number {
  return ipv6L4Checksum(bytes, ipOffset, l4Offset, PROTO_ICMPV6);
}

function adjustFinish(s: number, udp: boolean): number {
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  // the true sum of non-empty data is never 0: a 0 here is its 0xffff
  if (s === 0) s = 0xffff;
  const c = ~s & 0xffff;
  return udp && c === 0 ? 0xffff : c;
}

/**
 * RFC 1624 (eqn. 3): the checksum after a 16-bit word covered by it
 * changes from `oldWord` to `newWord`, without summing the data again.
 * With `udp`, a result of 0 is written 0xffff (as a full computation
 * gives). A UDP checksum of 0 means "none": do not adjust it.
 */
export function checksumAdjust(
  checksum: number,
  oldWord: number,
  newWord: number,
  udp = false,
): number {
  return adjustFinish(
    (~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff),
    udp,
  );
}

/**
 * {@linkcode checksumAdjust} for a 32-bit value (two aligned words), e.g.
 * an IPv4 address or a TCP sequence number.
 */
export function checksumAdjust32(
  checksum: number,
  oldValue: number,
  newValue: number,
  udp = false,
): number {
  return adjustFinish(
    (~checksum & 0xffff) + (~(oldValue >>> 16) & 0xffff) +
      (~oldValue & 0xffff) + (newValue >>> 16) + (newValue & 0xffff),
    udp,
  );
}
