/**
 * Capture files: pcap (microsecond and nanosecond timestamps, either byte
 * order) and pcapng (section header, interface description, enhanced,
 * simple and obsolete packet blocks; other blocks are skipped), read as a
 * stream of records through a bounded buffer, so a capture of any size is
 * never held in memory; written by appending records (pcap, or pcapng
 * enhanced packet blocks).
 *
 * Timestamps are two integers, `seconds` and `nanos` (0..999999999), with
 * no BigInt on the way.
 *
 * @example Count the UDP frames of a capture
 * ```ts
 * const reader = await PcapReader.open("out.pcap");
 * let udp = 0;
 * for await (const r of reader) if (r.data[23] === 17) udp++;
 * ```
 *
 * @module
 */

/** One captured frame. */
export interface PcapRecord {
  /** The captured bytes (see {@linkcode PcapReaderOptions.copy}). */
  data: Uint8Array;
  /** The frame's length on the wire (>= `data.length` when truncated by the snap length). */
  originalLength: number;
  /** Timestamp: whole seconds since the epoch (plus any pcapng if_tsoffset). */
  seconds: number;
  /** Timestamp: nanoseconds within the second (0..999999999). */
  nanos: number;
  /** Link type (1: Ethernet), from the file or the pcapng interface. */
  linkType: number;
  /** pcapng interface ID (0 for pcap). */
  interfaceId: number;
}

/** Options of {@linkcode PcapReader}. */
export interface PcapReaderOptions {
  /**
   * Each record gets its own copy of the bytes (default true). With false,
   * `data` is a view into the reader's buffer, valid until the next record
   * is read: nothing is allocated per record for the bytes.
   */
  copy?: boolean;
  /** Bytes read from the file at a time (default 65536). */
  chunkSize?: number;
  /** Largest record or block accepted, in bytes; larger ones are reported as a corrupt file (default 16 MiB). */
  maxRecord?: number;
}

/**
 * Where a reader takes bytes from: a `Deno.FsFile`, or anything with the
 * same `read` (and `readSync` for synchronous reads; `close` if any).
 */
export interface PcapSource {
  /** Reads into `p`; the byte count, or null at the end. */
  read(p: Uint8Array): Promise<number | null>;
  /** Reads into `p` synchronously; the byte count, or null at the end. */
  readSync?(p: Uint8Array): number | null;
  /** Releases the source. */
  close?(): void;
}

/**
 * Where a writer puts bytes: a `Deno.FsFile`, or anything with the same
 * `writeSync` (and `close` if any).
 */
export interface PcapSink {
  /** Writes (part of) `p`; returns the bytes written. */
  writeSync(p: Uint8Array): number;
  /** Releases the sink. */
  close?(): void;
}

/** The file format. */
export type CaptureFormat = "pcap" | "pcapng";

/** A file that is not a capture this module reads, or a corrupt one. */
export class PcapFormatError extends Error {
  /**
   * An error saying what is wrong.
   *
   * @param message what is wrong, with the file offset
   */
  constructor(message: string) {
    super(message);
    this.name = "PcapFormatError";
  }
}

const PCAP_US = 0xa1b2c3d4;
const PCAP_NS = 0xa1b23c4d;
const NG_SHB = 0x0a0d0d0a;
const NG_BOM = 0x1a2b3c4d;
const NG_IDB = 1;
const NG_PB = 2;
const NG_SPB = 3;
const NG_EPB = 6;
const TWO32 = 0x100000000;

interface NgInterface {
  linkType: number;
  snapLength: number;
  /** Timestamp units per second. */
  units: number;
  /** if_tsoffset, seconds. */
  offset: number;
}

/** Splits `seconds * units + frac` into 32-bit halves, exactly. */
function toUnits64(
  seconds: number,
  units: number,
  frac: number,
): [hi: number, lo: number] {
  // seconds < 2^32, units < 2^32: multiply by 16-bit limbs
  const s1 = Math.floor(seconds / 0x10000), s0 = seconds % 0x10000;
  const t0 = units * s0 + frac; // < 2^49
  const t1 = units * s1; // < 2^48
  const x = (t1 % 0x10000) * 0x10000 + (t0 % TWO32);
  const lo = x % TWO32;
  const hi = Math.floor(t1 / 0x10000) + Math.floor(t0 / TWO32) +
    Math.floor(x / TWO32);
  return [hi >>> 0, lo];
}

