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
 * point past it; nothing is allocated per call.
 *
 * Speed: the sums read 32-bit big-endian words through a `DataView` of
 * `bytes` (the one's complement sum of 32-bit words folds to that of the
 * 16-bit words), which V8 compiles to one load and a byte swap. That
 * DataView is made once per buffer and kept for the two buffers used last,
 * so a loop over a pool view's `bytes` allocates nothing (the header views'
 * `updateChecksum()` use the view's own `data` and skip even that look-up).
 * Each function checks its bounds once, in one condition, and builds error
 * messages only on failure.
 *
 * @module
 */

/** IP protocol numbers the L4 checksums special-case. */
const PROTO_ICMP = 1;
const PROTO_TCP = 6;
const PROTO_UDP = 17;
const PROTO_ICMPV6 = 58;

// ---- a DataView per buffer, for the two buffers used last ------------------

const NO_VIEW = new DataView(new ArrayBuffer(0));
let lastBytes: Uint8Array | undefined;
let lastView: DataView = NO_VIEW;
let prevBytes: Uint8Array | undefined;
let prevView: DataView = NO_VIEW;

/** A DataView of exactly the memory of `bytes`, cached (see the module). */
function viewOf(bytes: Uint8Array): DataView {
  return bytes === lastBytes ? lastView : viewOfMiss(bytes);
}

function viewOfMiss(bytes: Uint8Array): DataView {
  const v = bytes === prevBytes
    ? prevView
    : new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  prevBytes = lastBytes;
  prevView = lastView;
  lastBytes = bytes;
  lastView = v;
  return v;
}

// ---- sums -------------------------------------------------------------------

/**
 * Sum of the 16-bit big-endian words of `d[i..end)`, unfolded; an odd last
 * byte is the high byte of its word. Read as 32-bit words: each adds its
 * two halves (an int32 sum up to 64 KiB of data).
 */
function sum16(d: DataView, i: number, end: number): number {
  let s = 0;
  const end4 = end - 3;
  for (; i < end4; i += 4) {
    const w = d.getUint32(i);
    s += (w >>> 16) + (w & 0xffff);
  }
  if (i + 1 < end) {
    s += d.getUint16(i);
    i += 2;
  }
  if (i < end) s += d.getUint8(i) << 8;
  return s;
}

/** {@linkcode foldSum} of a non-negative sum, with bit operations. */
function fold(s: number): number {
  if (s > 0xffffffff) s = foldWide(s);
  s = (s >>> 16) + (s & 0xffff);
  return (s >>> 16) + (s & 0xffff);
}

/** Brings a sum above 32 bits (exact below 2^53) to below 2^32. */
function foldWide(s: number): number {
  while (s > 0xffffffff) s = (s % 0x10000) + Math.floor(s / 0x10000);
  return s;
}

/**
 * Sum of the 16-bit big-endian words of `bytes[offset..offset+length)`,
 * unfolded, added to `initial`; an odd last byte counts as its word's high
 * byte (RFC 1071). Exact for any packet size (the sum stays below 2^53).
 * Reading outside `bytes` throws `RangeError`.
 */
export function onesSum(
  bytes: Uint8Array,
  offset: number,
  length: number,
  initial = 0,
): number {
  return initial + sum16(viewOf(bytes), offset, offset + length);
}

/**
 * Folds a sum from {@linkcode onesSum} to 16 bits with end-around carry:
 * the non-complemented checksum (0 only when the sum is 0).
 */
export function foldSum(sum: number): number {
  return fold(sum);
}

// ---- errors (built only on failure) -----------------------------------------

function spanError(
  what: string,
  size: number,
  offset: number,
  length: number,
): RangeError {
  return new RangeError(
    `${what}: ${length} bytes at offset ${offset} are outside the ` +
      `${size}-byte buffer`,
  );
}

function inSpan(size: number, offset: number, length: number): boolean {
  return offset >= 0 && length >= 0 && offset + length <= size;
}

