/**
 * Capturing what a port receives or a ring carries into a pcap or pcapng
 * file, burst by burst: a script calls {@linkcode PacketCapture.receive}
 * (RX queue), {@linkcode PacketCapture.dequeue} (ring) or
 * {@linkcode PacketCapture.write} (a burst it already has) in its loop, and
 * passes the mbufs on or frees them. Frames are copied from the pool view
 * straight into the file's write buffer: nothing is allocated per packet or
 * per burst, and the file is written when the buffer fills.
 *
 * Timestamps come from the TSC (one per burst, when it was captured),
 * anchored to the wall clock when the capture was created; nanosecond
 * resolution by default. A frame longer than the snap length is cut to it
 * (its length on the wire is kept); for a chained mbuf, the first segment
 * is captured and `pkt_len` is its length on the wire.
 *
 * @example Capture what port 0 receives, forward it to port 1
 * ```ts
 * const cap = PacketCapture.create("rx.pcapng"); // pcapng by the extension
 * const burst = new MbufBurst(pool, 32);
 * while (running()) {
 *   const n = cap.receive(port0.rxQueue(0), burst);
 *   if (n > 0) burst.send(port1.txQueue(0), n);
 * }
 * cap.close();
 * ```
 *
 * @module
 */

import { tscCycles, tscHz } from "../eal.ts";
import type { RxQueue } from "../ethdev.ts";
import { type MbufBurst, mbufLayout } from "../mbuf.ts";
import type { Ring } from "../ring.ts";
import type { CaptureFormat, PcapSink } from "./pcap.ts";

/** Options of {@linkcode PacketCapture.create} and {@linkcode PacketCapture.to}. */
export interface CaptureOptions {
  /** File format (default: "pcapng" for a path ending in `.pcapng`, else "pcap"). */
  format?: CaptureFormat;
  /** Nanosecond timestamps (default true; false: microseconds). */
  nanosecond?: boolean;
  /** Snap length (default 65535): longer frames are cut to it. */
  snapLength?: number;
  /** Link type (default 1, Ethernet). */
  linkType?: number;
  /** Bytes buffered before a write to the file (default 1 MiB). */
  bufferSize?: number;
  /** The clock, in ticks (default `tscCycles`). */
  clock?: () => number;
  /** Its ticks per second (default `tscHz()`). */
  hz?: number;
}

const PCAP_US = 0xa1b2c3d4;
const PCAP_NS = 0xa1b23c4d;
const NG_SHB = 0x0a0d0d0a;
const NG_BOM = 0x1a2b3c4d;
const NG_IDB = 1;
const NG_EPB = 6;
const TWO32 = 0x100000000;

/**
 * A capture file written burst by burst from mbufs (see the module docs).
 * Synchronous: a write reaches the file when the buffer is full, on
 * `flush()` or on `close()`.
 */
export class PacketCapture {
  /** Packets captured. */
  packets = 0;
  /** Bytes captured (after the snap length). */
  bytes = 0;
  #sink: PcapSink;
  #buf: Uint8Array<ArrayBuffer>;
  #dv: DataView<ArrayBuffer>;
  #used = 0;
  #ng: boolean;
  #units: number;
  #snap: number;
  #clock: () => number;
  #nsPerTick: number;
  #t0: number;
  #sec0: number;
  #ns0: number;
  #mbufOff = new Uint32Array(0);
  #pktLenAt: number;
  #closed = false;
  // the current timestamp: pcap seconds + fraction, pcapng 64-bit units
  #sec = 0;
  #frac = 0;
  #hi = 0;
  #lo = 0;