/** (hi * 2^32 + lo) / units as [seconds, nanos], exactly for units <= 2^32. */
function fromUnits64(
  hi: number,
  lo: number,
  units: number,
): [seconds: number, nanos: number] {
  const digits = [hi >>> 16, hi & 0xffff, lo >>> 16, lo & 0xffff];
  let rem = 0, q = 0;
  for (const d of digits) {
    const cur = rem * 0x10000 + d; // < units * 2^16 <= 2^48
    const qd = Math.floor(cur / units);
    rem = cur - qd * units;
    q = q * 0x10000 + qd;
  }
  let nanos: number;
  if (units === 1e9) nanos = rem;
  else if (units === 1e6) nanos = rem * 1000;
  else nanos = Math.floor(rem * (1e9 / units));
  return [q, nanos];
}

function tsresolUnits(v: number): number {
  return v & 0x80 ? 2 ** (v & 0x7f) : 10 ** v;
}

const NEED = Symbol("need");

/**
 * A streaming reader of pcap and pcapng files: records one at a time
 * (`for await`, `next()`, or synchronously `nextSync()` / `for...of`),
 * through a buffer bounded by the largest record. A record cut short at
 * the end of the file (still being written) ends the stream; see
 * `truncatedTail`.
 */
export class PcapReader
  implements AsyncIterable<PcapRecord>, Iterable<PcapRecord> {
  #file: PcapSource;
  #buf: Uint8Array<ArrayBuffer>;
  #view: DataView;
  #start = 0;
  #end = 0;
  #eof = false;
  #pos = 0; // file offset of #buf[#start]
  #need = 0;
  #copy: boolean;
  #chunk: number;
  #max: number;
  #closed = false;
  #le = true;
  #started = false;
  #ifaces: NgInterface[] = [];
  #format: CaptureFormat | undefined;
  #nanosecond = false;
  #linkType = -1;
  #snapLength = 0;
  /** Set when the file ended inside a record. */
  truncatedTail = false;

  /**
   * A reader of an open file or other source (positioned at its start);
   * the reader closes it on `close()`.
   */
  constructor(
    file: PcapSource,
    { copy = true, chunkSize = 65536, maxRecord = 1 << 24 }: PcapReaderOptions =
      {},
  ) {
    this.#file = file;
    this.#copy = copy;
    this.#chunk = chunkSize;
    this.#max = maxRecord;
    this.#buf = new Uint8Array(chunkSize);
    this.#view = new DataView(this.#buf.buffer);
  }

  /** Opens `path` for reading. */
  static async open(
    path: string | URL,
    options?: PcapReaderOptions,
  ): Promise<PcapReader> {
    return new PcapReader(await Deno.open(path, { read: true }), options);
  }

  /** Opens `path` for reading, synchronously. */
  static openSync(path: string | URL, options?: PcapReaderOptions): PcapReader {
    return new PcapReader(Deno.openSync(path, { read: true }), options);
  }

  /** "pcap" or "pcapng" (known after the first record is read). */
  get format(): CaptureFormat | undefined {
    return this.#format;
  }
  /** pcap with nanosecond timestamps (after the first read). */
  get nanosecond(): boolean {
    return this.#nanosecond;
  }
  /** The link type of the pcap file or of pcapng's first interface (-1 before any read). */
  get linkType(): number {
    return this.#linkType;
  }
  /** The snap length of the pcap file or of pcapng's first interface. */
  get snapLength(): number {
    return this.#snapLength;
  }

  /** Closes the file (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#file.close?.();
  }

  /** The next record, or null at the end of the file. */
  async next(): Promise<PcapRecord | null> {
    for (;;) {
      const r = this.#step();
      if (r !== NEED) return r;
      if (!(await this.#fill())) return this.#ended();
    }
  }

  /** The next record, read synchronously, or null at the end. */
  nextSync(): PcapRecord | null {
    for (;;) {
      const r = this.#step();
      if (r !== NEED) return r;
      if (!this.#fillSync()) return this.#ended();
    }
  }

  /** The records, read asynchronously; the file is closed at the end. */
  async *[Symbol.asyncIterator](): AsyncIterator<PcapRecord> {
    try {
      for (;;) {
        const r = await this.next();
        if (r === null) return;
        yield r;
      }
    } finally {
      this.close();
    }
  }

  /** The records, read synchronously; the file is closed at the end. */
  *[Symbol.iterator](): Iterator<PcapRecord> {
    try {
      for (;;) {
        const r = this.nextSync();
        if (r === null) return;
        yield r;
      }
    } finally {
      this.close();
    }
  }

  #ended(): null {
    const have = this.#end - this.#start;
    if (!this.#started) {
      throw new PcapFormatError(
        `not a capture: ${have} bytes, too short for a pcap or pcapng header`,
      );
    }
    if (have > 0) this.truncatedTail = true;
    return null;
  }

  /** Makes room for #need buffered bytes; false when nothing can be read. */
  #prepare(): boolean {
    if (this.#eof || this.#closed) return false;
    const have = this.#end - this.#start;
    if (this.#start > 0) {
      this.#buf.copyWithin(0, this.#start, this.#end);
      this.#start = 0;
      this.#end = have;
    }
    const required = Math.max(this.#need, this.#chunk);
    if (this.#buf.length < required) {
      const nb = new Uint8Array(required);
      nb.set(this.#buf.subarray(0, this.#end));
      this.#buf = nb;
      this.#view = new DataView(nb.buffer);
    }
    return true;
  }

  async #fill(): Promise<boolean> {
    if (!this.#prepare()) return false;
    const n = await this.#file.read(this.#buf.subarray(this.#end));
    if (n === null || n === 0) {
      this.#eof = true;
      return false;
    }
    this.#end += n;
    return true;
  }

  #fillSync(): boolean {
    if (!this.#prepare()) return false;
    if (this.#file.readSync === undefined) {
      throw new TypeError(
        "PcapReader: this source has no readSync: use next()",
      );
    }
    const n = this.#file.readSync(this.#buf.subarray(this.#end));
    if (n === null || n === 0) {
      this.#eof = true;
      return false;
    }
    this.#end += n;
    return true;
  }

  #u32(at: number): number {
    return this.#view.getUint32(this.#start + at, this.#le);
  }
  #u16(at: number): number {
    return this.#view.getUint16(this.#start + at, this.#le);
  }

  #needs(n: number): boolean {
    if (this.#end - this.#start >= n) return true;
    if (n > this.#max + 64) {
      throw new PcapFormatError(
        `record or block of ${n} bytes at file offset ${this.#pos} exceeds ` +
          `maxRecord ${this.#max}: corrupt file?`,
      );
    }
    this.#need = n;
    return false;
  }

  #consume(n: number): void {
    this.#start += n;
    this.#pos += n;
  }

  #bytes(at: number, n: number): Uint8Array {
    const from = this.#start + at;
    return this.#copy
      ? this.#buf.slice(from, from + n)
      : this.#buf.subarray(from, from + n);
  }

  #step(): PcapRecord | null | typeof NEED {
    if (!this.#started) {
      if (!this.#needs(4)) return NEED;
      const b = this.#buf, s = this.#start;
      const be = (b[s] << 24 | b[s + 1] << 16 | b[s + 2] << 8 | b[s + 3]) >>> 0;
      const le = (b[s + 3] << 24 | b[s + 2] << 16 | b[s + 1] << 8 | b[s]) >>> 0;
      if (be === NG_SHB) {
        this.#format = "pcapng";
      } else if (
        le === PCAP_US || le === PCAP_NS || be === PCAP_US || be === PCAP_NS
      ) {
        if (!this.#needs(24)) return NEED;
        this.#format = "pcap";
        this.#le = le === PCAP_US || le === PCAP_NS;
        this.#nanosecond = (this.#le ? le : be) === PCAP_NS;
        this.#snapLength = this.#u32(16);
        this.#linkType = this.#u32(20) & 0xffff;
        this.#consume(24);
      } else {
        throw new PcapFormatError(
          `not a pcap or pcapng file (starts with 0x${
            be.toString(16).padStart(8, "0")
          })`,
        );
      }
      this.#started = true;
    }
    return this.#format === "pcap" ? this.#pcapRecord() : this.#ngBlock();
  }

  #pcapRecord(): PcapRecord | null | typeof NEED {
    if (!this.#needs(16)) return NEED;
    const caplen = this.#u32(8);
    if (caplen > this.#max) {
      throw new PcapFormatError(
        `record at file offset ${this.#pos} claims ${caplen} bytes (> maxRecord ${this.#max}): corrupt file?`,
      );
    }
    if (!this.#needs(16 + caplen)) return NEED;
    const sec = this.#u32(0), frac = this.#u32(4);
    const rec: PcapRecord = {
      data: this.#bytes(16, caplen),
      originalLength: this.#u32(12),
      seconds: sec,
      nanos: this.#nanosecond ? frac : frac * 1000,
      linkType: this.#linkType,
      interfaceId: 0,
    };
    this.#consume(16 + caplen);
    return rec;
  }

  #ngBlock(): PcapRecord | null | typeof NEED {
    for (;;) {
      if (!this.#needs(12)) return NEED;
      const b = this.#buf, s = this.#start;
      const typeBE =
        (b[s] << 24 | b[s + 1] << 16 | b[s + 2] << 8 | b[s + 3]) >>> 0;
      if (typeBE === NG_SHB) {
        const bom = this.#view.getUint32(s + 8, true);
        if (bom === NG_BOM) this.#le = true;
        else if (bom === 0x4d3c2b1a) this.#le = false;
        else {
          throw new PcapFormatError(
            `pcapng section header at file offset ${this.#pos} has byte-order magic 0x${
              bom.toString(16)
            }`,
          );
        }
        this.#ifaces = [];
      }
      const type = this.#u32(0);
      const len = this.#u32(4);
      if (len < 12 || len % 4 !== 0) {
        throw new PcapFormatError(
          `pcapng block at file offset ${this.#pos} has length ${len}`,
        );
      }
      if (!this.#needs(len)) return NEED;
      let rec: PcapRecord | null = null;
      if (type === NG_IDB && len >= 20) {
        const iface: NgInterface = {
          linkType: this.#u16(8),
          snapLength: this.#u32(12),
          units: 1e6,
          offset: 0,
        };
        for (let o = 16; o + 4 <= len - 4;) {
          const code = this.#u16(o), olen = this.#u16(o + 2);
          if (code === 0) break;
          if (code === 9 && olen >= 1) {
            iface.units = tsresolUnits(this.#buf[this.#start + o + 4]);
          }
          if (code === 14 && olen === 8) {
            const hi = this.#view.getInt32(
              this.#start + o + 4 + (this.#le ? 4 : 0),
              this.#le,
            );
            const lo = this.#view.getUint32(
              this.#start + o + 4 + (this.#le ? 0 : 4),
              this.#le,
            );
            iface.offset = hi * TWO32 + lo;
          }
          o += 4 + ((olen + 3) & ~3);
        }
        this.#ifaces.push(iface);
        if (this.#linkType < 0) {
          this.#linkType = iface.linkType;
          this.#snapLength = iface.snapLength;
        }
      } else if (type === NG_EPB && len >= 32) {
        const id = this.#u32(8);
        const caplen = this.#u32(20);
        if (28 + caplen > len - 4) {
          throw new PcapFormatError(
            `pcapng packet block at file offset ${this.#pos} holds ${caplen} bytes in a ${len}-byte block`,
          );
        }
        rec = this.#ngRecord(
          id,
          this.#u32(12),
          this.#u32(16),
          28,
          caplen,
          this.#u32(24),
        );
      } else if (type === NG_PB && len >= 32) {
        const id = this.#u16(8);
        const caplen = this.#u32(20);
        if (28 + caplen > len - 4) {
          throw new PcapFormatError(
            `pcapng packet block at file offset ${this.#pos} holds ${caplen} bytes in a ${len}-byte block`,
          );
        }
        rec = this.#ngRecord(
          id,
          this.#u32(12),
          this.#u32(16),
          28,
          caplen,
          this.#u32(24),
        );
      } else if (type === NG_SPB && len >= 16) {
        const orig = this.#u32(8);
        const snap = this.#ifaces[0]?.snapLength ?? 0;
        let caplen = Math.min(orig, len - 16);
        if (snap > 0) caplen = Math.min(caplen, snap);
        const iface = this.#ifaces[0];
        rec = {
          data: this.#bytes(12, caplen),
          originalLength: orig,
          seconds: 0,
          nanos: 0,
          linkType: iface?.linkType ?? -1,
          interfaceId: 0,
        };
      }
      this.#consume(len);
      if (rec !== null) return rec;
    }
  }

  #ngRecord(
    id: number,
    hi: number,
    lo: number,
    at: number,
    caplen: number,
    orig: number,
  ): PcapRecord {
    const iface = this.#ifaces[id];
    if (iface === undefined) {
      throw new PcapFormatError(
        `pcapng packet at file offset ${this.#pos} names interface ${id}, ` +
          `but the section describes ${this.#ifaces.length}`,
      );
    }
    const [seconds, nanos] = fromUnits64(hi, lo, iface.units);
    return {
      data: this.#bytes(at, caplen),
      originalLength: orig,
      seconds: seconds + iface.offset,
      nanos,
      linkType: iface.linkType,
      interfaceId: id,
    };
  }
}

