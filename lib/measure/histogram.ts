/**
 * An HDR-style log-linear histogram of non-negative numbers (latencies in
 * nanoseconds or TSC cycles), with a stated bound on its error, mergeable
 * across lcores and processes.
 *
 * ## Buckets
 *
 * Values are counted in units of `unit`, the largest power of two not above
 * the `lowest` option. With `S = 2^subBucketBits` sub-buckets, the first
 * bucket covers `[0, S·unit)` in steps of `unit`; bucket `k ≥ 1` covers
 * `[S/2·2^k·unit, S·2^k·unit)` in steps of `2^k·unit`. So every value at or
 * above `S/2·unit` falls in a slot whose width is at most `1/(S/2)` of the
 * value. `significantDigits = d` picks the smallest `S ≥ 2·10^d`.
 *
 * ## Error
 *
 * A percentile is the value of the slot holding the sample of that rank
 * (nearest rank: the `⌈p/100·count⌉`-th smallest, as
 * {@linkcode exactPercentile}), clamped to `[min, max]`: the slot's midpoint,
 * or its lower bound for the one-unit slots of the first bucket. Its
 * distance to that exact sample `x` is:
 *
 * - at most `x/S` ({@linkcode Histogram.maxRelativeError}, at most
 *   `0.5·10^-d`) for `x ≥ S·unit`;
 * - below `S·unit`: none when `x` is a multiple of `unit` (integers, with the
 *   default unit 1: cycle or ns counts below S are exact), less than `unit`
 *   otherwise.
 *
 * `min`, `max`, `count` and `mean` are exact (kept beside the buckets);
 * `percentile(0)` is `min` and `percentile(100)` is `max`.
 *
 * ## Overflow
 *
 * Values at or above {@linkcode Histogram.highestTrackable} (the `highest`
 * option rounded up to the top of its bucket) are counted in `overflow`, and
 * still in `count`, `max` and `mean`. A percentile whose rank falls among
 * them is reported as `max`.
 *
 * ## Shared memory
 *
 * The whole state (a header, then one float64 count per slot) lives in one
 * `ArrayBuffer` region of {@linkcode Histogram.bytesNeeded} bytes, so a
 * histogram can sit in a memzone: one process (or lcore) records, another
 * reads or merges it. The header records the layout; a second process opens
 * it with {@linkcode Histogram.attach}. Exactly one writer per histogram
 * (give each lcore its own and {@linkcode Histogram.merge} them); a reader
 * running while the writer records may see a sample in `count` and not yet
 * in its bucket. Counts are exact up to 2^53.
 *
 * @example
 * ```ts
 * const h = new Histogram({ significantDigits: 3 });
 * for (const ns of [1200, 1250, 1300, 9000]) h.record(ns);
 * h.percentile(50); // ≈ 1250, within 0.05 %
 * h.toJSON(); // { count: 4, min: 1200, mean: 3187.5, p50: …, max: 9000, … }
 * ```
 *
 * @module
 */

/** Options of a {@linkcode Histogram}; defaults are in its constructor. */
export interface HistogramOptions {
  /**
   * Decimal digits kept (1 to 5): the slot width stays within `10^-d` of
   * the value. Ignored when `subBucketBits` is given.
   */
  significantDigits?: number;
  /** log2 of the sub-bucket count `S` (2 to 20), instead of `significantDigits`. */
  subBucketBits?: number;
  /**
   * The lowest discernible value: values are counted in units of the
   * largest power of two not above it (may be below 1, e.g. 1/16).
   */
  lowest?: number;
  /** The highest value to track; larger values count as overflow. */
  highest?: number;
}

/** A histogram slot, as yielded by {@linkcode Histogram.buckets}. */
export interface HistogramBucket {
  /** Lowest value of the slot (inclusive). */
  lower: number;
  /** Top of the slot (exclusive); for the overflow slot, `max`. */
  upper: number;
  /** Samples in the slot. */
  count: number;
  /** Samples in this slot and every lower one. */
  cumulative: number;
  /** Whether this is the overflow slot (values past the top bucket). */
  overflow: boolean;
}

