/**
 * mp_client: a client of DPDK's client_server_mp sample
 * (examples/multi_process/client_server_mp/mp_client), in TypeScript.
 *
 * A secondary process: it finds the server's ring for its client ID, the
 * mbuf pool and the port-info memzone, then on its main lcore dequeues
 * packets from the ring and sends each one out of the port paired with
 * the one it arrived on (0<->1, 2<->3, ...), on TX queue = client ID,
 * buffering per port and flushing when the ring runs dry. Its counts land
 * in the shared port info, where the server's statistics read them.
 *
 * ```
 * deno run -A apps/mp_client.ts [EAL args] --proc-type=secondary -- -n CLIENT_ID [--json]
 * ```
 *
 * Beyond the C client: SIGINT/SIGTERM stop it cleanly (buffered packets
 * are sent, final counts printed); it exits with a clear message when the
 * server stops; it refuses a client ID the server has no ring for (naming
 * the server's `-n` when the server is ours), and a client ID another
 * running client of ours holds (naming its pid; a client restarted after
 * its old process died gets its ID back). An lcore ID another process of
 * the group uses is refused by `initEal`.
 *
 * @module
 */

import {
  type ClaimTable,
  cleanupEal,
  DpdkError,
  launchLcores,
  PktmbufPool,
  Port,
  primaryAlive,
  Ring,
  TxBuffer,
  TxTable,
} from "../mod.ts";
import { onShutdown, startEal, UsageError, watchPrimary } from "./common.ts";
import {
  CLIENT_USAGE,
  outputPairs,
  parseClientArgs,
} from "./client_server_mp/args.ts";
import {
  clientClaims,
  clientRingName,
  PKTMBUF_POOL_NAME,
  PortInfo,
  ServerStats,
} from "./client_server_mp/shared.ts";
import type clientLoop from "./client_server_mp/client_worker.ts";
import type {
  ClientLoopResult,
  ClientOutput,
} from "./client_server_mp/client_worker.ts";

const PROG = "mp_client";
/** `MBQ_CAPACITY`: packets buffered per port before a send. */
const MBQ_CAPACITY = 32;

/** Prints why the client cannot start, and cleans up. */
function refuse(message: string): number {
  console.error(`${PROG}: ${message}`);
  cleanupEal();
  return 1;
}

/** Why the ring of `clientId` cannot be found, as helpful as we can. */
function noRing(clientId: number, e: DpdkError): string {
  const stats = ServerStats.lookup();
  const n = stats?.numClients;
  if (n !== undefined && n > 0 && clientId >= n) {
    return `client ID ${clientId} is out of range: the server runs ${n} ` +
      `client(s), IDs 0..${n - 1} (its -n)`;
  }
  return `Cannot get RX ring - is server process running? (${e.message}; ` +
    `a C server has rings for client IDs 0..NUM_CLIENTS-1 only)`;
}

async function main(): Promise<number> {
  const eal = startEal(Deno.args, PROG);
  if (eal.processType !== "secondary") {
    return refuse(
      "must run as a secondary process of a running mp_server: add " +
        "--proc-type=secondary (or auto) and the server's --file-prefix",
    );
  }
  let clientId: number;
  let json: boolean;
  try {
    ({ clientId, json } = parseClientArgs(eal.args));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return refuse(`${e.message}\n${CLIENT_USAGE}`);
  }
  if (Port.count() === 0) return refuse("No Ethernet ports - bye");

  let ring: Ring;
  try {
    ring = Ring.lookup(clientRingName(clientId));
  } catch (e) {
    if (!(e instanceof DpdkError)) throw e;
    return refuse(noRing(clientId, e));
  }
  const pool = PktmbufPool.lookup(PKTMBUF_POOL_NAME);
  const portInfo = PortInfo.lookup();
  if (ServerStats.lookup() === undefined) {
    console.log(
      `${PROG}: the server keeps no statistics of ours (a C mp_server?): ` +
        `client IDs are checked among our clients only`,
    );
  }
  const claims: ClaimTable = clientClaims();
  const holder = claims.claim(clientId);
  if (holder !== undefined) {
    return refuse(
      `client ID ${clientId} is already attached (pid ${holder.pid}): ` +
        `each client needs its own ID (-n)`,
    );
  }

  // configure_output_ports: pair the ports in order, one buffer per
  // output port, sending on TX queue = client ID
  const pairs = outputPairs(portInfo.ports());
  const outputs = new Map<number, ClientOutput>();
  for (const [, out] of pairs) {
    const port = new Port(out);
    outputs.set(out, {
      txq: port.txQueue(clientId),
      buffer: TxBuffer.create(MBQ_CAPACITY, port.socket),
    });
  }
  const table = TxTable.create();
  for (const [inPort, out] of pairs) {
    const o = outputs.get(out)!;
    table.route(inPort, o.txq, o.buffer);
  }
  const buffers = [...outputs.values()].map((o) => o.buffer);

  console.log("APP: Finished Process Init.");
  console.log(`\nClient process ${clientId} handling packets`);
  console.log("[Press Ctrl-C to quit ...]");

  let reason: "signal" | "server-gone" | undefined;
  const group = launchLcores<typeof clientLoop>(
    new URL("./client_server_mp/client_worker.ts", import.meta.url),
    {
      lcores: [eal.mainLcore],
      data: {
        clientId,
        ring,
        pool,
        table,
        outputs: [...outputs.values()],
        portInfo: portInfo.zone,
      },
    },
  );
  const removeSignals = onShutdown((sig) => {
    reason ??= "signal";
    console.log(`\n${PROG} ${clientId}: ${sig}: stopping`);
    group.stop();
  });
  const stopWatching = watchPrimary(() => {
    reason ??= "server-gone";
    group.stop();
  });

  let rx = 0;
  let failed = false;
  try {
    const [res] = await group.join();
    rx = (res.result as ClientLoopResult).rx;
  } catch (e) {
    failed = true;
    console.error(`${PROG} ${clientId}: ${(e as Error).message}`);
  }
  removeSignals();
  stopWatching();

  const tx = buffers.reduce((a, b) => a + b.sent, 0);
  const txDrop = buffers.reduce((a, b) => a + b.dropped, 0);
  if (json) {
    console.log(JSON.stringify({
      type: "final",
      client: clientId,
      rx,
      tx,
      tx_drop: txDrop,
      reason: reason ?? "error",
    }));
  } else {
    console.log(
      `Client ${clientId} final: rx ${rx}, tx ${tx}, tx_drop ${txDrop}`,
    );
  }
  claims.release(clientId);
  if (reason === "server-gone" || !primaryAlive()) {
    // nothing that needs the primary (freeing memory, EAL cleanup) now
    console.error(
      `${PROG} ${clientId}: the server has stopped: exiting. Restart the ` +
        `server, then its clients.`,
    );
    return 1;
  }
  table[Symbol.dispose]();
  for (const b of buffers) b[Symbol.dispose]();
  cleanupEal();
  return failed ? 1 : 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (e) {
    if (!(e instanceof DpdkError)) throw e;
    console.error(`${PROG}: ${e.message}`);
    Deno.exit(1);
  }
}
