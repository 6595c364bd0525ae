/**
 * The reflector side of `latency.ts`, and what both sides share.
 *
 * `latency.ts` starts itself again as a secondary process (its own lcore
 * ID, `--proc-type=secondary`); that process runs {@linkcode runReflector}:
 * it attaches to the primary's group, looks up the rings, the pool and the
 * shared memzone by name, and runs {@linkcode reflect} on its lcore. The
 * lcore dequeues the primary's packets, records each one's one-way latency
 * (its arrival TSC minus the TSC written in its payload: one clock for every
 * CPU of a host) in a histogram that lives in the memzone, and sends the
 * packets back unchanged. It ends on SIGTERM (the primary's stop), or when
 * the primary is gone; SIGINT alone does not end it while the primary runs
 * (Ctrl-C reaches both: the primary first drains what is in flight, then
 * stops it).
 *
 * The shared memzone: {@linkcode COUNTER_NAMES} 64-bit counters (each with
 * one writer), the start flag, then the round-trip histogram (written by
 * the primary's lcore), then the one-way histogram (written by the
 * reflector), both laid out by {@linkcode HISTOGRAM}.
 *
 * @module
 */

import {
  attachSecondary,
  cleanupEal,
  defineLcore,
  describeError,
  EXIT_FAILED,
  EXIT_OK,
  Histogram,
  type HistogramOptions,
  launchLcores,
  type LcoreContext,
  type LcoreMain,
  MbufBurst,
  Memzone,
  PacketTemplate,
  PktmbufPool,
  primaryAlive,
  Ring,
  tscCycles,
  tscHz,
  udpFrame,
} from "../mod.ts";

/** Names of the objects the primary makes and the reflector looks up. */
export const NAMES = {
  toReflector: "lat_to_refl",
  fromReflector: "lat_from_refl",
  pool: "lat_pool",
  shared: "lat_shared",
} as const;

/** The shared counters, in memzone order, with their one writer. */
export const COUNTER_NAMES = [
  "sent", // primary lcore
  "received", // primary lcore
  "reflected", // reflector lcore
  "clockSkew", // reflector lcore: arrivals stamped before their departure
] as const;

/** Index of each shared counter. */
export const COUNTER: { [K in typeof COUNTER_NAMES[number]]: number } = {
  sent: 0,
  received: 1,
  reflected: 2,
  clockSkew: 3,
};

/**
 * Layout of both latency histograms, in nanoseconds: 3 significant digits
 * (error at most 1/2048 of the value), up to 10 s.
 */
export const HISTOGRAM: HistogramOptions = {
  significantDigits: 3,
  lowest: 1,
  highest: 1e10,
};

/**
 * Byte offset of the start flag in the memzone (an i32): the primary's
 * main thread sets it to 1 when its stats start; the sender waits for it.
 */
export const GO_AT: number = COUNTER_NAMES.length * 8;
/** Byte offset of the round-trip histogram in the memzone. */
export const RTT_AT: number = GO_AT + 8;
/** Byte offset of the one-way histogram in the memzone. */
export const ONE_WAY_AT: number = RTT_AT + Histogram.bytesNeeded(HISTOGRAM);
/** Size of the shared memzone. */
export const SHARED_BYTES: number = ONE_WAY_AT +
  Histogram.bytesNeeded(HISTOGRAM);

/** Bytes of the UDP payload the experiment uses: sequence, pad, TSC. */
export const STAMP_BYTES = 16;
/** Offset of the u32 sequence number in the UDP payload (little-endian). */
export const SEQ_AT = 0;
/** Offset of the u64 departure TSC in the UDP payload (little-endian). */
export const TSC_AT = 8;

/** Most packets moved per ring operation. */
export const BURST = 32;

/**
 * The frame both sides agree on: UDP/IPv4 from 10.0.0.1:10000 to
 * 10.0.0.2:7, `size` bytes without FCS; the stamps go at the start of its
 * UDP payload ({@linkcode STAMPS_AT}).
 *
 * @throws RangeError when `size` leaves no room for the stamps
 */
export function latencyFrame(size: number): PacketTemplate {
  const headers = 14 + 20 + 8; // Ethernet, IPv4 without options, UDP
  if (!(Number.isInteger(size) && size >= headers + STAMP_BYTES)) {
    throw new RangeError(
      `a frame needs ${headers + STAMP_BYTES} bytes or more, not ${size}`,
    );
  }
  return new PacketTemplate(udpFrame({
    ipSrc: "10.0.0.1",
    ipDst: "10.0.0.2",
    sport: 10000,
    dport: 7, // echo
    payloadLength: size - headers,
  }));
}