/**
 * What {@linkcode Histogram.toJSON} returns. Every field is 0 for an empty
 * histogram.
 */
export interface HistogramSummary {
  /** Samples recorded (overflow included). */
  count: number;
  /** Smallest sample (exact). */
  min: number;
  /** Arithmetic mean (exact up to float rounding). */
  mean: number;
  /** Standard deviation (population). */
  stddev: number;
  /** Median. */
  p50: number;
  /** 90th percentile. */
  p90: number;
  /** 99th percentile. */
  p99: number;
  /** 99.9th percentile. */
  p99_9: number;
  /** Largest sample (exact). */
  max: number;
  /** Samples at or above `highestTrackable`. */
  overflow: number;
}

// Header layout (float64 slots) before the counts; the cross-process contract.
const MAGIC = 0x48445231; // "HDR1"
const H_MAGIC = 0;
const H_SUB_BITS = 1;
const H_UNIT_EXP = 2;
const H_BUCKETS = 3;
const H_COUNT = 4;
const H_OVERFLOW = 5;
const H_MIN = 6;
const H_MAX = 7;
const H_SUM = 8;
const H_SUM_SQ = 9;
const HEADER_SLOTS = 12; // 10, 11 reserved
const MAX_UNITS = 2 ** 53;

interface Layout {
  subBits: number;
  unitExp: number;
  buckets: number; // buckets k = 0 .. buckets-1
}

function layoutOf(
  significantDigits: number,
  subBucketBits: number | undefined,
  lowest: number,
  highest: number,
): Layout {
  let subBits = subBucketBits;
  if (subBits === undefined) {
    if (
      !Number.isInteger(significantDigits) || significantDigits < 1 ||
      significantDigits > 5
    ) {
      throw new RangeError(
        `significantDigits must be an integer from 1 to 5, not ${significantDigits}`,
      );
    }
    subBits = Math.ceil(Math.log2(2 * 10 ** significantDigits));
  }
  if (!Number.isInteger(subBits) || subBits < 2 || subBits > 20) {
    throw new RangeError(
      `subBucketBits must be an integer from 2 to 20, not ${subBits}`,
    );
  }
  if (!(lowest > 0 && Number.isFinite(lowest))) {
    throw new RangeError(`lowest must be a positive number, not ${lowest}`);
  }
  let unitExp = Math.floor(Math.log2(lowest));
  while (2 ** unitExp > lowest) unitExp--;
  while (2 ** (unitExp + 1) <= lowest) unitExp++;
  const unit = 2 ** unitExp;
  if (!(highest >= unit) || highest / unit >= MAX_UNITS) {
    throw new RangeError(
      `highest must be from lowest (${lowest}) to 2^53 units, not ${highest}`,
    );
  }
  // smallest k with S·2^k·unit > highest
  let k = 0;
  while (2 ** (subBits + k) * unit <= highest) k++;
  return { subBits, unitExp, buckets: k + 1 };
}

/** How the histogram header `h` differs from layout `l` ("" if it has none or the same). */
function layoutDiff(h: Float64Array, l: Layout): string {
  if (h[H_MAGIC] !== MAGIC) return "";
  return h[H_SUB_BITS] !== l.subBits
    ? `subBucketBits ${h[H_SUB_BITS]} vs ${l.subBits}`
    : h[H_UNIT_EXP] !== l.unitExp
    ? `unit 2^${h[H_UNIT_EXP]} vs 2^${l.unitExp}`
    : h[H_BUCKETS] !== l.buckets
    ? `${h[H_BUCKETS]} buckets vs ${l.buckets}`
    : "";
}

function slotsOf(l: Layout): number {
  return (l.buckets + 1) * 2 ** (l.subBits - 1);
}

/**
 * The exact nearest-rank percentile of samples sorted ascending: the
 * `⌈p/100·n⌉`-th smallest (at least the first); the rank a
 * {@linkcode Histogram} uses. 0 for no samples.
 *
 * @param sorted samples, ascending
 * @param p percentile, 0 to 100
 */
