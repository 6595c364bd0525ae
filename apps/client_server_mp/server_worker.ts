/**
 * mp_server's forwarding loop (`do_packet_forwarding` of mp_server/main.c),
 * run on the main lcore: read each port in turn, hand the packets to the
 * clients' rings round-robin, one bulk enqueue per client per burst, and
 * free and count as dropped what a full ring refuses.
 *
 * @module
 */

import {
  freeMbufs,
  type LcoreContext,
  Port,
  ptrArray,
  Ring,
} from "../../mod.ts";
import { PortInfo, Registry } from "./shared.ts";

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
  const ports = ctx.data.ports.map((id) => new Port(id));
  const rings = ctx.data.rings.map((a) => Ring.fromAddress(a));
  const numPorts = ports.length;
  const numClients = rings.length;
  const portInfo = PortInfo.lookup();
  const registry = Registry.lookup();
  if (registry === undefined) throw new Error("client registry missing");
  const rxStats = portInfo.rx;
  const clientRx = registry.rx;
  const clientDrop = registry.rxDrop;

  // the received burst, and one buffer per client (cl_rx_buf): pointers
  // are copied between them as 32-bit halves, so no BigInt is ever made
  const rx = ptrArray(PACKET_READ_SIZE);
  const rxWords = new Uint32Array(rx.buffer);
  const bufs = rings.map(() => ptrArray(PACKET_READ_SIZE));
  const bufWords = bufs.map((b) => new Uint32Array(b.buffer));

  let client = 0; // round-robin position, kept across bursts and ports
  let portNum = 0; // indexes ports[]
  let bursts = 0;
  while (ctx.running()) {
    const n = ports[portNum].rxBurst(0, rx, PACKET_READ_SIZE);
    if (n > 0) {
      rxStats.add(portNum, n);
      bursts++;
      // process_packets + flush_rx_queue: packet i goes to client
      // (client + i) % numClients, so client c gets every numClients-th
      // packet from its first one; each client's share is enqueued all
      // or nothing, and freed and counted as dropped if its ring is full
      for (let c = 0; c < numClients; c++) {
        let cnt = 0;
        let buf = rx;
        if (numClients === 1) {
          cnt = n; // all of it: no copy
        } else {
          const w = bufWords[c];
          for (let i = (c - client + numClients) % numClients; i < n;) {
            w[2 * cnt] = rxWords[2 * i];
            w[2 * cnt + 1] = rxWords[2 * i + 1];
            cnt++;
            i += numClients;
          }
          buf = bufs[c];
        }
        if (cnt === 0) continue;
        if (rings[c].enqueueBulk(buf, cnt) === 0) {
          freeMbufs(buf, cnt);
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
