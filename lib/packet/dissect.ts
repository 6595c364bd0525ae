/**
 * Dissection: a one-line summary of an Ethernet frame in the format of
 * `tcpdump -n` (IPv4, IPv6, ARP, UDP, TCP with flags and options, ICMP,
 * ICMPv6, 802.1Q tags), or of `tcpdump -n -e` with `{ link: true }`, and a
 * hex dump in the format of `hexdump -C`.
 *
 * Malformed and truncated frames are described the way tcpdump does
 * (`[|udp]`, `truncated-ip - 23 bytes missing!`, `bad-hlen 16`); nothing
 * here throws on packet contents or reads outside the given length.
 * Application protocols are not decoded (tcpdump decodes DNS, HTTP and
 * others after their well-known ports: lines for such ports differ after
 * the transport part).
 *
 * {@linkcode summarize} is stateless, printing absolute TCP sequence
 * numbers (as `tcpdump -n -S`); a {@linkcode Dissector} keeps per-
 * connection state to print them relative, as plain `tcpdump -n` does.
 *
 * @module
 */

import { formatIpv4, formatIpv6, formatMac } from "./addr.ts";

/** Options of {@linkcode summarize} and {@linkcode Dissector}. */
export interface SummaryOptions {
  /** Print the link layer too, as `tcpdump -e` (default false). */
  link?: boolean;
  /** Print TCP sequence numbers relative to the connection's first (Dissector only; default true there). */
  relativeSeq?: boolean;
}

interface TcpConversation {
  seq: number;
  ack: number;
}

/** Most connections a Dissector remembers before starting afresh. */
const MAX_CONVERSATIONS = 65536;

function hex4(v: number): string {
  return v.toString(16).padStart(4, "0");
}

const ETHERTYPE_NAMES: Record<number, string> = {
  0x0800: "IPv4",
  0x0806: "ARP",
  0x8100: "802.1Q",
  0x86dd: "IPv6",
  0x88a8: "802.1Q-QinQ",
  0x9100: "802.1Q-9100",
};

const ICMP_UNREACH: Record<number, string> = {
  0: "net %s unreachable",
  1: "host %s unreachable",
  5: "%s unreachable - source route failed",
  6: "net %s unreachable - unknown",
  7: "host %s unreachable - unknown",
  8: "%s unreachable - source host isolated",
  9: "net %s unreachable - admin prohibited",
  10: "host %s unreachable - admin prohibited",
  11: "net %s unreachable - tos prohibited",
  12: "host %s unreachable - tos prohibited",
  13: "host %s unreachable - admin prohibited filter",
  14: "host %s unreachable - host precedence violation",
  15: "host %s unreachable - precedence cutoff",
};

const ICMP_REDIRECT = ["net", "host", "tos-net", "tos-host"];

const TCP_OPTION_NAMES: Record<number, string> = {
  0: "eol",
  1: "nop",
  2: "mss",
  3: "wscale",
  4: "sackOK",
  5: "sack",
  8: "TS",
};

/**
 * The one-line summary of the frame at `bytes[offset..offset+length)` as
 * `tcpdump -n` prints it (without the timestamp), or `tcpdump -n -e` with
 * `{ link: true }`. `wireLength` is the frame's length on the wire when
 * only `length` bytes were captured. Stateless: TCP sequence numbers are
 * absolute (as `tcpdump -S`). Never throws on packet contents.
 */
export function summarize(
  bytes: Uint8Array,
  offset = 0,
  length: number = bytes.length - offset,
  options: SummaryOptions = {},
  wireLength: number = length,
): string {
  return new Printer(
    bytes,
    offset,
    length,
    wireLength,
    options.link ?? false,
    null,
  )
    .frame();
}

/**
 * A summarizer that remembers TCP connections, so that sequence numbers
 * print relative to each connection's first seen, as plain `tcpdump -n`
 * prints them (one Dissector per capture, fed in order).
 */
export class Dissector {
  #link: boolean;
  #conversations: Map<string, TcpConversation> | null;

  /** A dissector; `relativeSeq` defaults to true, `link` to false. */
  constructor({ link = false, relativeSeq = true }: SummaryOptions = {}) {
    this.#link = link;
    this.#conversations = relativeSeq ? new Map() : null;
  }