function checkSpan(
  what: string,
  d: DataView,
  offset: number,
  length: number,
): void {
  const size = d.byteLength;
  if (!inSpan(size, offset, length)) {
    throw spanError(what, size, offset, length);
  }
}

/**
 * The error for an IPv4 header at `ip` that fails a check (in the order:
 * 20 bytes present, version 4, IHL >= 5, IHL * 4 bytes present, and with
 * `l4` >= 0: total length >= IHL * 4, the L4 bytes present).
 */
function ipv4Error(what: string, d: DataView, ip: number, l4 = -1): Error {
  const size = d.byteLength;
  if (!inSpan(size, ip, 20)) return spanError(what, size, ip, 20);
  const v = d.getUint8(ip);
  if (v >> 4 !== 4) {
    return new RangeError(`${what}: not IPv4 (version ${v >> 4})`);
  }
  const hl = (v & 15) * 4;
  if (hl < 20) return new RangeError(`${what}: IHL ${hl / 4} < 5`);
  if (!inSpan(size, ip, hl)) return spanError(what, size, ip, hl);
  const total = d.getUint16(ip + 2);
  if (total < hl) {
    return new RangeError(`${what}: total length ${total} < header ${hl}`);
  }
  return spanError(what, size, l4, total - hl);
}

// ---- IPv4 header ------------------------------------------------------------

/**
 * IHL * 4 of a valid IPv4 header at `ip` whose IHL * 4 bytes lie in `d`;
 * throws otherwise.
 */
function ipv4HeaderLength(what: string, d: DataView, ip: number): number {
  const size = d.byteLength;
  if (!(ip >= 0 && ip + 20 <= size)) throw ipv4Error(what, d, ip);
  const v = d.getUint8(ip);
  const hl = (v & 15) << 2;
  if (v >> 4 !== 4 || hl < 20 || ip + hl > size) throw ipv4Error(what, d, ip);
  return hl;
}

/** The sum of the IPv4 header at `ip` (`hl` bytes), its checksum left out. */
function ipv4HeaderSum(d: DataView, ip: number, hl: number): number {
  const w0 = d.getUint32(ip), w1 = d.getUint32(ip + 4);
  const w2 = d.getUint32(ip + 8), w3 = d.getUint32(ip + 12);
  const w4 = d.getUint32(ip + 16);
  // w2 & 0xffff is the checksum field
  const s = (w0 >>> 16) + (w0 & 0xffff) + (w1 >>> 16) + (w1 & 0xffff) +
    (w2 >>> 16) + (w3 >>> 16) + (w3 & 0xffff) + (w4 >>> 16) + (w4 & 0xffff);
  return hl === 20 ? s : s + sum16(d, ip + 20, ip + hl);
}

/**
 * {@linkcode ipv4Checksum} over a DataView of the packet memory (what the
 * header views call with their own `data`).
 *
 * @internal
 */
export function ipv4ChecksumOf(d: DataView, ip: number): number {
  const hl = ipv4HeaderLength("ipv4Checksum", d, ip);
  return ~fold(ipv4HeaderSum(d, ip, hl)) & 0xffff;
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
  const d = viewOf(bytes);
  checkSpan("rawChecksum", d, offset, length);
  return fold(sum16(d, offset, offset + length));
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
  const d = viewOf(bytes);
  checkSpan("internetChecksum", d, offset, length);
  return ~fold(sum16(d, offset, offset + length)) & 0xffff;
}

/**
 * The IPv4 header checksum of the header at `ipOffset` (IHL-sized, options
 * included), as `rte_ipv4_cksum` computes it with the field zeroed.
 */
export function ipv4Checksum(bytes: Uint8Array, ipOffset: number): number {
  return ipv4ChecksumOf(viewOf(bytes), ipOffset);
}