/** Offset of the UDP payload in every {@linkcode latencyFrame}. */
export const STAMPS_AT: number = latencyFrame(60).layers.l4Offset + 8;

/** What the reflecting lcore gets. */
export interface ReflectData {
  /** Packets from the primary. */
  inbound: Ring;
  /** Packets back to the primary. */
  outbound: Ring;
  /** Their pool (for the zero-copy view of the frames). */
  pool: PktmbufPool;
  /** The shared memzone (counters and histograms). */
  shared: Memzone;
}

/** The reflecting lcore: one-way latency of each packet, then back it goes. */
const reflect: LcoreMain<ReflectData, { lcore: number }> = defineLcore((
  ctx: LcoreContext<ReflectData>,
) => {
  const { inbound, outbound, pool, shared } = ctx.data;
  const nsPerCycle = 1e9 / tscHz();
  const oneWay = Histogram.attach(shared.buffer, ONE_WAY_AT);
  const counters = shared.counters(0, COUNTER_NAMES.length);
  const burst = new MbufBurst(pool, BURST);
  const dv = burst.view.data, off = burst.off;
  const tscAt = STAMPS_AT + TSC_AT;
  while (ctx.running()) {
    const n = burst.dequeue(inbound);
    if (n === 0) continue;
    const now = tscCycles();
    burst.locate(n);
    let skew = 0;
    for (let i = 0; i < n; i++) {
      const o = off[i] + tscAt;
      const sent = dv.getUint32(o, true) +
        dv.getUint32(o + 4, true) * 4294967296;
      const d = (now - sent) * nsPerCycle;
      if (d >= 0) oneWay.record(d);
      else {
        oneWay.record(0);
        skew++;
      }
    }
    const went = burst.enqueue(outbound, n);
    if (went < n) burst.free(went, n); // never with the primary's ring size
    counters.add(COUNTER.reflected, went);
    if (skew > 0) counters.add(COUNTER.clockSkew, skew);
  }
  return { lcore: ctx.lcoreId };
});
export default reflect;

/**
 * The reflector process: attaches to the group named by `argv` (EAL
 * arguments with `--proc-type=secondary` and its own lcore ID), reflects
 * until stopped, prints one JSON line and returns the exit status.
 */
export async function runReflector(argv: readonly string[]): Promise<number> {
  const name = "latency reflector";
  let stopNow = () => {};
  const stopped = new Promise<string>((resolve) => {
    stopNow = () => resolve("stopped");
  });
  // SIGTERM: the primary's stop. SIGINT (Ctrl-C reaches the whole
  // terminal group): only once the primary is gone, which drains first.
  const onTerm = () => stopNow();
  const onInt = () => {
    if (!primaryAlive()) stopNow();
  };
  Deno.addSignalListener("SIGTERM", onTerm);
  Deno.addSignalListener("SIGINT", onInt);
  let watch: ReturnType<typeof setInterval> | undefined;
  try {
    const eal = await attachSecondary(argv, { progName: "latency" });
    const data: ReflectData = {
      inbound: Ring.lookup(NAMES.toReflector),
      outbound: Ring.lookup(NAMES.fromReflector),
      pool: PktmbufPool.lookup(NAMES.pool),
      shared: Memzone.lookup(NAMES.shared),
    };
    const group = launchLcores<typeof reflect>(new URL(import.meta.url), {
      lcores: [eal.mainLcore],
      data,
    });
    await group.started;
    watch = setInterval(() => {
      if (!primaryAlive()) stopNow();
    }, 200);
    console.log(`${name}: pid ${Deno.pid}, lcore ${eal.mainLcore}, ready`);
    // a worker that fails ends the wait too (join rejects)
    await Promise.race([stopped, group.join()]);
    await group.stopAndJoin();
    const counters = data.shared.counters(0, COUNTER_NAMES.length);
    console.log(JSON.stringify({
      reflector: Deno.pid,
      lcore: eal.mainLcore,
      reflected: counters.get(COUNTER.reflected),
      clockSkew: counters.get(COUNTER.clockSkew),
    }));
    return EXIT_OK;
  } catch (e) {
    console.error(describeError(name, e));
    return EXIT_FAILED;
  } finally {
    clearInterval(watch);
    Deno.removeSignalListener("SIGTERM", onTerm);
    Deno.removeSignalListener("SIGINT", onInt);
    try {
      cleanupEal(); // a secondary: the group's files stay the primary's
    } catch {
      // EAL never started (attach refused)
    }
  }
}
