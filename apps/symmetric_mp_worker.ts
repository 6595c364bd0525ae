/**
 * The forwarding loop of symmetric_mp (`lcore_main` of the C original),
 * run on one lcore by `launchLcores`: poll RX queue `queue` of each of
 * this lcore's ports and send what arrives on the same queue of the paired
 * port (0 <-> 1, 2 <-> 3, ...), freeing what the TX queue refuses.
 *
 * Each burst is one FFI crossing (`MbufBurst.forward`: RX burst, TX burst,
 * free the rest), as the packets are not looked at. Counts go to a
 * SharedArrayBuffer the main thread reads after the lcores have stopped:
 * RX on the input port, TX and Drop on the output port, as in C. Nothing
 * is allocated per burst.
 *
 * @module
 */

import { type LcoreContext, MbufBurst, Mempool } from "../mod.ts";

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
  /** Name of the mbuf pool (the RX queues' pool). */
  pool: string;
  /** Per-port counts (Float64, `STATS_STRIDE` per port, by port ID). */
  stats: SharedArrayBuffer;
}

/** The lcore's main function: forwards until the group is stopped. */
export default function lcoreMain(ctx: LcoreContext<SmpLcoreData>): void {
  const { ports, queue } = ctx.data;
  const stats = new Float64Array(ctx.data.stats);
  const n = ports.length;
  const dst = ports.map((_, i) => ports[i ^ 1]); // 0 <-> 1, 2 <-> 3 etc
  const srcStats = ports.map((p) => p * STATS_STRIDE);
  const dstStats = dst.map((p) => p * STATS_STRIDE);
  const burst = new MbufBurst(Mempool.lookup(ctx.data.pool), PKT_BURST);

  while (ctx.running()) {
    for (let p = 0; p < n; p++) {
      const r = burst.forward(ports[p], queue, dst[p], queue, PKT_BURST);
      if (r === 0) continue;
      const rx = r & 0xffff;
      const tx = r >>> 16;
      stats[srcStats[p] + STAT_RX] += rx;
      stats[dstStats[p] + STAT_TX] += tx;
      if (tx !== rx) stats[dstStats[p] + STAT_DROP] += rx - tx;
    }
  }
}
