/**
 * mp_server's forwarding loop (`do_packet_forwarding` of mp_server/main.c),
 * run on the main lcore: read each port in turn, hand the packets to the
 * clients' rings round-robin, one bulk enqueue per client per burst, and
 * free and count as dropped what a full ring refuses.
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
  type RxQueue,
} from "../../mod.ts";
import { PortInfo, ServerStats } from "./shared.ts";
import { firstOfClient, nextPosition, shareOf } from "./round_robin.ts";

/** `PACKET_READ_SIZE`: the burst size. */
const PACKET_READ_SIZE = 32;

/** What the server's main thread hands the loop. */
export interface ServerLoopData {
  /** RX queue 0 of each port, in the order of `port_info.id[]`. */
  rxqs: RxQueue[];
  /** Each client's ring, by client ID. */
  rings: Ring[];
  /** The mbuf pool. */
  pool: PktmbufPool;
  /** The port-info memzone (`rx_stats`). */
  portInfo: Memzone;
  /** The server statistics memzone (per-client counters). */
  stats: Memzone;
  /** Loop count (one Int32): the main thread sees a stuck loop. */
  progress: SharedArrayBuffer;
}

/** The loop; returns the number of bursts read when asked to stop. */
const serverLoop: LcoreMain<ServerLoopData, number> = defineLcore(
  (ctx: LcoreContext<ServerLoopData>): number => {
    const { rxqs, rings, pool } = ctx.data;
    const numPorts = rxqs.length;
    const numClients = rings.length;
    const rxStats = PortInfo.of(ctx.data.portInfo).rx;
    const stats = ServerStats.of(ctx.data.stats);
    const clientRx = stats.rx;
    const clientDrop = stats.rxDrop;

    // the received burst, and one buffer per client (cl_rx_buf); bursts
    // pass their arrays to C as pointers, the cheapest way across
    const rx = new MbufBurst(pool, PACKET_READ_SIZE);
    const bufs = rings.map(() => new MbufBurst(pool, PACKET_READ_SIZE));

    let position = 0; // round-robin position, kept across bursts and ports
    let portNum = 0; // indexes rxqs (and rx_stats.rx)
    let bursts = 0;
    const progress = new Int32Array(ctx.data.progress);
    while (ctx.running()) {
      progress[0]++;
      const n = rx.receiveRaw(rxqs[portNum], PACKET_READ_SIZE);
      if (n > 0) {
        rxStats.add(portNum, n);
        bursts++;
        // process_packets + flush_rx_queue: each client's share is enqueued
        // all or nothing, and freed and counted as dropped if its ring is full
        for (let c = 0; c < numClients; c++) {
          let cnt = n; // one client: all of it, no copy
          let buf = rx;
          if (numClients > 1) {
            const first = firstOfClient(position, c, numClients);
            if (shareOf(n, first, numClients) === 0) continue;
            buf = bufs[c];
            cnt = buf.takeEvery(rx, n, first, numClients);
          }
          if (buf.enqueueBulk(rings[c], cnt) === 0) {
            buf.freeFirst(cnt);
            clientDrop.add(c, cnt);
          } else {
            clientRx.add(c, cnt);
          }
        }
        position = nextPosition(position, n, numClients);
      }
      if (++portNum === numPorts) portNum = 0;
    }
    return bursts;
  },
);
export default serverLoop;