  /** The summary of the next frame (see {@linkcode summarize}). */
  summary(
    bytes: Uint8Array,
    offset = 0,
    length: number = bytes.length - offset,
    wireLength: number = length,
  ): string {
    const c = this.#conversations;
    if (c !== null && c.size >= MAX_CONVERSATIONS) c.clear();
    return new Printer(bytes, offset, length, wireLength, this.#link, c)
      .frame();
  }
}

class Printer {
  readonly b: Uint8Array;
  readonly start: number;
  /** End of the captured bytes (never past the buffer). */
  end: number;
  readonly wire: number;
  readonly link: boolean;
  readonly conv: Map<string, TcpConversation> | null;

  constructor(
    bytes: Uint8Array,
    offset: number,
    length: number,
    wire: number,
    link: boolean,
    conv: Map<string, TcpConversation> | null,
  ) {
    this.b = bytes;
    const start = Math.max(0, Math.min(Math.trunc(offset) || 0, bytes.length));
    const len = Math.max(0, Math.trunc(length) || 0);
    this.start = start;
    this.end = Math.min(start + len, bytes.length);
    this.wire = Math.max(Math.trunc(wire) || 0, this.end - start);
    this.link = link;
    this.conv = conv;
  }

  has(at: number, n: number): boolean {
    return at >= this.start && at + n <= this.end;
  }
  u8(at: number): number {
    return this.b[at];
  }
  u16(at: number): number {
    return (this.b[at] << 8) | this.b[at + 1];
  }
  u32(at: number): number {
    return ((this.b[at] << 24) | (this.b[at + 1] << 16) |
      (this.b[at + 2] << 8) |
      this.b[at + 3]) >>> 0;
  }

  frame(): string {
    const o = this.start;
    if (!this.has(o, 14)) return " [|ether]";
    const macs = `${formatMac(this.b, o + 6)} > ${formatMac(this.b, o)}`;
    let type = this.u16(o + 12);
    let at = o + 14;
    let linkText = this.link
      ? `${macs}, ethertype ${etherTypeName(type)}, length ${this.wire}: `
      : "";
    let tags = 0;
    while (type === 0x8100 || type === 0x88a8 || type === 0x9100) {
      if (!this.has(at, 4)) return linkText + " [|vlan]";
      const tci = this.u16(at);
      type = this.u16(at + 2);
      if (this.link) {
        linkText += `vlan ${tci & 0xfff}, p ${tci >> 13}${
          tci & 0x1000 ? ", DEI" : ""
        }, ethertype ${etherTypeName(type)}, `;
      }
      at += 4;
      if (++tags > 8) break;
    }
    if (type < 0x600) {
      return `${macs}, 802.3, length ${this.wire}: LLC (not decoded)`;
    }
    const rest = this.wire - (at - o);
    switch (type) {
      case 0x0800:
        return linkText + this.ipv4(at, rest);
      case 0x86dd:
        return linkText + this.ipv6(at, rest);
      case 0x0806:
        return linkText + this.arp(at, rest);
    }
    if (this.link) return linkText;
    return `${macs}, ethertype ${etherTypeName(type)}, length ${this.wire}: `;
  }

  prefix(p: string): string {
    return this.link ? "" : p;
  }

  arp(a: number, len: number): string {
    if (!this.has(a, 8)) return " [|arp]";
    const hrd = this.u16(a), pro = this.u16(a + 2);
    const hln = this.u8(a + 4), pln = this.u8(a + 5), op = this.u16(a + 6);
    const p = this.prefix("ARP, ");
    if (hrd !== 1 || pro !== 0x0800 || hln !== 6 || pln !== 4) {
      return `${p}hardware ${hrd}, protocol 0x${
        hex4(pro)
      }, op ${op}, length ${len}`;
    }
    if (!this.has(a, 28)) return " [|arp]";
    const sha = formatMac(this.b, a + 8), spa = formatIpv4(this.b, a + 14);
    const tha = formatMac(this.b, a + 18), tpa = formatIpv4(this.b, a + 24);
    let text: string;
    switch (op) {
      case 1:
        text = `Request who-has ${tpa}${
          tha !== "00:00:00:00:00:00" ? ` (${tha})` : ""
        } tell ${spa}`;
        break;
      case 2:
        text = `Reply ${spa} is-at ${sha}`;
        break;
      case 3:
        text = `Reverse Request who-is ${tha} tell ${sha}`;
        break;
      case 4:
        text = `Reverse Reply ${tha} at ${tpa}`;
        break;
      default:
        text = `op ${op}`;
    }
    return `${p}${text}, length ${len}`;
  }

