/**
 * The forwarding loop of symmetric_mp (`lcore_main` of the C original),
 * run on one lcore by `launchLcores`: poll RX queue `proc-id` of each of
 * this lcore's ports and send what arrives on the same queue of the paired
 * port (0 <-> 1, 2 <-> 3, ...), freeing what the TX queue refuses.
 *
 * Each call is one FFI crossing for several passes over the lcore's paths
 * (`MbufBurst.forwardPaths`: RX burst, TX burst, free the rest, counts),
 * as the packets are not looked at. The queues come
 * checked from the main thread. Counts go to a SharedArrayBuffer the main
 * thread reads after the lcores have stopped: RX on the input port, TX and
 * Drop on the output port, as in C. Nothing is allocated per burst.
 *
 * @module
 */

import {
  defineLcore,
  ForwardPaths,
  type LcoreContext,
  type LcoreMain,
  MbufBurst,
  type PktmbufPool,
  type RxQueue,
  type TxQueue,
} from "../mod.ts";

/** Packets per burst (the C sample's `PKT_BURST`). */
export const PKT_BURST = 32;

/** Float64 slots per port in the stats buffer: one cache line per port. */
export const STATS_STRIDE = 8;
/** Slot of the RX count of a port. */
export const STAT_RX = 0;
/** Slot of the TX count of a port. */
export const STAT_TX = 1;
/** Slot of the Drop count of a port. */
export const STAT_DROP = 2;

/** One forwarding path: what arrives on `rx` leaves on `tx`. */
export interface SmpPath {
  /** RX queue `proc-id` of a port. */
  rx: RxQueue;
  /** TX queue `proc-id` of its paired port. */
  tx: TxQueue;
}

/** What each lcore is given. */
export interface SmpLcoreData {
  /** This lcore's paths, one per port (both directions of each pair). */
  paths: SmpPath[];
  /** The mbuf pool (the RX queues' pool). */
  pool: PktmbufPool;
  /** Per-port counts (Float64, `STATS_STRIDE` per port, by port ID). */
  stats: SharedArrayBuffer;
  /** Loop counts (Int32 per lcore, by launch index): a stuck loop shows. */
  progress: SharedArrayBuffer;
}

/**
 * Passes over this lcore's paths per FFI crossing (`forwardPaths`): the
 * loop body runs in C, as C's `lcore_main` does; `running()` and the loop
 * count are checked between calls (a call takes a few microseconds).
 */
const ROUNDS = 8;

/** The lcore's main function: forwards until the group is stopped. */
const lcoreMain: LcoreMain<SmpLcoreData, void> = defineLcore((
  ctx: LcoreContext<SmpLcoreData>,
): void => {
  const { paths, pool } = ctx.data;
  const stats = new Float64Array(ctx.data.stats);
  const n = paths.length;
  const fwd = new ForwardPaths(paths);
  const srcStats = paths.map((p) => p.rx.port * STATS_STRIDE);
  const dstStats = paths.map((p) => p.tx.port * STATS_STRIDE);
  const burst = new MbufBurst(pool, PKT_BURST);
  const progress = new Int32Array(ctx.data.progress);
  const me = ctx.index;

  while (ctx.running()) {
    progress[me]++;
    if (burst.forwardPaths(fwd, ROUNDS) === 0) continue;
    // this lcore alone forwards these ports: the totals are the counts
    for (let p = 0; p < n; p++) {
      stats[srcStats[p] + STAT_RX] = fwd.received(p);
      stats[dstStats[p] + STAT_TX] = fwd.sent(p);
      stats[dstStats[p] + STAT_DROP] = fwd.received(p) - fwd.sent(p);
    }
  }
});
export default lcoreMain;
