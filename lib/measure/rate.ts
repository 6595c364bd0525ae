/**
 * Rate control for packet generators: when each packet is due, in clock
 * cycles (the TSC in the library), for a constant packet rate, a constant
 * bit rate, or Poisson departures (exponential gaps from a seeded PRNG), and
 * a report of the rate and jitter achieved.
 *
 * The schedule is pure: it reads no clock unless given one. Pass the time in
 * (`dueNow(now)`, `advance(n, now)`), or give `clock` once, e.g.
 * `{ hz: tscHz(), clock: tscCycles }` from the library's EAL module.
 *
 * Bit rates count what a frame occupies on the wire: {@linkcode wireBits}
 * of a `frameBytes`-byte frame (as DPDK counts it, `pkt_len`, without the
 * FCS) is `(frameBytes + 4 B FCS + 20 B preamble, SFD and inter-frame gap)
 * · 8`; 10 Gbit/s of 60-byte frames is 14.88 Mpps.
 *
 * A sender that falls behind (a full TX queue, a slow loop) catches up
 * burst by burst: packets keep their scheduled times, and the report's
 * lateness shows how late they went.
 *
 * @example Per burst, with the TSC
 * ```ts
 * import { tscCycles, tscHz } from "../eal.ts";
 * declare function running(): boolean;
 * declare function send(n: number): number; // e.g. burst.send(txq, n)
 *
 * const sched = new RateSchedule({ pps: 1e6, hz: tscHz(), clock: tscCycles, burst: 32 });
 * while (running()) {
 *   const n = sched.dueNow(); // 0..32 packets due by now
 *   if (n > 0) sched.advance(send(n)); // what the port took
 * }
 * console.log(sched.report()); // { requestedPps: 1000000, achievedPps: 999987.5, ... }
 * ```
 *
 * @module
 */

/** Bytes of the Ethernet frame check sequence (CRC), not in DPDK's `pkt_len`. */
export const ETHER_FCS_BYTES = 4;

/**
 * Bytes a frame costs on the wire beyond itself and its FCS: 7 B preamble,
 * 1 B start-of-frame delimiter, 12 B minimum inter-frame gap.
 */
export const ETHER_WIRE_OVERHEAD_BYTES = 20;

/**
 * Bits one frame occupies on the wire: `(frameBytes + ETHER_FCS_BYTES +
 * ETHER_WIRE_OVERHEAD_BYTES) · 8`.
 *
 * @param frameBytes the frame without FCS (DPDK's `pkt_len`), e.g. 60
 */
export function wireBits(frameBytes: number): number {
  return (frameBytes + ETHER_FCS_BYTES + ETHER_WIRE_OVERHEAD_BYTES) * 8;
}

/**
 * A small, fast, seeded pseudo-random generator: xoshiro128** (Blackman and
 * Vigna) in 32-bit integer arithmetic, its state seeded through splitmix32.
 * No BigInt, nothing allocated per draw. Not for cryptography.
 */
export class SeededRng {
  #a = 0;
  #b = 0;
  #c = 0;
  #d = 0;

  /** A generator whose sequence depends only on `seed` (any number). */
  constructor(seed = 1) {
    let s = seed | 0;
    const mix = () => { // splitmix32
      s = (s + 0x9e3779b9) | 0;
      let t = s ^ (s >>> 16);
      t = Math.imul(t, 0x21f0aaad);
      t ^= t >>> 15;
      t = Math.imul(t, 0x735a2d97);
      return t ^ (t >>> 15);
    };
    this.#a = mix();
    this.#b = mix();
    this.#c = mix();
    this.#d = mix();
  }

  /** The next 32 random bits, as an unsigned integer. */
  nextU32(): number {
    const b = this.#b;
    const r = Math.imul(rotl(Math.imul(b, 5), 7), 9);
    const t = b << 9;
    this.#c ^= this.#a;
    this.#d ^= b;
    this.#b ^= this.#c;
    this.#a ^= this.#d;
    this.#c ^= t;
    this.#d = rotl(this.#d, 11);
    return r >>> 0;
  }

