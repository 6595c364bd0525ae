/**
 * Link and network addresses: {@linkcode MacAddr}, {@linkcode Ipv4Addr} and
 * {@linkcode Ipv6Addr} parse and format their usual text forms and are read
 * from / written into packet bytes at an offset. Parsing allocates; writing
 * an address into a packet (`writeTo`) and comparing in place (`equalsAt`)
 * do not, so a packet loop keeps its addresses parsed once, outside.
 *
 * @module
 */

const HEX = "0123456789abcdef";

function hex2(b: number): string {
  return HEX[b >> 4] + HEX[b & 15];
}

function checkRoom(
  what: string,
  bytes: Uint8Array,
  offset: number,
  size: number,
): void {
  if (!(offset >= 0 && offset + size <= bytes.length)) {
    throw new RangeError(
      `${what}: ${size} bytes at offset ${offset} do not fit in ${bytes.length}`,
    );
  }
}

/** A 48-bit Ethernet (MAC) address. */
export class MacAddr {
  /** The six bytes, in wire order. */
  readonly bytes: Uint8Array<ArrayBuffer>;

  /** An address from its six bytes (copied). */
  constructor(bytes: ArrayLike<number>) {
    if (bytes.length !== 6) {
      throw new RangeError(`MacAddr: 6 bytes expected, got ${bytes.length}`);
    }
    this.bytes = new Uint8Array(6);
    this.bytes.set(bytes);
  }

  /**
   * Parses `"02:00:00:00:00:01"` (also with `-` separators, either case).
   *
   * @throws SyntaxError when `text` is not a MAC address
   */
  static parse(text: string): MacAddr {
    const m =
      /^([0-9a-f]{1,2})([:-])([0-9a-f]{1,2})\2([0-9a-f]{1,2})\2([0-9a-f]{1,2})\2([0-9a-f]{1,2})\2([0-9a-f]{1,2})$/i
        .exec(text);
    if (m === null) throw new SyntaxError(`not a MAC address: "${text}"`);
    return new MacAddr(
      [m[1], m[3], m[4], m[5], m[6], m[7]].map((h) => parseInt(h, 16)),
    );
  }

  /** `a` as an address: parsed when a string, itself when a MacAddr. */
  static from(a: MacAddr | string): MacAddr {
    return typeof a === "string" ? MacAddr.parse(a) : a;
  }

  /** The address stored at `bytes[offset..offset+6)` (a copy). */
  static readFrom(bytes: Uint8Array, offset = 0): MacAddr {
    checkRoom("MacAddr.readFrom", bytes, offset, 6);
    return new MacAddr(bytes.subarray(offset, offset + 6));
  }

  /** The broadcast address ff:ff:ff:ff:ff:ff. */
  static readonly BROADCAST: MacAddr = new MacAddr([
    255,
    255,
    255,
    255,
    255,
    255,
  ]);
  /** The all-zero address. */
  static readonly ZERO: MacAddr = new MacAddr([0, 0, 0, 0, 0, 0]);

  /** Writes the address at `bytes[offset..offset+6)` (no allocation). */
  writeTo(bytes: Uint8Array, offset = 0): void {
    const b = this.bytes;
    bytes[offset] = b[0];
    bytes[offset + 1] = b[1];
    bytes[offset + 2] = b[2];
    bytes[offset + 3] = b[3];
    bytes[offset + 4] = b[4];
    bytes[offset + 5] = b[5];
  }

  /** Whether `bytes[offset..offset+6)` holds this address (no allocation). */
  equalsAt(bytes: Uint8Array, offset = 0): boolean {
    const b = this.bytes;
    return bytes[offset] === b[0] && bytes[offset + 1] === b[1] &&
      bytes[offset + 2] === b[2] && bytes[offset + 3] === b[3] &&
      bytes[offset + 4] === b[4] && bytes[offset + 5] === b[5];
  }

  /** Whether `other` is the same address. */
  equals(other: MacAddr): boolean {
    return this.equalsAt(other.bytes, 0);
  }

  /** Group (multicast or broadcast) address: the I/G bit is set. */
  get isMulticast(): boolean {
    return (this.bytes[0] & 1) === 1;
  }

  /** `"02:00:00:00:00:01"`: lower case, two digits per byte. */
  toString(): string {
    return formatMac(this.bytes, 0);
  }
}

/** The MAC address at `bytes[offset..offset+6)` as text, lower case. */
export function formatMac(bytes: Uint8Array, offset = 0): string {
  let s = hex2(bytes[offset]);
  for (let i = 1; i < 6; i++) s += ":" + hex2(bytes[offset + i]);
  return s;
}