export function exactPercentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  return sorted[rankOf(p, n) - 1];
}

/** Nearest rank (1-based) of percentile `p` among `n`, robust to float noise. */
function rankOf(p: number, n: number): number {
  if (!(p >= 0 && p <= 100)) {
    throw new RangeError(`percentile must be from 0 to 100, not ${p}`);
  }
  const x = (p * n) / 100;
  return Math.min(n, Math.max(1, Math.ceil(x - x * 1e-12)));
}

/**
 * An HDR-style log-linear histogram (see the module documentation for its
 * buckets, error bound, overflow and shared-memory use).
 */
export class Histogram {
  /** log2 of the sub-bucket count. */
  readonly subBucketBits: number;
  /** The counting unit: values are counted in steps of at least this. */
  readonly unit: number;
  /**
   * The bound on a percentile's relative error, `1/S`, for values at or
   * above `S·unit` (below: exact for multiples of `unit`, else within `unit`).
   */
  readonly maxRelativeError: number;
  /** Values at or above this count as overflow. */
  readonly highestTrackable: number;
  /** Number of count slots. */
  readonly slots: number;
  /** The memory the histogram lives in. */
  readonly buffer: ArrayBufferLike;
  /** Its byte offset in `buffer`. */
  readonly byteOffset: number;

  #h: Float64Array;
  #c: Float64Array;
  #sub: number; // S
  #half: number; // S/2
  #invUnit: number;
  #limitUnits: number;
  #invPow2: Float64Array; // 2^-k
  #pow2: Float64Array; // 2^k

  /**
   * A histogram in its own memory, or in `buffer` from `byteOffset` (a
   * memzone's `buffer`, a `SharedArrayBuffer`...). In a given buffer, a
   * histogram already there with the same layout is kept (its counts too);
   * one with another layout is refused; anything else is overwritten with an
   * empty histogram (a fresh memzone is zero).
   *
   * @param options the layout: digits or sub-bucket bits, lowest, highest
   * @param buffer memory of at least {@linkcode Histogram.bytesNeeded} bytes from `byteOffset`
   * @param byteOffset where the histogram starts (a multiple of 8)
   * @throws RangeError for invalid options, a misaligned or short buffer, or
   *   a histogram of another layout already in the buffer
   */
  constructor(
    {
      significantDigits = 3,
      subBucketBits = undefined,
      lowest = 1,
      highest = 1e12,
    }: HistogramOptions = {},
    buffer?: ArrayBufferLike,
    byteOffset = 0,
  ) {
    const l = layoutOf(significantDigits, subBucketBits, lowest, highest);
    const slots = slotsOf(l);
    const bytes = (HEADER_SLOTS + slots) * 8;
    if (buffer === undefined) {
      buffer = new ArrayBuffer(bytes);
      byteOffset = 0;
    }
    if (byteOffset % 8 !== 0 || byteOffset < 0) {
      throw new RangeError(
        `byteOffset must be a non-negative multiple of 8, not ${byteOffset}`,
      );
    }
    const room = buffer.byteLength - byteOffset;
    // a histogram already there: its layout must be ours
    if (room >= HEADER_SLOTS * 8) {
      const diff = layoutDiff(
        new Float64Array(buffer, byteOffset, HEADER_SLOTS),
        l,
      );
      if (diff) {
        throw new RangeError(
          `the buffer holds a histogram of another layout (${diff})`,
        );
      }
    }
    if (room < bytes) {
      throw new RangeError(
        `histogram needs ${bytes} bytes from offset ${byteOffset}, buffer has ${room}`,
      );
    }
    const h = new Float64Array(buffer, byteOffset, HEADER_SLOTS);
    this.subBucketBits = l.subBits;
    this.unit = 2 ** l.unitExp;
    this.#sub = 2 ** l.subBits;
    this.#half = this.#sub / 2;
    this.maxRelativeError = 1 / this.#sub;
    this.#limitUnits = this.#sub * 2 ** (l.buckets - 1);
    this.highestTrackable = this.#limitUnits * this.unit;
    this.#invUnit = 1 / this.unit;
    this.slots = slots;
    this.buffer = buffer;
    this.byteOffset = byteOffset;
    this.#h = h;
    this.#c = new Float64Array(buffer, byteOffset + HEADER_SLOTS * 8, slots);
    this.#pow2 = new Float64Array(l.buckets);
    this.#invPow2 = new Float64Array(l.buckets);
    for (let k = 0; k < l.buckets; k++) {
      this.#pow2[k] = 2 ** k;
      this.#invPow2[k] = 2 ** -k;
    }
    if (h[H_MAGIC] !== MAGIC) {
      h[H_SUB_BITS] = l.subBits;
      h[H_UNIT_EXP] = l.unitExp;
      h[H_BUCKETS] = l.buckets;
      this.reset();
      h[H_MAGIC] = MAGIC;
    }
  }