  /** A uniform float in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextU32() >>> 5, lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** An exponentially distributed number with the given mean. */
  exponential(mean = 1): number {
    return -Math.log(1 - this.next()) * mean;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Options of a {@linkcode RateSchedule}; give `pps` or `bitsPerSecond`. */
export interface RateScheduleOptions {
  /** Clock ticks per second (`tscHz()` for the TSC). */
  hz: number;
  /** Packets per second (mean rate for Poisson). */
  pps?: number;
  /** Wire bits per second instead of `pps`, for frames of `frameBytes`. */
  bitsPerSecond?: number;
  /** Frame size without FCS, for bit rates and the report (default 60). */
  frameBytes?: number;
  /** Exponential gaps (Poisson departures) instead of constant ones. */
  poisson?: boolean;
  /** Seed of the PRNG for Poisson gaps (default 1). */
  seed?: number;
  /** The most packets {@linkcode RateSchedule.dueNow} returns at once (default 32). */
  burst?: number;
  /** The clock, for calls that omit `now` (e.g. `tscCycles`). */
  clock?: () => number;
  /** When the first packet is due; default: the first `dueNow`/`advance` time. */
  start?: number;
}

/** What {@linkcode RateSchedule.report} returns. */
export interface RateReport {
  /** The requested packet rate. */
  requestedPps: number;
  /** Packets sent per second from the start to the report's time. */
  achievedPps: number;
  /** `(achieved − requested) / requested`, in percent. */
  errorPct: number;
  /** The requested wire bit rate (`requestedPps · wireBits(frameBytes)`). */
  requestedBps: number;
  /** The achieved wire bit rate. */
  achievedBps: number;
  /** Frame size used for the bit rates. */
  frameBytes: number;
  /** Whether the gaps are exponential. */
  poisson: boolean;
  /** Packets sent (advanced). */
  packets: number;
  /** Seconds from the start to the report's time. */
  seconds: number;
  /** Mean gap between sent packets, ns (from the times given to `advance`). */
  gapMeanNs: number;
  /** Standard deviation of those gaps, ns (packets of one burst: gap 0). */
  gapStddevNs: number;
  /** Mean of (time sent − time due), ns: how late packets went. */
  lateMeanNs: number;
  /** Standard deviation of the lateness, ns: the jitter against the schedule. */
  lateStddevNs: number;
  /** Largest lateness, ns. */
  lateMaxNs: number;
}

/**
 * The send times of a packet stream, in clock cycles: which packets are due
 * now ({@linkcode RateSchedule.dueNow}, at most a burst), then which went
 * ({@linkcode RateSchedule.advance}). Nothing is allocated per call.
 */
export class RateSchedule {
  /** Clock ticks per second. */
  readonly hz: number;
  /** The requested (mean) packet rate. */
  readonly pps: number;
  /** The (mean) gap between packets, in clock ticks. */
  readonly gap: number;
  /** Frame size (without FCS) for bit rates. */
  readonly frameBytes: number;
  /** Whether gaps are exponential. */
  readonly poisson: boolean;
  /** The most packets due at once. */
  readonly burst: number;

  #clock: (() => number) | undefined;
  #rng: SeededRng;
  #start = NaN;
  #times: Float64Array; // Poisson: due times of packets sent .. sent+burst-1, a ring
  #head = 0;
  #last = 0; // due time of the newest packet in the ring
  #sent = 0;
  // measured
  #timed = 0;
  #firstAt = NaN;
  #prevAt = NaN;
  #gapSq = 0;
  #lateSum = 0;
  #lateSq = 0;
  #lateMax = -Infinity;

  /**
   * A schedule at `pps` (or `bitsPerSecond` of `frameBytes` frames).
   *
   * @throws RangeError without exactly one positive rate, or with a bad hz or burst
   */
  constructor(
    {
      hz,
      pps = undefined,
      bitsPerSecond = undefined,
      frameBytes = 60,
      poisson = false,
      seed = 1,
      burst = 32,
      clock = undefined,
      start = undefined,
    }: RateScheduleOptions,
  ) {
    if (!(hz > 0 && hz < Infinity)) {
      throw new RangeError(`hz must be positive, not ${hz}`);
    }
    if ((pps === undefined) === (bitsPerSecond === undefined)) {
      throw new RangeError("give one of pps and bitsPerSecond");
    }
    const rate = pps ?? bitsPerSecond! / wireBits(frameBytes);
    if (!(rate > 0 && rate < Infinity)) {
      throw new RangeError(
        `the rate must be positive, not ${pps ?? bitsPerSecond}`,
      );
    }
    if (!Number.isInteger(burst) || burst < 1) {
      throw new RangeError(`burst must be a positive integer, not ${burst}`);
    }
    this.hz = hz;
    this.pps = rate;
    this.gap = hz / rate;
    this.frameBytes = frameBytes;
    this.poisson = poisson;
    this.burst = burst;
    this.#clock = clock;
    this.#rng = new SeededRng(seed);
    this.#times = new Float64Array(burst);
    if (start !== undefined) this.#begin(start);
  }

  #begin(start: number): void {
    if (!(start > -Infinity && start < Infinity)) {
      throw new RangeError(
        "the schedule has no start: give start, a clock, or now",
      );
    }
    this.#start = start;
    if (!this.poisson) return; // due times by formula, no ring
    for (let i = 0; i < this.burst; i++) {
      this.#last = this.#times[i] = this.#timeOf(i);
    }
  }

  /** Due time of Poisson packet `seq`, given that of `seq - 1` in `#last`. */
  #timeOf(seq: number): number {
    return seq === 0
      ? this.#start
      : this.#last + this.#rng.exponential(this.gap);
  }