/** Whether the IPv4 header at `ipOffset` carries a correct checksum. */
export function ipv4ChecksumValid(
  bytes: Uint8Array,
  ipOffset: number,
): boolean {
  const d = viewOf(bytes);
  const hl = ipv4HeaderLength("ipv4ChecksumValid", d, ipOffset);
  return fold(ipv4HeaderSum(d, ipOffset, hl) + d.getUint16(ipOffset + 10)) ===
    0xffff;
}

// ---- pseudo-headers ---------------------------------------------------------

/** L4 bytes of a valid IPv4 packet at `ip`: total length - IHL * 4. */
function ipv4L4Length(what: string, d: DataView, ip: number): number {
  const hl = ipv4HeaderLength(what, d, ip);
  const len = d.getUint16(ip + 2) - hl;
  if (len < 0) throw ipv4Error(what, d, ip, 0);
  return len;
}

/**
 * `rte_ipv4_phdr_cksum(ip, 0)`: the folded, non-complemented sum of the
 * IPv4 pseudo-header (addresses, protocol, L4 length = total length - IHL),
 * what a NIC's L4 checksum offload expects in the L4 checksum field.
 */
export function ipv4PseudoHeaderSum(
  bytes: Uint8Array,
  ipOffset: number,
  l4Length: number = ipv4L4Length(
    "ipv4PseudoHeaderSum",
    viewOf(bytes),
    ipOffset,
  ),
): number {
  const d = viewOf(bytes);
  checkSpan("ipv4PseudoHeaderSum", d, ipOffset, 20);
  return fold(ipv4PseudoSum(d, ipOffset, l4Length));
}

/** The IPv4 pseudo-header's sum, unfolded (the header is in `d`). */
function ipv4PseudoSum(d: DataView, ip: number, l4Length: number): number {
  const a = d.getUint32(ip + 12), b = d.getUint32(ip + 16);
  return (a >>> 16) + (a & 0xffff) + (b >>> 16) + (b & 0xffff) +
    d.getUint8(ip + 9) + l4Length;
}

/**
 * `rte_ipv6_phdr_cksum(ip, 0)`: the folded, non-complemented sum of the
 * IPv6 pseudo-header (addresses, L4 length = payload length, next header).
 */
export function ipv6PseudoHeaderSum(
  bytes: Uint8Array,
  ipOffset: number,
  l4Length: number = (bytes[ipOffset + 4] << 8) | bytes[ipOffset + 5],
  proto: number = bytes[ipOffset + 6],
): number {
  const d = viewOf(bytes);
  checkSpan("ipv6PseudoHeaderSum", d, ipOffset, 40);
  return fold(sum16(d, ipOffset + 8, ipOffset + 40) + l4Length + proto);
}

// ---- L4 ---------------------------------------------------------------------

/** Offset in the L4 header of its checksum field, -1 for none. */
function checksumFieldOffset(proto: number): number {
  return proto === PROTO_UDP
    ? 6
    : proto === PROTO_TCP
    ? 16
    : proto === PROTO_ICMPV6 || proto === PROTO_ICMP
    ? 2
    : -1;
}

/**
 * Sum of the `len` L4 bytes at `l4` (in `d`, checked by the caller), the
 * checksum field of `proto` (when inside) left out.
 */
function l4Sum(d: DataView, l4: number, len: number, proto: number): number {
  const s = sum16(d, l4, l4 + len);
  const field = checksumFieldOffset(proto);
  return field >= 0 && field + 2 <= len ? s - d.getUint16(l4 + field) : s;
}

/** The checksum to store for an L4 sum; UDP sends a computed 0 as 0xffff. */
function finishL4(sum: number, proto: number): number {
  const c = ~fold(sum) & 0xffff;
  // RFC 768: a computed 0 is sent as all ones for UDP (as DPDK does)
  return c === 0 && proto === PROTO_UDP ? 0xffff : c;
}

/**
 * {@linkcode ipv4L4Checksum} over a DataView of the packet memory.
 *
 * @internal
 */