/**
 * Every record of the capture at `path` (pcap or pcapng), in order: for
 * captures that fit in memory; stream larger ones with
 * {@linkcode PcapReader}.
 */
export async function readPcap(path: string | URL): Promise<PcapRecord[]> {
  const out: PcapRecord[] = [];
  for await (const r of await PcapReader.open(path)) out.push(r);
  return out;
}

/** Options of {@linkcode PcapWriter.create}. */
export interface PcapWriterOptions {
  /** File format (default "pcap"). */
  format?: CaptureFormat;
  /** Nanosecond timestamps (default false: microseconds, the most widely read). */
  nanosecond?: boolean;
  /** Link type (default 1, Ethernet). */
  linkType?: number;
  /** Snap length written in the header (default 65535); longer frames are truncated to it. */
  snapLength?: number;
  /** Bytes buffered before a write to the file (default 65536). */
  bufferSize?: number;
}

/**
 * A capture file written record by record (synchronous, buffered: nothing
 * reaches the file before `flush()`, `close()` or a full buffer).
 */
export class PcapWriter {
  #file: PcapSink;
  #buf: Uint8Array<ArrayBuffer>;
  #view: DataView;
  #used = 0;
  #le: boolean;
  #ng: boolean;
  #units: number;
  #snap: number;
  #closed = false;
  /** Records written. */
  count = 0;