  private constructor(sink: PcapSink, opts: CaptureOptions, path = "") {
    const {
      format = path.endsWith(".pcapng") ? "pcapng" : "pcap",
      nanosecond = true,
      snapLength = 65535,
      linkType = 1,
      bufferSize = 1 << 20,
      clock = tscCycles,
      hz = tscHz(),
    } = opts;
    if (!(snapLength >= 1 && snapLength <= 0x3ffff && bufferSize >= 64)) {
      throw new RangeError(
        `PacketCapture: snapLength ${snapLength} (1..262143) or bufferSize ` +
          `${bufferSize} (>= 64) out of range`,
      );
    }
    this.#sink = sink;
    this.#ng = format === "pcapng";
    this.#units = nanosecond ? 1e9 : 1e6;
    this.#snap = snapLength;
    this.#buf = new Uint8Array(Math.max(bufferSize, snapLength + 64));
    this.#dv = new DataView(this.#buf.buffer);
    this.#clock = clock;
    this.#nsPerTick = 1e9 / hz;
    this.#pktLenAt = mbufLayout().pkt_len;
    const ms = Date.now();
    this.#t0 = clock();
    this.#sec0 = Math.floor(ms / 1000);
    this.#ns0 = (ms % 1000) * 1e6;
    if (this.#ng) this.#ngHeader(linkType, nanosecond);
    else this.#pcapHeader(linkType, nanosecond);
  }

  /** Creates (or truncates) `path` and writes the file header. */
  static create(path: string, options: CaptureOptions = {}): PacketCapture {
    const file = Deno.openSync(path, {
      write: true,
      create: true,
      truncate: true,
    });
    try {
      return new PacketCapture(file, options, path);
    } catch (e) {
      file.close();
      throw e;
    }
  }

  /** A capture into `sink` (an open file or anything with `writeSync`). */
  static to(sink: PcapSink, options: CaptureOptions = {}): PacketCapture {
    return new PacketCapture(sink, options);
  }

  #pcapHeader(linkType: number, ns: boolean): void {
    const v = this.#dv;
    v.setUint32(0, ns ? PCAP_NS : PCAP_US, true);
    v.setUint16(4, 2, true);
    v.setUint16(6, 4, true);
    v.setUint32(8, 0, true);
    v.setUint32(12, 0, true);
    v.setUint32(16, this.#snap, true);
    v.setUint32(20, linkType, true);
    this.#used = 24;
  }

  #ngHeader(linkType: number, ns: boolean): void {
    const v = this.#dv;
    // section header block: no options, section length unknown (-1)
    v.setUint32(0, NG_SHB, true);
    v.setUint32(4, 28, true);
    v.setUint32(8, NG_BOM, true);
    v.setUint16(12, 1, true);
    v.setUint16(14, 0, true);
    v.setInt32(16, -1, true);
    v.setInt32(20, -1, true);
    v.setUint32(24, 28, true);
    // interface description block, if_tsresol 9 for nanoseconds
    const len = ns ? 32 : 20;
    v.setUint32(28, NG_IDB, true);
    v.setUint32(32, len, true);
    v.setUint16(36, linkType, true);
    v.setUint16(38, 0, true);
    v.setUint32(40, this.#snap, true);
    if (ns) {
      v.setUint16(44, 9, true); // if_tsresol
      v.setUint16(46, 1, true);
      v.setUint32(48, 9, true); // 10^-9, then padding
      v.setUint32(52, 0, true); // opt_endofopt
    }
    v.setUint32(28 + len - 4, len, true);
    this.#used = 28 + len;
  }

  /**
   * Takes the time for the records that follow: now by the clock, or the
   * given wall-clock time.
   *
   * @param seconds seconds since the epoch (default: now)
   * @param nanos nanoseconds within the second
   */
  stamp(seconds?: number, nanos = 0): void {
    if (seconds === undefined) {
      const ns = this.#ns0 + (this.#clock() - this.#t0) * this.#nsPerTick;
      const whole = Math.floor(ns / 1e9);
      seconds = this.#sec0 + whole;
      nanos = Math.floor(ns - whole * 1e9);
    }
    const frac = this.#units === 1e9 ? nanos : Math.floor(nanos / 1000);
    this.#sec = seconds;
    this.#frac = frac;
    // pcapng: seconds * units + frac as two 32-bit halves, exactly
    const s1 = Math.floor(seconds / 0x10000), s0 = seconds % 0x10000;
    const t0 = this.#units * s0 + frac, t1 = this.#units * s1;
    const x = (t1 % 0x10000) * 0x10000 + (t0 % TWO32);
    this.#lo = x % TWO32;
    this.#hi = (Math.floor(t1 / 0x10000) + Math.floor(t0 / TWO32) +
      Math.floor(x / TWO32)) >>> 0;
  }

