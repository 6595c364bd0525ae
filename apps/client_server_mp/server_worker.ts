/**
 * mp_server's forwarding loop (`do_packet_forwarding` of mp_server/main.c),
 * run on the main lcore: read each port in turn, hand the packets to the
 * clients' rings round-robin, one bulk enqueue per client per burst, and
 * free and count as dropped what a full ring refuses.
 *
 * @module
 */

import { type LcoreContext, MbufBurst, Mempool, Ring } from "../../mod.ts";
import { PKTMBUF_POOL_NAME, PortInfo, Registry } from "./shared.ts";

/** `PACKET_READ_SIZE`: the burst size. */
const PACKET_READ_SIZE = 32;

/** What the server's main thread hands the loop. */
export interface ServerLoopData {
  /** Port IDs in the order of `port_info.id[]`. */
  ports: number[];
  /** Address of each client's ring, by client ID. */
  rings: bigint[];
}

/** The loop; returns the number of bursts read when asked to stop. */
export default function serverLoop(ctx: LcoreContext<ServerLoopData>): number {
  const ports = ctx.data.ports;
  const rings = ctx.data.rings.map((a) => Ring.fromAddress(a));
  const numPorts = ports.length;
  const numClients = rings.length;
  const portInfo = PortInfo.lookup();
  const registry = Registry.lookup();
  if (registry === undefined) throw new Error("client registry missing");
  const rxStats = portInfo.rx;
  const clientRx = registry.rx;
  const clientDrop = registry.rxDrop;

  // the received burst, and one buffer per client (cl_rx_buf); bursts
  // pass their arrays to C as pointers, the cheapest way across
  const pool = Mempool.lookup(PKTMBUF_POOL_NAME);
  const rx = new MbufBurst(pool, PACKET_READ_SIZE);
  const bufs = rings.map(() => new MbufBurst(pool, PACKET_READ_SIZE));

  let client = 0; // round-robin position, kept across bursts and ports
  let portNum = 0; // indexes ports[]
  let bursts = 0;
  while (ctx.running()) {
    const n = rx.receiveRaw(ports[portNum], 0, PACKET_READ_SIZE);
    if (n > 0) {
      rxStats.add(portNum, n);
      bursts++;
      // process_packets + flush_rx_queue: packet i goes to client
      // (client + i) % numClients, so client c gets every numClients-th
      // packet from its first one; each client's share is enqueued all
      // or nothing, and freed and counted as dropped if its ring is full
      for (let c = 0; c < numClients; c++) {
        let cnt = n; // one client: all of it, no copy
        let buf = rx;
        if (numClients > 1) {
          buf = bufs[c];
          const first = (c - client + numClients) % numClients;
          cnt = buf.takeEvery(rx, n, first, numClients);
        }
        if (cnt === 0) continue;
        if (buf.enqueueBulk(rings[c], cnt) === 0) {
          buf.freeFirst(cnt);
          clientDrop.add(c, cnt);
        } else {
          clientRx.add(c, cnt);
        }
      }
      client = (client + n) % numClients;
    }
    if (++portNum === numPorts) portNum = 0;
  }
  return bursts;
}