  private constructor(
    file: PcapSink,
    ng: boolean,
    le: boolean,
    units: number,
    snap: number,
    bufferSize: number,
  ) {
    this.#file = file;
    this.#ng = ng;
    this.#le = le;
    this.#units = units;
    this.#snap = snap;
    this.#buf = new Uint8Array(bufferSize);
    this.#view = new DataView(this.#buf.buffer);
  }

  /** Creates (or truncates) `path` and writes the file header. */
  static create(
    path: string | URL,
    options: PcapWriterOptions = {},
  ): PcapWriter {
    const file = Deno.openSync(path, {
      write: true,
      create: true,
      truncate: true,
    });
    return PcapWriter.to(file, options);
  }

  /** A writer into `sink` (e.g. an open file), starting with the file header. */
  static to(
    sink: PcapSink,
    {
      format = "pcap",
      nanosecond = false,
      linkType = 1,
      snapLength = 65535,
      bufferSize = 65536,
    }: PcapWriterOptions = {},
  ): PcapWriter {
    const w = new PcapWriter(
      sink,
      format === "pcapng",
      true,
      nanosecond ? 1e9 : 1e6,
      snapLength,
      bufferSize,
    );
    if (format === "pcapng") w.#ngHeader(linkType, snapLength, nanosecond);
    else w.#pcapHeader(linkType, snapLength, nanosecond);
    return w;
  }