  ipv4(ip: number, wireLen: number): string {
    const p = this.prefix("IP ");
    if (!this.has(ip, 1)) return " [|ip]";
    const v = this.u8(ip) >> 4;
    if (v === 6) return "IP6, wrong link-layer encapsulation (invalid)";
    if (v !== 4) return `IP${v} (invalid)`;
    if (!this.has(ip, 20)) return p + " [|ip]";
    const hl = (this.u8(ip) & 15) * 4;
    if (hl < 20) return `${p}bad-hlen ${hl}`;
    const total = this.u16(ip + 2);
    if (total < hl) return `${p}bad-len ${total}`;
    let s = p;
    if (wireLen < total) {
      s += `truncated-ip - ${total - wireLen} bytes missing! `;
    }
    // the IP packet ends at its total length: trailing padding is not L4
    this.end = Math.min(this.end, ip + total);
    const src = formatIpv4(this.b, ip + 12), dst = formatIpv4(this.b, ip + 16);
    const proto = this.u8(ip + 9);
    const fragOff = this.u16(ip + 6) & 0x1fff;
    const l4 = ip + hl, l4len = total - hl;
    if (!this.has(ip, hl)) return s + " [|ip]";
    if (fragOff !== 0) return `${s}${src} > ${dst}: ip-proto-${proto}`;
    return s + this.l4(proto, src, dst, l4, l4len, ip, 4);
  }

  ipv6(ip: number, wireLen: number): string {
    if (!this.has(ip, 40)) return " [|ip6]";
    let s = this.prefix("IP6 ");
    const plen = this.u16(ip + 4);
    if (wireLen < plen + 40) {
      s += `truncated-ip6 - ${plen + 40 - wireLen} bytes missing!`;
    }
    this.end = Math.min(this.end, ip + 40 + plen);
    const src = formatIpv6(this.b, ip + 8), dst = formatIpv6(this.b, ip + 24);
    return s + this.l4(this.u8(ip + 6), src, dst, ip + 40, plen, ip, 6);
  }

  l4(
    proto: number,
    src: string,
    dst: string,
    l4: number,
    len: number,
    ip: number,
    v: 4 | 6,
  ): string {
    switch (proto) {
      case 17:
        return this.udp(src, dst, l4, len);
      case 6:
        return this.tcp(src, dst, l4, len, ip, v);
      case 1:
        if (v === 4) return `${src} > ${dst}: ${this.icmp(l4, len)}`;
        break;
      case 58:
        if (v === 6) return `${src} > ${dst}: ${this.icmp6(l4, len)}`;
        break;
    }
    return `${src} > ${dst}:  ip-proto-${proto} ${len}`;
  }

  udp(src: string, dst: string, u: number, len: number): string {
    if (!this.has(u, 4)) return `${src} > ${dst}:  [|udp]`;
    const ports = `${src}.${this.u16(u)} > ${dst}.${this.u16(u + 2)}:`;
    if (!this.has(u, 8)) return `${ports}  [|udp]`;
    const ulen = this.u16(u + 4);
    if (len < 8) return `${ports} truncated-udp ${len}`;
    if (ulen < 8) return `${ports} truncated-udplength ${ulen}`;
    if (ulen > len) return `${ports} UDP, bad length ${ulen - 8} > ${len - 8}`;
    return `${ports} UDP, length ${ulen - 8}`;
  }