  /**
   * Writes packets `first .. first + n - 1` of `burst` (located: `off` and
   * `len` filled, as after `receive`, `alloc` or `locate`), all with one
   * timestamp: now, or with `stampNow` false the last
   * {@linkcode PacketCapture.stamp}. The mbufs stay in the burst.
   *
   * @param burst the burst
   * @param n how many packets
   * @param first the first one (default 0)
   * @param stampNow take the time now (default true; false: the last stamp)
   */
  write(burst: MbufBurst, n: number, first = 0, stampNow = true): void {
    if (this.#closed) throw new Error("PacketCapture: write after close");
    if (
      !((n >>> 0) === n && (first >>> 0) === first && first + n <= burst.size)
    ) {
      throw new RangeError(
        `PacketCapture.write: packets ${first}..${first + n - 1} are not ` +
          `within the burst's ${burst.size}`,
      );
    }
    if (n === 0) return;
    if (stampNow) this.stamp();
    const view = burst.view;
    if (this.#mbufOff.length < burst.size) {
      this.#mbufOff = new Uint32Array(new ArrayBuffer(4 * burst.size));
    }
    // where each mbuf's header lies in the view, for pkt_len
    view.offsets(burst.mbufs, first + n, this.#mbufOff);
    const src = view.data, srcBytes = view.bytes;
    const off = burst.off, len = burst.len, mo = this.#mbufOff;
    const buf = this.#buf, dv = this.#dv, snap = this.#snap, ng = this.#ng;
    const pktLenAt = this.#pktLenAt;
    for (let i = first; i < first + n; i++) {
      const dataLen = len[i];
      const wire = Math.max(dataLen, src.getUint32(mo[i] + pktLenAt, true));
      const cap = dataLen < snap ? dataLen : snap;
      const room = ng ? 32 + ((cap + 3) & ~3) : 16 + cap;
      if (this.#used + room > buf.length) this.flush();
      let o = this.#used;
      if (ng) {
        if ((cap & 3) !== 0) dv.setUint32(o + room - 8, 0, true); // padding
        dv.setUint32(o, NG_EPB, true);
        dv.setUint32(o + 4, room, true);
        dv.setUint32(o + 8, 0, true); // interface 0
        dv.setUint32(o + 12, this.#hi, true);
        dv.setUint32(o + 16, this.#lo, true);
        dv.setUint32(o + 20, cap, true);
        dv.setUint32(o + 24, wire, true);
        dv.setUint32(o + room - 4, room, true);
        o += 28;
      } else {
        dv.setUint32(o, this.#sec >>> 0, true);
        dv.setUint32(o + 4, this.#frac, true);
        dv.setUint32(o + 8, cap, true);
        dv.setUint32(o + 12, wire, true);
        o += 16;
      }
      // the frame, from the pool view: 4 bytes at a time, then the rest
      const s = off[i];
      let j = 0;
      for (; j + 4 <= cap; j += 4) {
        dv.setUint32(o + j, src.getUint32(s + j, true), true);
      }
      for (; j < cap; j++) buf[o + j] = srcBytes[s + j];
      this.#used += room;
      this.bytes += cap;
    }
    this.packets += n;
  }

  /**
   * Receives up to `n` packets from `rxq` into `burst` (one FFI call) and
   * writes them; returns how many came. The mbufs stay in the burst:
   * send or free them.
   */
  receive(rxq: RxQueue, burst: MbufBurst, n: number = burst.size): number {
    const got = burst.receive(rxq, n);
    if (got > 0) this.write(burst, got);
    return got;
  }

  /**
   * Dequeues up to `n` mbufs from `ring` into `burst`, locates and writes
   * them; returns how many came. The mbufs stay in the burst: pass them on
   * or free them.
   */
  dequeue(ring: Ring, burst: MbufBurst, n: number = burst.size): number {
    const got = burst.dequeue(ring, n);
    if (got > 0) {
      burst.locate(got);
      this.write(burst, got);
    }
    return got;
  }

  /** Writes the buffered records to the file. */
  flush(): void {
    let o = 0;
    while (o < this.#used) {
      o += this.#sink.writeSync(this.#buf.subarray(o, this.#used));
    }
    this.#used = 0;
  }

  /** Flushes and closes the file (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    this.#sink.close?.();
  }

  /** Closes the file (`using cap = PacketCapture.create(...)`). */
  [Symbol.dispose](): void {
    this.close();
  }
}