  /**
   * Opens `path` to append records in its own format, byte order and
   * timestamp resolution (pcapng: to the last section, as its first
   * interface); creates it with `options` when missing or empty.
   */
  static append(
    path: string | URL,
    options: PcapWriterOptions = {},
  ): PcapWriter {
    let size = 0;
    try {
      size = Deno.statSync(path).size;
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    if (size === 0) return PcapWriter.create(path, options);
    const info = scanForAppend(path);
    const file = Deno.openSync(path, { write: true, append: true });
    return new PcapWriter(
      file,
      info.ng,
      info.le,
      info.units,
      info.snap,
      options.bufferSize ?? 65536,
    );
  }

  #room(n: number): void {
    if (this.#used + n > this.#buf.length) this.flush();
    if (n > this.#buf.length) {
      const nb = new Uint8Array(n);
      this.#buf = nb;
      this.#view = new DataView(nb.buffer);
    }
  }

  #pcapHeader(linkType: number, snap: number, ns: boolean): void {
    this.#room(24);
    const v = this.#view, o = this.#used;
    v.setUint32(o, ns ? PCAP_NS : PCAP_US, true);
    v.setUint16(o + 4, 2, true);
    v.setUint16(o + 6, 4, true);
    v.setUint32(o + 8, 0, true);
    v.setUint32(o + 12, 0, true);
    v.setUint32(o + 16, snap, true);
    v.setUint32(o + 20, linkType, true);
    this.#used += 24;
  }