/** An IPv4 address, held as an unsigned 32-bit number (`value`). */
export class Ipv4Addr {
  /** The address as an unsigned 32-bit number, e.g. 0x0a000001. */
  readonly value: number;

  /** An address from its 32-bit value. */
  constructor(value: number) {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new RangeError(`Ipv4Addr: ${value} is not a 32-bit value`);
    }
    this.value = value;
  }

  /**
   * Parses dotted-quad text, `"10.0.0.1"` (four decimal parts 0..255, no
   * leading zeros, as `inet_pton` takes them).
   *
   * @throws SyntaxError when `text` is not an IPv4 address
   */
  static parse(text: string): Ipv4Addr {
    const v = parseIpv4(text);
    if (v < 0) throw new SyntaxError(`not an IPv4 address: "${text}"`);
    return new Ipv4Addr(v);
  }

  /** `a` as an address: parsed when a string, from the value when a number. */
  static from(a: Ipv4Addr | string | number): Ipv4Addr {
    if (typeof a === "string") return Ipv4Addr.parse(a);
    if (typeof a === "number") return new Ipv4Addr(a);
    return a;
  }

  /** The address stored big-endian at `bytes[offset..offset+4)`. */
  static readFrom(bytes: Uint8Array, offset = 0): Ipv4Addr {
    checkRoom("Ipv4Addr.readFrom", bytes, offset, 4);
    return new Ipv4Addr(
      (bytes[offset] * 0x1000000) +
        ((bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) |
          bytes[offset + 3]),
    );
  }

  /** Writes the address big-endian at `bytes[offset..offset+4)`. */
  writeTo(bytes: Uint8Array, offset = 0): void {
    const v = this.value;
    bytes[offset] = v >>> 24;
    bytes[offset + 1] = (v >>> 16) & 255;
    bytes[offset + 2] = (v >>> 8) & 255;
    bytes[offset + 3] = v & 255;
  }

  /** Whether `bytes[offset..offset+4)` holds this address. */
  equalsAt(bytes: Uint8Array, offset = 0): boolean {
    const v = this.value;
    return bytes[offset] === v >>> 24 &&
      bytes[offset + 1] === ((v >>> 16) & 255) &&
      bytes[offset + 2] === ((v >>> 8) & 255) &&
      bytes[offset + 3] === (v & 255);
  }

  /** Whether `other` is the same address. */
  equals(other: Ipv4Addr): boolean {
    return this.value === other.value;
  }

  /** `"10.0.0.1"`. */
  toString(): string {
    return formatIpv4Value(this.value);
  }
}

/** -1 when `text` is not a dotted quad, else its 32-bit value. */
function parseIpv4(text: string): number {
  const parts = text.split(".");
  if (parts.length !== 4) return -1;
  let v = 0;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return -1;
    const n = Number(p);
    if (n > 255) return -1;
    v = v * 256 + n;
  }
  return v;
}

