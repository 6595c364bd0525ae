/**
 * mp_client's loop (the `for (;;)` of mp_client/client.c), run on the
 * client's main lcore: dequeue from the client's ring in bursts, buffer
 * each packet for the port paired with the one it came in on (TX queue =
 * client ID) through a routing table, flush every port's buffer when the
 * ring runs dry, and keep `port_info.tx_stats[client]` up to date for the
 * server's statistics.
 *
 * @module
 */

import {
  defineLcore,
  type LcoreContext,
  type LcoreMain,
  MbufBurst,
  type Memzone,
  type PktmbufPool,
  type Ring,
  type TxBuffer,
  type TxQueue,
  type TxTable,
} from "../../mod.ts";
import { PortInfo } from "./shared.ts";

/** `PKT_READ_SIZE`: the largest burst dequeued at once. */
const PKT_READ_SIZE = 32;
/**
 * Bursts between updates of the shared TX counters while the ring stays
 * busy (they are also updated whenever the ring runs dry, and at exit).
 */
const SYNC_EVERY = 16;

/** Index of the loop count in `live`. */
export const LIVE_LOOPS = 0;
/** Index of the packets dequeued so far in `live`. */
export const LIVE_RX = 1;
/** Float64 slots of `live`. */
export const LIVE_SLOTS = 2;

/** One output port: its TX queue (queue = client ID) and TX buffer. */
export interface ClientOutput {
  /** The TX queue the buffer sends on. */
  txq: TxQueue;
  /** The port's TX buffer (`tx_buffer[port]` of the C client). */
  buffer: TxBuffer;
}

/** What the client's main thread hands the loop. */
export interface ClientLoopData {
  /** The client ID: whose `tx_stats` to update. */
  clientId: number;
  /** The client's ring. */
  ring: Ring;
  /** The mbuf pool. */
  pool: PktmbufPool;
  /** Routes a packet from input port p to the output of p's partner. */
  table: TxTable;
  /** Every output port, each once (flushed when the ring runs dry). */
  outputs: ClientOutput[];
  /** The port-info memzone (`tx_stats`). */
  portInfo: Memzone;
  /**
   * Live counts for the main thread (Float64 [loops, rx]): the loops show
   * a stuck lcore, rx stays true even if the loop never returns.
   */
  live: SharedArrayBuffer;
}

/** What the loop returns when asked to stop (after flushing). */
export interface ClientLoopResult {
  /** Packets dequeued from the ring. */
  rx: number;
}

/** The loop; flushes every TX buffer before returning. */
const clientLoop: LcoreMain<ClientLoopData, ClientLoopResult> = defineLcore(
  (ctx: LcoreContext<ClientLoopData>): ClientLoopResult => {
    const { clientId, ring, pool, table, outputs } = ctx.data;
    const portInfo = PortInfo.of(ctx.data.portInfo);
    const tx = portInfo.tx(clientId);
    const txDrop = portInfo.txDrop(clientId);
    const txqs = outputs.map((o) => o.txq);
    const buffers = outputs.map((o) => o.buffer);
    const outPorts = txqs.map((q) => q.port);

    // the shared counters, fed from each buffer's own sent/dropped counters
    const words = buffers.map((b) => b.counterWords());
    const seen = new Float64Array(2 * outputs.length); // sent, dropped so far
    const sync = () => {
      for (let i = 0; i < words.length; i++) {
        const w = words[i];
        const sent = w[1] * 0x100000000 + w[0];
        const dropped = w[3] * 0x100000000 + w[2];
        if (sent !== seen[2 * i]) {
          tx.add(outPorts[i], sent - seen[2 * i]);
          seen[2 * i] = sent;
        }
        if (dropped !== seen[2 * i + 1]) {
          txDrop.add(outPorts[i], dropped - seen[2 * i + 1]);
          seen[2 * i + 1] = dropped;
        }
      }
    };
    const flush = () => {
      for (let i = 0; i < buffers.length; i++) buffers[i].flush(txqs[i]);
      sync();
    };

    // the burst passes its array to C as a pointer, the cheapest way across
    const pkts = new MbufBurst(pool, PKT_READ_SIZE);
    let needFlush = false; // unsent packets in the buffers
    let rx = 0;
    let bursts = 0; // since the last sync
    const live = new Float64Array(ctx.data.live);
    while (ctx.running()) {
      live[LIVE_LOOPS]++;
      const n = pkts.dequeue(ring, PKT_READ_SIZE);
      if (n === 0) {
        if (needFlush) {
          flush();
          needFlush = false;
        }
        continue;
      }
      rx += n;
      live[LIVE_RX] = rx;
      pkts.bufferByInputPort(table, n);
      if (++bursts === SYNC_EVERY) {
        sync();
        bursts = 0;
      }
      needFlush = true;
    }
    flush(); // nothing stays in flight
    return { rx };
  },
);
export default clientLoop;