export function ipv4L4ChecksumOf(
  d: DataView,
  ip: number,
  l4: number,
  what = "ipv4L4Checksum",
): number {
  const size = d.byteLength;
  if (!(ip >= 0 && ip + 20 <= size)) throw ipv4Error(what, d, ip, l4);
  const w0 = d.getUint32(ip); // version, IHL, TOS, total length
  const hl = (w0 >>> 22) & 60;
  const len = (w0 & 0xffff) - hl;
  if (
    w0 >>> 28 !== 4 || hl < 20 || ip + hl > size || len < 0 ||
    !(l4 >= 0 && l4 + len <= size)
  ) throw ipv4Error(what, d, ip, l4);
  const proto = d.getUint8(ip + 9);
  return finishL4(l4Sum(d, l4, len, proto) + ipv4PseudoSum(d, ip, len), proto);
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
  return ipv4L4ChecksumOf(viewOf(bytes), ipOffset, l4Offset);
}

/**
 * {@linkcode ipv6L4Checksum} over a DataView of the packet memory.
 *
 * @internal
 */
export function ipv6L4ChecksumOf(
  d: DataView,
  ip: number,
  l4: number,
  proto: number,
  what = "ipv6L4Checksum",
): number {
  const size = d.byteLength;
  if (!(ip >= 0 && ip + 40 <= size)) throw spanError(what, size, ip, 40);
  const len = d.getUint16(ip + 4) - (l4 - ip - 40);
  if (!(len >= 0 && l4 >= 0 && l4 + len <= size)) {
    throw len < 0
      ? new RangeError(`${what}: L4 offset ${l4} is past the payload length`)
      : spanError(what, size, l4, len);
  }
  return finishL4(
    l4Sum(d, l4, len, proto) + sum16(d, ip + 8, ip + 40) + len + proto,
    proto,
  );
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
  return ipv6L4ChecksumOf(viewOf(bytes), ipOffset, l4Offset, proto);
}

/**
 * {@linkcode l4Checksum} over a DataView of the packet memory: the header
 * views' `updateChecksum()`.
 *
 * @internal
 */
export function l4ChecksumOf(d: DataView, ip: number, l4: number): number {
  checkSpan("l4Checksum", d, ip, 1);
  return d.getUint8(ip) >> 4 === 6
    ? ipv6L4ChecksumOf(d, ip, l4, d.getUint8(ip + 6))
    : ipv4L4ChecksumOf(d, ip, l4);
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
  const d = viewOf(bytes);
  checkSpan("l4Checksum", d, ipOffset, 1);
  return d.getUint8(ipOffset) >> 4 === 6
    ? ipv6L4Checksum(bytes, ipOffset, l4Offset)
    : ipv4L4Checksum(bytes, ipOffset, l4Offset);
}

/** The UDP checksum behind the IPv4/IPv6 header at `ipOffset`. */
export const udpChecksum: typeof l4Checksum = l4Checksum;
/** The TCP checksum behind the IPv4/IPv6 header at `ipOffset`. */
export const tcpChecksum: typeof l4Checksum = l4Checksum;

/**
 * {@linkcode icmpChecksum} over a DataView of the packet memory.
 *
 * @internal
 */
export function icmpChecksumOf(
  d: DataView,
  offset: number,
  length: number,
): number {
  checkSpan("icmpChecksum", d, offset, length);
  return ~fold(l4Sum(d, offset, length, PROTO_ICMP)) & 0xffff;
}

/**
 * The ICMP (IPv4) checksum of the `length`-byte message at `offset`, its
 * checksum field taken as zero.
 */
export function icmpChecksum(
  bytes: Uint8Array,
  offset: number,
  length: number,
): number {
  return icmpChecksumOf(viewOf(bytes), offset, length);
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
  return ipv6L4ChecksumOf(viewOf(bytes), ipOffset, l4Offset, PROTO_ICMPV6);
}

// ---- incremental (RFC 1624) -------------------------------------------------

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