function formatIpv4Value(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** The IPv4 address at `bytes[offset..offset+4)` as dotted-quad text. */
export function formatIpv4(bytes: Uint8Array, offset = 0): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${
    bytes[offset + 3]
  }`;
}

/** An IPv6 address (16 bytes). */
export class Ipv6Addr {
  /** The sixteen bytes, in wire order. */
  readonly bytes: Uint8Array<ArrayBuffer>;

  /** An address from its sixteen bytes (copied). */
  constructor(bytes: ArrayLike<number>) {
    if (bytes.length !== 16) {
      throw new RangeError(`Ipv6Addr: 16 bytes expected, got ${bytes.length}`);
    }
    this.bytes = new Uint8Array(16);
    this.bytes.set(bytes);
  }

  /**
   * Parses RFC 4291 text: `"fe80::1"`, `"2001:db8:0:0:1:0:0:1"`,
   * `"::ffff:10.0.0.1"` (a trailing dotted quad). Zone IDs (`%eth0`) and
   * brackets are refused.
   *
   * @throws SyntaxError when `text` is not an IPv6 address
   */
  static parse(text: string): Ipv6Addr {
    const b = parseIpv6(text);
    if (b === null) throw new SyntaxError(`not an IPv6 address: "${text}"`);
    return new Ipv6Addr(b);
  }

  /** `a` as an address: parsed when a string, itself otherwise. */
  static from(a: Ipv6Addr | string): Ipv6Addr {
    return typeof a === "string" ? Ipv6Addr.parse(a) : a;
  }

  /** The address stored at `bytes[offset..offset+16)` (a copy). */
  static readFrom(bytes: Uint8Array, offset = 0): Ipv6Addr {
    checkRoom("Ipv6Addr.readFrom", bytes, offset, 16);
    return new Ipv6Addr(bytes.subarray(offset, offset + 16));
  }

  /** Writes the address at `bytes[offset..offset+16)` (no allocation). */
  writeTo(bytes: Uint8Array, offset = 0): void {
    const b = this.bytes;
    for (let i = 0; i < 16; i++) bytes[offset + i] = b[i];
  }

  /** Whether `bytes[offset..offset+16)` holds this address. */
  equalsAt(bytes: Uint8Array, offset = 0): boolean {
    const b = this.bytes;
    for (let i = 0; i < 16; i++) if (bytes[offset + i] !== b[i]) return false;
    return true;
  }

  /** Whether `other` is the same address. */
  equals(other: Ipv6Addr): boolean {
    return this.equalsAt(other.bytes, 0);
  }

  /** RFC 5952 text, e.g. `"fe80::1"`, `"::ffff:10.0.0.1"`. */
  toString(): string {
    return formatIpv6(this.bytes, 0);
  }
}

function parseIpv6(text: string): number[] | null {
  if (text.length === 0 || text.length > 45) return null;
  let head = text;
  let v4: number[] = [];
  const lastColon = text.lastIndexOf(":");
  if (lastColon >= 0 && text.indexOf(".", lastColon) > lastColon) {
    const v = parseIpv4(text.slice(lastColon + 1));
    if (v < 0) return null;
    v4 = [(v >>> 16) & 0xffff, v & 0xffff];
    // keep the colon(s) before the quad: "::1.2.3.4" -> "::" + quad
    head = text.slice(0, lastColon + 1);
    if (head.endsWith("::")) {
      // "::" stays as the compression mark
    } else if (head.endsWith(":")) head = head.slice(0, -1);
  }
  const double = head.indexOf("::");
  if (double >= 0 && head.indexOf("::", double + 1) >= 0) return null;
  const group = (s: string): number => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(s)) return -1;
    return parseInt(s, 16);
  };
  const split = (s: string): number[] | null => {
    if (s === "") return [];
    const out: number[] = [];
    for (const g of s.split(":")) {
      const n = group(g);
      if (n < 0) return null;
      out.push(n);
    }
    return out;
  };
  let words: number[];
  if (double >= 0) {
    const left = split(head.slice(0, double));
    const right = split(head.slice(double + 2));
    if (left === null || right === null) return null;
    const fill = 8 - v4.length - left.length - right.length;
    if (fill < 1) return null;
    words = [...left, ...new Array(fill).fill(0), ...right, ...v4];
  } else {
    const all = split(head);
    if (all === null) return null;
    words = [...all, ...v4];
    if (words.length !== 8) return null;
  }
  if (words.length !== 8) return null;
  const out: number[] = [];
  for (const w of words) out.push(w >> 8, w & 255);
  return out;
}

/**
 * The IPv6 address at `bytes[offset..offset+16)` as RFC 5952 text: lower
 * case hexadecimal without leading zeros, the longest run of two or more
 * zero groups (the first of equal runs) written `::`, and IPv4-mapped
 * addresses (`::ffff:0:0/96`) ending in a dotted quad.
 */
export function formatIpv6(bytes: Uint8Array, offset = 0): string {
  const w = (i: number) =>
    (bytes[offset + 2 * i] << 8) | bytes[offset + 2 * i + 1];
  let bestStart = -1, bestLen = 0, runStart = -1;
  for (let i = 0; i <= 8; i++) {
    if (i < 8 && w(i) === 0) {
      if (runStart < 0) runStart = i;
    } else if (runStart >= 0) {
      const len = i - runStart;
      if (len > bestLen) {
        bestStart = runStart;
        bestLen = len;
      }
      runStart = -1;
    }
  }
  if (bestLen < 2) bestStart = -1;
  const mapped = w(0) === 0 && w(1) === 0 && w(2) === 0 && w(3) === 0 &&
    w(4) === 0 && w(5) === 0xffff;
  const groups = mapped ? 6 : 8;
  let s = "";
  for (let i = 0; i < groups; i++) {
    if (i === bestStart) {
      s += "::";
      i += bestLen - 1;
      continue;
    }
    if (s !== "" && !s.endsWith(":")) s += ":";
    s += w(i).toString(16);
  }
  if (mapped) {
    s += (s.endsWith(":") ? "" : ":") + formatIpv4(bytes, offset + 12);
  }
  return s;
}