  tcp(
    src: string,
    dst: string,
    t: number,
    len: number,
    ip: number,
    v: 4 | 6,
  ): string {
    if (!this.has(t, 4)) return `${src} > ${dst}: [|tcp]`;
    const sport = this.u16(t), dport = this.u16(t + 2);
    const ports = `${src}.${sport} > ${dst}.${dport}:`;
    if (!this.has(t, 20)) return `${ports}  [|tcp]`;
    const hl = (this.u8(t + 12) >> 4) * 4;
    if (hl < 20) {
      return `${ports}  tcp ${
        len - hl
      } [bad hdr length ${hl} - too short, < 20]`;
    }
    if (hl > len) {
      return `${ports}  tcp ${len} [bad hdr length ${hl} - too long, > ${len}]`;
    }
    const flags = this.u8(t + 13);
    let seq = this.u32(t + 4), ack = this.u32(t + 8);
    let thSeq = 0, thAck = 0, rev = false;
    if (this.conv !== null && (flags & 0x10)) {
      const addrLen = v === 4 ? 4 : 16;
      const sa = v === 4 ? ip + 12 : ip + 8, da = sa + addrLen;
      let cmp = 0;
      for (let i = 0; i < addrLen && cmp === 0; i++) {
        cmp = this.u8(sa + i) - this.u8(da + i);
      }
      rev = cmp > 0 || (cmp === 0 && sport > dport);
      const key = rev
        ? `${dst}|${src}|${dport}|${sport}`
        : `${src}|${dst}|${sport}|${dport}`;
      const th = this.conv.get(key);
      if (th === undefined || (flags & 0x02)) {
        const n = rev
          ? { ack: seq, seq: (ack - 1) >>> 0 }
          : { seq, ack: (ack - 1) >>> 0 };
        this.conv.set(key, n);
        thSeq = n.seq;
        thAck = n.ack;
      } else {
        thSeq = th.seq;
        thAck = th.ack;
        if (rev) {
          seq = (seq - th.ack) >>> 0;
          ack = (ack - th.seq) >>> 0;
        } else {
          seq = (seq - th.seq) >>> 0;
          ack = (ack - th.ack) >>> 0;
        }
      }
    }
    const dataLen = len - hl;
    let s = `${ports} Flags [${tcpFlagString(flags)}]`;
    if (dataLen > 0 || (flags & 0x07)) {
      s += `, seq ${seq}`;
      if (dataLen > 0) s += `:${(seq + dataLen) >>> 0}`;
    }
    if (flags & 0x10) s += `, ack ${ack}`;
    s += `, win ${this.u16(t + 14)}`;
    if (flags & 0x20) s += `, urg ${this.u16(t + 18)}`;
    if (hl > 20) {
      const opts = this.tcpOptions(t + 20, hl - 20, rev, thSeq, thAck);
      s += `, options [${opts.text}`;
      if (opts.truncated) return s + " [|tcp]";
      s += "]";
    }
    return `${s}, length ${dataLen}`;
  }

  tcpOptions(
    o: number,
    n: number,
    rev: boolean,
    thSeq: number,
    thAck: number,
  ): { text: string; truncated: boolean } {
    let text = "";
    let first = true;
    while (n > 0) {
      if (!first) text += ",";
      first = false;
      if (!this.has(o, 1)) return { text, truncated: true };
      const kind = this.u8(o++);
      let len = 1;
      if (kind !== 0 && kind !== 1) {
        if (!this.has(o, 1)) return { text, truncated: true };
        len = this.u8(o++);
        if (len < 2 || len > n) {
          return {
            text: `${text}${optionName(kind)}[bad opt]`,
            truncated: false,
          };
        }
        n--;
      }
      n--;
      text += optionName(kind);
      let dataLen = 0;
      const need = (k: number) => this.has(o, k) && k <= n;
      switch (kind) {
        case 2:
          dataLen = 2;
          if (!need(2)) return { text, truncated: true };
          text += ` ${this.u16(o)}`;
          break;
        case 3:
          dataLen = 1;
          if (!need(1)) return { text, truncated: true };
          text += ` ${this.u8(o)}`;
          break;
        case 5:
          dataLen = len - 2;
          if (dataLen % 8 !== 0) text += " invalid sack";
          else {
            text += ` ${dataLen / 8} `;
            for (let i = 0; i < dataLen; i += 8) {
              if (!need(i + 8)) return { text, truncated: true };
              let s = this.u32(o + i), e = this.u32(o + i + 4);
              if (this.conv !== null && (thSeq !== 0 || thAck !== 0)) {
                const base = rev ? thSeq : thAck;
                s = (s - base) >>> 0;
                e = (e - base) >>> 0;
              }
              text += `{${s}:${e}}`;
            }
          }
          break;
        case 8:
          dataLen = 8;
          if (!need(8)) return { text, truncated: true };
          text += ` val ${this.u32(o)} ecr ${this.u32(o + 4)}`;
          break;
        case 0:
        case 1:
        case 4:
          break;
        default:
          dataLen = len - 2;
          for (let i = 0; i < dataLen; i++) {
            if (!need(i + 1)) return { text, truncated: true };
            text += (i === 0 ? " 0x" : "") +
              this.u8(o + i).toString(16).padStart(2, "0");
          }
      }
      o += dataLen;
      n -= dataLen;
      const expect = dataLen + (kind === 0 || kind === 1 ? 1 : 2);
      if (expect !== len) text += `[len ${len}]`;
      if (kind === 0) break;
    }
    return { text, truncated: false };
  }

