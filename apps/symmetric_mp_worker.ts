/**
 * The forwarding loop of symmetric_mp (`lcore_main` of the C original),
 * run on one lcore by `launchLcores`: poll RX queue `queue` of each of
 * this lcore's ports and send what arrives on the same queue of the paired
 * port (0 <-> 1, 2 <-> 3, ...), freeing what the TX queue refuses.
 *
 * Counts go to a SharedArrayBuffer the main thread reads after the lcores
 * have stopped: RX on the input port, TX and Drop on the output port, as
 * in C. Nothing is allocated per burst.
 *
 * @module
 */

import { type LcoreContext, Port, ptrArray } from "../mod.ts";

/** Packets per burst (`PKT_BURST`). */
export const PKT_BURST = 32;

/** Float64 slots per port in the stats buffer: one cache line per port. */
export const STATS_STRIDE = 8;
/** Slot of the RX count of a port. */
export const STAT_RX = 0;
/** Slot of the TX count of a port. */
export const STAT_TX = 1;
/** Slot of the Drop count of a port. */
export const STAT_DROP = 2;

/** What each lcore is given. */
export interface SmpLcoreData {
  /** This lcore's ports, in pairs: ports[i] forwards to ports[i ^ 1]. */
  ports: number[];
  /** The queue to use on every port: the process's proc-id. */
  queue: number;
  /** Per-port counts (Float64, `STATS_STRIDE` per port, by port ID). */
  stats: SharedArrayBuffer;
}

/** The lcore's main function: forwards until the group is stopped. */
export default function lcoreMain(ctx: LcoreContext<SmpLcoreData>): void {
  const { ports, queue } = ctx.data;
  const stats = new Float64Array(ctx.data.stats);
  const n = ports.length;
  const src = ports.map((p) => new Port(p));
  const dst = ports.map((_, i) => new Port(ports[i ^ 1]));
  const srcStats = ports.map((p) => p * STATS_STRIDE);
  const dstStats = ports.map((_, i) => ports[i ^ 1] * STATS_STRIDE);
  const buf = ptrArray(PKT_BURST);

  while (ctx.running()) {
    for (let p = 0; p < n; p++) {
      const rx = src[p].rxBurst(queue, buf, PKT_BURST);
      if (rx === 0) continue;
      stats[srcStats[p] + STAT_RX] += rx;

      const tx = dst[p].txBurstOrFree(queue, buf, rx);
      stats[dstStats[p] + STAT_TX] += tx;
      if (tx !== rx) stats[dstStats[p] + STAT_DROP] += rx - tx;
    }
  }
}