  /**
   * Bytes a histogram with these options takes in a buffer (header and
   * counts), to size a memzone.
   */
  static bytesNeeded(
    {
      significantDigits = 3,
      subBucketBits = undefined,
      lowest = 1,
      highest = 1e12,
    }: HistogramOptions = {},
  ): number {
    const l = layoutOf(significantDigits, subBucketBits, lowest, highest);
    return (HEADER_SLOTS + slotsOf(l)) * 8;
  }

  /**
   * Opens the histogram that another process or lcore placed in `buffer` at
   * `byteOffset`, with the layout recorded in its header.
   *
   * @throws RangeError when no histogram header is there
   */
  static attach(buffer: ArrayBufferLike, byteOffset = 0): Histogram {
    if (
      byteOffset % 8 !== 0 || buffer.byteLength - byteOffset < 8 * HEADER_SLOTS
    ) {
      throw new RangeError(`no histogram at offset ${byteOffset}`);
    }
    const h = new Float64Array(buffer, byteOffset, HEADER_SLOTS);
    if (h[H_MAGIC] !== MAGIC) {
      throw new RangeError(`no histogram at offset ${byteOffset}`);
    }
    const subBits = h[H_SUB_BITS], unitExp = h[H_UNIT_EXP];
    const unit = 2 ** unitExp;
    const highest = 2 ** (subBits + h[H_BUCKETS] - 1) * unit - unit;
    return new Histogram(
      { subBucketBits: subBits, lowest: unit, highest },
      buffer,
      byteOffset,
    );
  }

  /**
   * Counts one sample. Allocation-free.
   *
   * @param v a finite number ≥ 0
   * @throws RangeError for a negative, NaN or infinite value
   */
  record(v: number): void {
    if (!(v >= 0 && v < Infinity)) throw badValue(v);
    const h = this.#h;
    h[H_COUNT]++;
    h[H_SUM] += v;
    h[H_SUM_SQ] += v * v;
    if (v < h[H_MIN]) h[H_MIN] = v;
    if (v > h[H_MAX]) h[H_MAX] = v;
    const i = this.#slotOf(v);
    if (i < 0) h[H_OVERFLOW]++;
    else this.#c[i]++;
  }

  /**
   * Counts `n` samples of value `v`. Allocation-free.
   *
   * @param v a finite number ≥ 0
   * @param n how many (a non-negative integer)
   */
  recordN(v: number, n: number): void {
    if (!(v >= 0 && v < Infinity)) throw badValue(v);
    if (n <= 0) {
      if (n === 0) return;
      throw new RangeError(`count must be a non-negative integer, not ${n}`);
    }
    const h = this.#h;
    h[H_COUNT] += n;
    h[H_SUM] += v * n;
    h[H_SUM_SQ] += v * v * n;
    if (v < h[H_MIN]) h[H_MIN] = v;
    if (v > h[H_MAX]) h[H_MAX] = v;
    const i = this.#slotOf(v);
    if (i < 0) h[H_OVERFLOW] += n;
    else this.#c[i] += n;
  }