  icmp(c: number, len: number): string {
    if (!this.has(c, 4)) return " [|icmp]";
    const type = this.u8(c), code = this.u8(c + 1);
    const L = `, length ${len}`;
    const embeddedDst = (): string | null =>
      this.has(c + 8, 20) ? formatIpv4(this.b, c + 8 + 16) : null;
    switch (type) {
      case 0:
      case 8: {
        if (!this.has(c, 8)) {
          return `ICMP echo ${type ? "request" : "reply"} [|icmp]`;
        }
        return `ICMP echo ${type ? "request" : "reply"}, id ${
          this.u16(c + 4)
        }, seq ${this.u16(c + 6)}${L}`;
      }
      case 3: {
        const dst = embeddedDst();
        if (dst === null) return "ICMP [|icmp]";
        const oip = c + 8;
        const ohl = (this.u8(oip) & 15) * 4;
        const oproto = this.u8(oip + 9);
        if (code === 2) return `ICMP ${dst} protocol ${oproto} unreachable${L}`;
        if (code === 3) {
          if (!this.has(oip + ohl, 4)) return "ICMP [|icmp]";
          const port = this.u16(oip + ohl + 2);
          const name = oproto === 17 ? "udp" : oproto === 6 ? "tcp" : null;
          return name !== null
            ? `ICMP ${dst} ${name} port ${port} unreachable${L}`
            : `ICMP ${dst} protocol ${oproto} port ${port} unreachable${L}`;
        }
        if (code === 4) {
          const mtu = this.has(c, 8) ? this.u16(c + 6) : 0;
          return `ICMP ${dst} unreachable - need to frag${
            mtu ? ` (mtu ${mtu})` : ""
          }${L}`;
        }
        const f = ICMP_UNREACH[code];
        return `ICMP ${
          f !== undefined
            ? f.replace("%s", dst)
            : `${dst} unreachable - #${code}`
        }${L}`;
      }
      case 4:
        return `ICMP source quench${L}`;
      case 5: {
        const dst = embeddedDst();
        if (dst === null || !this.has(c, 8)) return "ICMP [|icmp]";
        return `ICMP redirect ${dst} to ${ICMP_REDIRECT[code] ?? `#${code}`} ${
          formatIpv4(this.b, c + 4)
        }${L}`;
      }
      case 10:
        return `ICMP router solicitation${L}`;
      case 11:
        return `ICMP ${
          code === 0
            ? "time exceeded in-transit"
            : code === 1
            ? "ip reassembly time exceeded"
            : `time exceeded-#${code}`
        }${L}`;
      case 12:
        if (code === 0 && this.has(c, 5)) {
          return `ICMP parameter problem - octet ${this.u8(c + 4)}${L}`;
        }
        return `ICMP parameter problem - code ${code}${L}`;
    }
    return `ICMP type-#${type}${L}`;
  }

  icmp6(c: number, len: number): string {
    if (!this.has(c, 4)) return "ICMP6 [|icmp6]";
    const type = this.u8(c), code = this.u8(c + 1);
    const L = `, length ${len}`;
    const addr = (at: number) =>
      this.has(at, 16) ? formatIpv6(this.b, at) : null;
    const T = "ICMP6, ";
    switch (type) {
      case 128:
      case 129:
        if (!this.has(c, 8)) {
          return `${T}echo ${type === 128 ? "request" : "reply"} [|icmp6]`;
        }
        return `${T}echo ${type === 128 ? "request" : "reply"}, id ${
          this.u16(c + 4)
        }, seq ${this.u16(c + 6)}${L}`;
      case 133:
        return `${T}router solicitation${L}`;
      case 134:
        return `${T}router advertisement${L}`;
      case 135: {
        const tgt = addr(c + 8);
        return tgt === null
          ? `${T}neighbor solicitation [|icmp6]`
          : `${T}neighbor solicitation, who has ${tgt}${L}`;
      }
      case 136: {
        const tgt = addr(c + 8);
        return tgt === null
          ? `${T}neighbor advertisement [|icmp6]`
          : `${T}neighbor advertisement, tgt is ${tgt}${L}`;
      }
      case 2:
        if (!this.has(c, 8)) return `${T}packet too big [|icmp6]`;
        return `${T}packet too big, mtu ${this.u32(c + 4)}${L}`;
      case 1: {
        const oip = c + 8;
        const dst = addr(oip + 24);
        if (dst === null) return `${T}destination unreachable [|icmp6]`;
        switch (code) {
          case 0:
            return `${T}destination unreachable, unreachable route ${dst}${L}`;
          case 1:
            return `${T}destination unreachable,  unreachable prohibited ${dst}${L}`;
          case 3:
            return `${T}destination unreachable, unreachable address ${dst}${L}`;
          case 4: {
            const nh = this.u8(oip + 6);
            if (!this.has(oip + 40, 4)) {
              return `${T}destination unreachable [|icmp6]`;
            }
            const port = this.u16(oip + 42);
            const name = nh === 17 ? "udp" : nh === 6 ? "tcp" : `proto ${nh}`;
            return `${T}destination unreachable, unreachable port, ${dst} ${name} port ${port}${L}`;
          }
        }
        return `${T}destination unreachable, code-#${code}${L}`;
      }
      case 3: {
        if (code === 0) {
          const dst = addr(c + 8 + 24);
          if (dst === null) return `${T}time exceeded [|icmp6]`;
          return `${T}time exceeded in-transit for ${dst}${L}`;
        }
        if (code === 1) return `${T}time exceeded in-transit (reassembly)${L}`;
        return `${T}time exceeded, code-#${code}${L}`;
      }
      case 4: {
        if (!this.has(c, 8)) return `${T}parameter problem [|icmp6]`;
        const what = ["erroneous", "next header", "option"][code];
        const ptr = this.u32(c + 4);
        return what !== undefined
          ? `${T}parameter problem, ${what} - octet ${ptr}${L}`
          : `${T}parameter problem, code-#${code}${L}`;
      }
    }
    return `${T}type-#${type}${L}`;
  }
}

function etherTypeName(t: number): string {
  return `${ETHERTYPE_NAMES[t] ?? "Unknown"} (0x${hex4(t)})`;
}

function optionName(kind: number): string {
  return TCP_OPTION_NAMES[kind] ?? `unknown-${kind}`;
}

/** TCP flags as tcpdump writes them: `S`, `S.`, `P.`, `FSRP.UEW`, `none`. */
export function tcpFlagString(flags: number): string {
  let s = "";
  if (flags & 0x01) s += "F";
  if (flags & 0x02) s += "S";
  if (flags & 0x04) s += "R";
  if (flags & 0x08) s += "P";
  if (flags & 0x10) s += ".";
  if (flags & 0x20) s += "U";
  if (flags & 0x40) s += "E";
  if (flags & 0x80) s += "W";
  return s === "" ? "none" : s;
}

/**
 * A hex dump of `bytes[offset..offset+length)` in the format of
 * `hexdump -C`: offset, 16 bytes in two groups of 8, the printable ASCII
 * between bars, repeated lines folded into `*` (unless `squeeze` is
 * false), and the length on a last line. Empty input gives "". Reads only
 * inside the range (clipped to the buffer).
 */
export function hexDump(
  bytes: Uint8Array,
  offset = 0,
  length: number = bytes.length - offset,
  squeeze = true,
): string {
  const start = Math.max(0, Math.min(offset, bytes.length));
  const end = Math.min(start + Math.max(0, length), bytes.length);
  const n = end - start;
  if (n === 0) return "";
  const lines: string[] = [];
  let starred = false;
  for (let i = 0; i < n; i += 16) {
    const m = Math.min(16, n - i);
    if (squeeze && i > 0 && m === 16) {
      let same = true;
      for (let k = 0; k < 16 && same; k++) {
        same = bytes[start + i + k] === bytes[start + i - 16 + k];
      }
      if (same) {
        if (!starred) lines.push("*");
        starred = true;
        continue;
      }
    }
    starred = false;
    let hex = i.toString(16).padStart(8, "0") + "  ";
    let ascii = "";
    for (let k = 0; k < 16; k++) {
      if (k < m) {
        const c = bytes[start + i + k];
        hex += c.toString(16).padStart(2, "0") + " ";
        ascii += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : ".";
      } else hex += "   ";
      if (k === 7) hex += " ";
    }
    lines.push(`${hex} |${ascii}|`);
  }
  lines.push(n.toString(16).padStart(8, "0"));
  return lines.join("\n") + "\n";
}
