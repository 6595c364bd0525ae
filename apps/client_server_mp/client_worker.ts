/**
 * mp_client's loop (the `for (;;)` of mp_client/client.c), run on the
 * client's main lcore: dequeue from the client's ring in bursts, buffer
 * each packet for the port paired with the one it came in on (TX queue =
 * client ID), flush every port's buffer when the ring runs dry, and keep
 * `port_info.tx_stats[client]` up to date for the server's statistics.
 *
 * @module
 */

import {
  type LcoreContext,
  MbufBurst,
  Mempool,
  Ring,
  TxBuffer,
  txTable,
} from "../../mod.ts";
import { PKTMBUF_POOL_NAME, PortInfo } from "./shared.ts";

/** `PKT_READ_SIZE`: the largest burst dequeued at once. */
const PKT_READ_SIZE = 32;
/**
 * Bursts between updates of the shared TX counters while the ring stays
 * busy (they are also updated whenever the ring runs dry, and at exit).
 */
const SYNC_EVERY = 16;

/** What the client's main thread hands the loop. */
export interface ClientLoopData {
  /** The client ID: which ring to read and which TX queue to use. */
  clientId: number;
  /** Address of the client's ring. */
  ring: bigint;
  /** Port pairs [in, out], both directions (output_ports[]). */
  pairs: [number, number][];
  /** Address of the TX buffer of each output port: [port, address]. */
  buffers: [number, bigint][];
}

/** What the loop returns when asked to stop (after flushing). */
export interface ClientLoopResult {
  /** Packets dequeued from the ring. */
  rx: number;
}

/** The loop; flushes every TX buffer before returning. */
export default function clientLoop(
  ctx: LcoreContext<ClientLoopData>,
): ClientLoopResult {
  const { clientId, pairs } = ctx.data;
  const ring = Ring.fromAddress(ctx.data.ring);
  const outPorts = ctx.data.buffers.map(([port]) => port);
  const buffers = ctx.data.buffers.map(([, a]) => TxBuffer.fromAddress(a));
  const byPort = new Map(outPorts.map((p, i) => [p, buffers[i]]));
  // a packet from port `in` goes to the buffer of port `out`
  const table = txTable(
    pairs.map(([inPort, outPort]) => ({
      inPort,
      outPort,
      buffer: byPort.get(outPort)!,
    })),
  );

  // the shared counters, fed from each buffer's own sent/dropped counters
  const portInfo = PortInfo.lookup();
  const tx = portInfo.tx(clientId);
  const txDrop = portInfo.txDrop(clientId);
  const words = buffers.map((b) => b.counterWords());
  const seen = new Float64Array(2 * buffers.length); // sent, dropped so far
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
    for (let i = 0; i < buffers.length; i++) {
      buffers[i].flush(outPorts[i], clientId);
    }
    sync();
  };

  // the burst passes its array to C as a pointer, the cheapest way across
  const pkts = new MbufBurst(Mempool.lookup(PKTMBUF_POOL_NAME), PKT_READ_SIZE);
  let needFlush = false; // unsent packets in the buffers
  let rx = 0;
  let bursts = 0; // since the last sync
  while (ctx.running()) {
    const n = pkts.dequeue(ring, PKT_READ_SIZE);
    if (n === 0) {
      if (needFlush) {
        flush();
        needFlush = false;
      }
      continue;
    }
    rx += n;
    pkts.bufferByInputPort(clientId, table, n); // txByInputPort
    if (++bursts === SYNC_EVERY) {
      sync();
      bursts = 0;
    }
    needFlush = true;
  }
  flush(); // nothing stays in flight
  return { rx };
}