  #now(): number {
    return this.#clock === undefined ? NaN : this.#clock();
  }

  /** When the first packet was due (NaN before the schedule starts). */
  get start(): number {
    return this.#start;
  }

  /** Packets advanced so far. */
  get sent(): number {
    return this.#sent;
  }

  /** When the next packet is due (NaN before the schedule starts). */
  get nextAt(): number {
    if (Number.isNaN(this.#start)) return NaN;
    return this.poisson
      ? this.#times[this.#head]
      : this.#start + this.#sent * this.gap;
  }

  /**
   * How many packets are due at `now`, at most a burst. Starts the
   * schedule at `now` on the first call (without a `start` option).
   *
   * @param now the time in clock ticks; default: the clock's
   */
  dueNow(now: number = this.#now()): number {
    if (Number.isNaN(this.#start)) this.#begin(now);
    if (Number.isNaN(now)) throw new RangeError("dueNow needs now or a clock");
    const b = this.burst;
    if (!this.poisson) { // the last due seq k: start + k·gap <= now
      const s = this.#start, g = this.gap;
      let k = Math.floor((now - s) / g);
      if (s + (k + 1) * g <= now) k++;
      else if (s + k * g > now) k--;
      const n = k + 1 - this.#sent;
      return n <= 0 ? 0 : n < b ? n : b;
    }
    const t = this.#times;
    let n = 0, i = this.#head;
    while (n < b && t[i] <= now) {
      n++;
      if (++i === b) i = 0;
    }
    return n;
  }

  /**
   * Spins on the clock until a packet is due and returns how many are (at
   * most a burst). Needs the `clock` option.
   */
  waitDue(): number {
    if (this.#clock === undefined) {
      throw new RangeError("waitDue needs a clock");
    }
    let n;
    while ((n = this.dueNow(this.#clock())) === 0) { /* spin */ }
    return n;
  }

  /**
   * Marks the next `n` packets as sent at `now` (measured for the report's
   * gaps and lateness; without a time, only the schedule moves).
   *
   * @param n packets sent (may be fewer or more than were due)
   * @param now the time they went; default: the clock's (NaN without one)
   */
  advance(n: number, now: number = this.#now()): void {
    if (n <= 0) return;
    if (Number.isNaN(this.#start)) this.#begin(now);
    const timed = !Number.isNaN(now);
    if (timed) {
      if (this.#timed === 0) this.#firstAt = now;
      else this.#gapSq += (now - this.#prevAt) * (now - this.#prevAt);
      this.#prevAt = now;
      this.#timed += n;
    }
    if (!this.poisson) { // lateness now − (start + (sent + j)·gap), j < n, summed
      if (timed) {
        const g = this.gap, a = now - (this.#start + this.#sent * g);
        const sj = n * (n - 1) / 2, sj2 = (n - 1) * n * (2 * n - 1) / 6;
        this.#lateSum += n * a - g * sj;
        this.#lateSq += n * a * a - 2 * a * g * sj + g * g * sj2;
        if (a > this.#lateMax) this.#lateMax = a;
      }
      this.#sent += n;
      return;
    }
    const t = this.#times, b = this.burst;
    for (let j = 0; j < n; j++) {
      const h = this.#head;
      if (timed) {
        const late = now - t[h];
        this.#lateSum += late;
        this.#lateSq += late * late;
        if (late > this.#lateMax) this.#lateMax = late;
      }
      this.#last = t[h] = this.#timeOf(this.#sent + b);
      this.#head = h + 1 === b ? 0 : h + 1;
      this.#sent++;
    }
  }

  /**
   * The requested and achieved rates, gaps and lateness up to `now`.
   *
   * @param now the report's time; default: the clock's, else the last send time
   */
  report(now: number = this.#now()): RateReport {
    if (Number.isNaN(now)) now = this.#prevAt;
    const ns = 1e9 / this.hz;
    const elapsed = now - this.#start;
    const seconds = elapsed > 0 ? elapsed / this.hz : 0;
    const achievedPps = seconds > 0 ? this.#sent / seconds : 0;
    const m = this.#timed;
    const gapMean = m > 1 ? (this.#prevAt - this.#firstAt) / (m - 1) : 0;
    const gapVar = m > 1 ? this.#gapSq / (m - 1) - gapMean * gapMean : 0;
    const lateMean = m > 0 ? this.#lateSum / m : 0;
    const lateVar = m > 0 ? this.#lateSq / m - lateMean * lateMean : 0;
    const bits = wireBits(this.frameBytes);
    return {
      requestedPps: this.pps,
      achievedPps,
      errorPct: (achievedPps - this.pps) / this.pps * 100,
      requestedBps: this.pps * bits,
      achievedBps: achievedPps * bits,
      frameBytes: this.frameBytes,
      poisson: this.poisson,
      packets: this.#sent,
      seconds,
      gapMeanNs: gapMean * ns,
      gapStddevNs: Math.sqrt(Math.max(0, gapVar)) * ns,
      lateMeanNs: lateMean * ns,
      lateStddevNs: Math.sqrt(Math.max(0, lateVar)) * ns,
      lateMaxNs: m > 0 ? this.#lateMax * ns : 0,
    };
  }
}