  #ngHeader(linkType: number, snap: number, ns: boolean): void {
    this.#room(28 + 32);
    const v = this.#view;
    let o = this.#used;
    // section header block, no options, section length unknown (-1)
    v.setUint32(o, NG_SHB, true);
    v.setUint32(o + 4, 28, true);
    v.setUint32(o + 8, NG_BOM, true);
    v.setUint16(o + 12, 1, true);
    v.setUint16(o + 14, 0, true);
    v.setInt32(o + 16, -1, true);
    v.setInt32(o + 20, -1, true);
    v.setUint32(o + 24, 28, true);
    o += 28;
    // interface description block, with if_tsresol when nanoseconds
    const len = ns ? 32 : 20;
    v.setUint32(o, NG_IDB, true);
    v.setUint32(o + 4, len, true);
    v.setUint16(o + 8, linkType, true);
    v.setUint16(o + 10, 0, true);
    v.setUint32(o + 12, snap, true);
    if (ns) {
      v.setUint16(o + 16, 9, true);
      v.setUint16(o + 18, 1, true);
      v.setUint32(o + 20, 9, true); // value 9, then padding
      v.setUint32(o + 24, 0, true); // opt_endofopt
      v.setUint32(o + 28, len, true);
    } else {
      v.setUint32(o + 16, len, true);
    }
    this.#used = o + len;
  }

  /**
   * Appends one record: `data` (truncated to the snap length), stamped
   * `seconds` + `nanos` (default: now), with `originalLength` (default:
   * `data.length`) as the length on the wire.
   */
  write(
    data: Uint8Array,
    seconds?: number,
    nanos = 0,
    originalLength: number = data.length,
  ): void {
    if (this.#closed) throw new Error("PcapWriter: write after close");
    if (seconds === undefined) {
      const ms = Date.now();
      seconds = Math.floor(ms / 1000);
      nanos = (ms % 1000) * 1e6;
    }
    const cap = this.#snap > 0
      ? Math.min(data.length, this.#snap)
      : data.length;
    const frac = this.#units === 1e9 ? nanos : Math.floor(nanos / 1000);
    const le = this.#le;
    if (!this.#ng) {
      this.#room(16 + cap);
      const v = this.#view, o = this.#used;
      v.setUint32(o, seconds >>> 0, le);
      v.setUint32(o + 4, frac, le);
      v.setUint32(o + 8, cap, le);
      v.setUint32(o + 12, Math.max(originalLength, cap), le);
      this.#buf.set(cap === data.length ? data : data.subarray(0, cap), o + 16);
      this.#used = o + 16 + cap;
    } else {
      const padded = (cap + 3) & ~3;
      const len = 32 + padded;
      this.#room(len);
      const v = this.#view, o = this.#used;
      const [hi, lo] = toUnits64(seconds, this.#units, frac);
      v.setUint32(o, NG_EPB, le);
      v.setUint32(o + 4, len, le);
      v.setUint32(o + 8, 0, le);
      v.setUint32(o + 12, hi, le);
      v.setUint32(o + 16, lo, le);
      v.setUint32(o + 20, cap, le);
      v.setUint32(o + 24, Math.max(originalLength, cap), le);
      this.#buf.set(cap === data.length ? data : data.subarray(0, cap), o + 28);
      this.#buf.fill(0, o + 28 + cap, o + 28 + padded);
      v.setUint32(o + 28 + padded, len, le);
      this.#used = o + len;
    }
    this.count++;
  }

  /** Appends a record read from another capture (its bytes, time and length). */
  writeRecord(r: PcapRecord): void {
    this.write(r.data, r.seconds, r.nanos, r.originalLength);
  }

  /** Writes the buffered records to the file. */
  flush(): void {
    let o = 0;
    while (o < this.#used) {
      o += this.#file.writeSync(this.#buf.subarray(o, this.#used));
    }
    this.#used = 0;
  }

  /** Flushes and closes the file (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    this.#file.close?.();
  }
}

/** Format facts of an existing capture, for appending. */
function scanForAppend(
  path: string | URL,
): { ng: boolean; le: boolean; units: number; snap: number } {
  const f = Deno.openSync(path, { read: true });
  try {
    const head = new Uint8Array(28);
    const readAt = (pos: number, buf: Uint8Array): boolean => {
      f.seekSync(pos, Deno.SeekMode.Start);
      let got = 0;
      while (got < buf.length) {
        const n = f.readSync(buf.subarray(got));
        if (n === null || n === 0) return false;
        got += n;
      }
      return true;
    };
    if (!readAt(0, head.subarray(0, 24))) {
      throw new PcapFormatError("too short for a capture header");
    }
    const v = new DataView(head.buffer);
    const le = v.getUint32(0, true), be = v.getUint32(0, false);
    if (le === PCAP_US || le === PCAP_NS || be === PCAP_US || be === PCAP_NS) {
      const isLe = le === PCAP_US || le === PCAP_NS;
      return {
        ng: false,
        le: isLe,
        units: (isLe ? le : be) === PCAP_NS ? 1e9 : 1e6,
        snap: v.getUint32(16, isLe),
      };
    }
    if (be !== NG_SHB) {
      throw new PcapFormatError(`not a pcap or pcapng file: cannot append`);
    }
    // walk the blocks: the last section's byte order and first interface
    let pos = 0;
    let isLe = true;
    let first: { units: number; snap: number } | null = null;
    const blk = new Uint8Array(12);
    const bv = new DataView(blk.buffer);
    while (readAt(pos, blk)) {
      const typeBE = bv.getUint32(0, false);
      if (typeBE === NG_SHB) {
        isLe = bv.getUint32(8, true) === NG_BOM;
        first = null;
      }
      const type = bv.getUint32(0, isLe), len = bv.getUint32(4, isLe);
      if (len < 12 || len % 4 !== 0) {
        throw new PcapFormatError(
          `pcapng block at file offset ${pos} has length ${len}`,
        );
      }
      if (type === NG_IDB && first === null) {
        const body = new Uint8Array(len);
        if (!readAt(pos, body)) break;
        const d = new DataView(body.buffer);
        let units = 1e6;
        for (let o = 16; o + 4 <= len - 4;) {
          const code = d.getUint16(o, isLe), olen = d.getUint16(o + 2, isLe);
          if (code === 0) break;
          if (code === 9 && olen >= 1) units = tsresolUnits(body[o + 4]);
          o += 4 + ((olen + 3) & ~3);
        }
        first = { units, snap: d.getUint32(12, isLe) };
      }
      pos += len;
    }
    if (first === null) {
      throw new PcapFormatError(
        "pcapng file has no interface in its last section: cannot append",
      );
    }
    return { ng: true, le: isLe, units: first.units, snap: first.snap };
  } finally {
    f.close();
  }
}