  /** The slot of `v`, or -1 past the top bucket. */
  #slotOf(v: number): number {
    const u = Math.floor(v * this.#invUnit);
    if (u < this.#sub) return u;
    if (u >= this.#limitUnits) return -1;
    // e = floor(log2(u)), exact for integers below 2^53
    const e = u < 4294967296
      ? 31 - Math.clz32(u)
      : 63 - Math.clz32(u / 4294967296);
    const k = e - this.subBucketBits + 1;
    return k * this.#half + Math.floor(u * this.#invPow2[k]);
  }

  /** Lowest value of slot `i`. */
  #lowerOf(i: number): number {
    if (i < this.#sub) return i * this.unit;
    const k = Math.floor(i / this.#half) - 1;
    return (i - k * this.#half) * this.#pow2[k] * this.unit;
  }

  /**
   * The value reported for slot `i`: its lower bound for a slot one unit
   * wide (exact for multiples of the unit), else its midpoint.
   */
  #valueOf(i: number): number {
    return i < this.#sub
      ? i * this.unit
      : this.#lowerOf(i) + this.#widthOf(i) / 2;
  }

  /** Width of slot `i`. */
  #widthOf(i: number): number {
    return i < this.#sub
      ? this.unit
      : this.#pow2[Math.floor(i / this.#half) - 1] * this.unit;
  }

  /** Samples recorded (overflow included). */
  get count(): number {
    return this.#h[H_COUNT];
  }

  /** Samples at or above {@linkcode Histogram.highestTrackable}. */
  get overflow(): number {
    return this.#h[H_OVERFLOW];
  }

  /** Smallest sample, exact; 0 when empty. */
  get min(): number {
    return this.#h[H_COUNT] > 0 ? this.#h[H_MIN] : 0;
  }

  /** Largest sample, exact (overflow included); 0 when empty. */
  get max(): number {
    return this.#h[H_COUNT] > 0 ? this.#h[H_MAX] : 0;
  }

  /** Sum of the samples. */
  get sum(): number {
    return this.#h[H_SUM];
  }

  /** Mean of the samples; 0 when empty. */
  get mean(): number {
    const n = this.#h[H_COUNT];
    return n > 0 ? this.#h[H_SUM] / n : 0;
  }

  /** Population standard deviation of the samples; 0 when empty. */
  get stddev(): number {
    const n = this.#h[H_COUNT];
    if (n === 0) return 0;
    const m = this.#h[H_SUM] / n;
    return Math.sqrt(Math.max(0, this.#h[H_SUM_SQ] / n - m * m));
  }

  /**
   * The value at percentile `p` (0 to 100), within the stated error of the
   * exact nearest-rank sample; 0 when empty.
   */
  percentile(p: number): number {
    return this.percentiles([p])[0];
  }

  /** Several percentiles in one pass over the buckets, in the given order. */
  percentiles(ps: readonly number[]): number[] {
    const n = this.#h[H_COUNT];
    const out = new Array<number>(ps.length).fill(0);
    if (n === 0) {
      for (const p of ps) rankOf(p, 1); // validates
      return out;
    }
    const min = this.#h[H_MIN], max = this.#h[H_MAX];
    const order = ps.map((p, j) => ({ j, rank: rankOf(p, n), p }))
      .sort((a, b) => a.rank - b.rank);
    let q = 0, cum = 0;
    const c = this.#c;
    for (let i = 0; i < this.slots && q < order.length; i++) {
      if (c[i] === 0) continue;
      cum += c[i];
      while (q < order.length && order[q].rank <= cum) {
        const { j, p } = order[q++];
        const v = this.#valueOf(i);
        out[j] = p <= 0
          ? min
          : p >= 100
          ? max
          : Math.min(max, Math.max(min, v));
      }
    }
    for (; q < order.length; q++) { // ranks among the overflow
      out[order[q].j] = order[q].p <= 0 ? min : max;
    }
    return out;
  }

  /**
   * Adds `other`'s samples. With the same sub-bucket bits and unit, slot by
   * slot (slots past this histogram's top count as overflow), so the result
   * equals the histogram of the union; with another layout, each of
   * `other`'s slots is counted at its value (adding at most `other`'s
   * error), and its overflow stays overflow. `count`, `min`, `max`, `mean`
   * stay exact either way.
   */
  merge(other: Histogram): this {
    const h = this.#h, o = other.#h;
    if (o[H_COUNT] === 0) return this;
    const oc = other.#c;
    if (
      other.subBucketBits === this.subBucketBits && other.unit === this.unit
    ) {
      const c = this.#c, n = Math.min(this.slots, other.slots);
      for (let i = 0; i < n; i++) c[i] += oc[i];
      for (let i = n; i < other.slots; i++) h[H_OVERFLOW] += oc[i];
    } else {
      for (let i = 0; i < other.slots; i++) {
        if (oc[i] === 0) continue;
        const j = this.#slotOf(other.#valueOf(i));
        if (j < 0) h[H_OVERFLOW] += oc[i];
        else this.#c[j] += oc[i];
      }
    }
    h[H_OVERFLOW] += o[H_OVERFLOW]; // their values are unknown: overflow here too
    h[H_COUNT] += o[H_COUNT];
    h[H_SUM] += o[H_SUM];
    h[H_SUM_SQ] += o[H_SUM_SQ];
    if (o[H_MIN] < h[H_MIN]) h[H_MIN] = o[H_MIN];
    if (o[H_MAX] > h[H_MAX]) h[H_MAX] = o[H_MAX];
    return this;
  }

  /** Empties the histogram (its layout stays). */
  reset(): void {
    const h = this.#h;
    h[H_COUNT] = 0;
    h[H_OVERFLOW] = 0;
    h[H_MIN] = Infinity;
    h[H_MAX] = -Infinity;
    h[H_SUM] = 0;
    h[H_SUM_SQ] = 0;
    this.#c.fill(0);
  }

  /**
   * The slots in ascending order, with running totals: the non-empty ones
   * (or all of them with `all`), then the overflow slot when it has samples.
   * For plotting a histogram or a CDF.
   */
  *buckets(all = false): Generator<HistogramBucket> {
    const c = this.#c;
    let cum = 0;
    for (let i = 0; i < this.slots; i++) {
      if (c[i] === 0 && !all) continue;
      cum += c[i];
      const lower = this.#lowerOf(i);
      yield {
        lower,
        upper: lower + this.#widthOf(i),
        count: c[i],
        cumulative: cum,
        overflow: false,
      };
    }
    const ov = this.#h[H_OVERFLOW];
    if (ov > 0) {
      yield {
        lower: this.highestTrackable,
        upper: this.max,
        count: ov,
        cumulative: cum + ov,
        overflow: true,
      };
    }
  }

  /**
   * The cumulative distribution: for each non-empty slot, its top (clamped
   * to `max`) and the fraction of samples at or below it; the first point is
   * `(min, 0)`. Empty for no samples.
   */
  cdf(): { value: number; fraction: number }[] {
    const n = this.count;
    if (n === 0) return [];
    const out = [{ value: this.min, fraction: 0 }];
    for (const b of this.buckets()) {
      out.push({
        value: Math.min(this.max, Math.max(this.min, b.upper)),
        fraction: b.cumulative / n,
      });
    }
    return out;
  }

  /** The summary: count, min, mean, stddev, p50, p90, p99, p99.9, max, overflow. */
  toJSON(): HistogramSummary {
    const [p50, p90, p99, p99_9] = this.percentiles([50, 90, 99, 99.9]);
    return {
      count: this.count,
      min: this.min,
      mean: this.mean,
      stddev: this.stddev,
      p50,
      p90,
      p99,
      p99_9,
      max: this.max,
      overflow: this.overflow,
    };
  }
}

function badValue(v: number): RangeError {
  return new RangeError(`histogram value must be finite and >= 0, not ${v}`);
}
