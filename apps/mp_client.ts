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
 * server stops; with a server of ours it refuses a client ID the server
 * has no ring for, an ID another live client holds, and an lcore ID
 * another process of the group uses.
 *
 * @module
 */

import {
  cleanupEal,
  DpdkError,
  launchLcores,
  type LcoreGroup,
  Mempool,
  Port,
  primaryAlive,
  Ring,
  TxBuffer,
} from "../mod.ts";
import { onShutdown, startEal, UsageError, watchPrimary } from "./common.ts";
import {
  clientRingName,
  MAX_CLIENTS,
  PKTMBUF_POOL_NAME,
  PortInfo,
  Registry,
} from "./client_server_mp/shared.ts";
import type {
  ClientLoopData,
  ClientLoopResult,
} from "./client_server_mp/client_worker.ts";

const PROG = "mp_client";
/** `MBQ_CAPACITY`: packets buffered per port before a send. */
const MBQ_CAPACITY = 32;

const USAGE = `Usage: ${PROG} [EAL args] -- -n <client_id> [--json]
 -n CLIENT_ID: which of the server's clients this is (0 .. NUM_CLIENTS-1)
 --json: final counts as a JSON line`;

/** Parses `-n CLIENT_ID [--json]`. */
function parseAppArgs(args: string[]): { clientId: number; json: boolean } {
  let id: string | undefined;
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith("-n")) {
      if (a.length > 2) id = a.slice(2);
      else if (i + 1 < args.length) id = args[++i];
      else throw new UsageError("-n needs a value");
    } else if (a === "--json") json = true;
    else throw new UsageError(`unknown option '${a}'`);
  }
  if (id === undefined) throw new UsageError("-n CLIENT_ID is missing");
  const clientId = Number(id);
  if (!/^\d+$/.test(id) || clientId >= MAX_CLIENTS) {
    throw new UsageError(
      `invalid client ID '${id}': expected 0..${MAX_CLIENTS - 1}`,
    );
  }
  return { clientId, json };
}

/** Prints why the client cannot start, and cleans up. */
function refuse(message: string): number {
  console.error(`${PROG}: ${message}`);
  cleanupEal();
  return 1;
}

/** Claims the client ID and lcores in the server's registry, if it has one. */
function register(
  registry: Registry | undefined,
  clientId: number,
  lcores: number[],
): string | undefined {
  if (registry === undefined) {
    console.log(
      `${PROG}: the server keeps no client registry (a C mp_server?): ` +
        `client and lcore IDs are not checked against other clients`,
    );
    return undefined;
  }
  const n = registry.numClients;
  if (clientId >= n) {
    return `client ID ${clientId} is out of range: the server runs ${n} ` +
      `client(s), IDs 0..${n - 1} (its -n)`;
  }
  const lcore = registry.claimLcores(lcores);
  if (lcore) {
    return `lcore ${lcore.lcore} is already used by ` +
      `${registry.describe(lcore.pid)} (pid ${lcore.pid}) in this group: ` +
      `give each process its own lcore IDs, e.g. --lcores=${lcore.lcore + 1}@1`;
  }
  const holder = registry.claimClient(clientId);
  if (holder) {
    registry.releaseLcores(lcores);
    return `client ID ${clientId} is already attached (pid ${holder.pid}): ` +
      `each client needs its own ID (-n)`;
  }
  return undefined;
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
    ({ clientId, json } = parseAppArgs(eal.args));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return refuse(`${e.message}\n${USAGE}`);
  }
  if (Port.count() === 0) return refuse("No Ethernet ports - bye");

  const registry = Registry.lookup();
  const refused = register(registry, clientId, eal.lcores);
  if (refused) return refuse(refused);
  const release = () => {
    registry?.releaseClient(clientId);
    registry?.releaseLcores(eal.lcores);
  };

  let ring: Ring;
  let portInfo: PortInfo;
  try {
    ring = Ring.lookup(clientRingName(clientId));
    Mempool.lookup(PKTMBUF_POOL_NAME);
    portInfo = PortInfo.lookup();
  } catch (e) {
    release();
    if (!(e instanceof DpdkError)) throw e;
    return refuse(
      `Cannot get RX ring - is server process running? (${e.message}; ` +
        `a C server has rings for client IDs 0..NUM_CLIENTS-1 only)`,
    );
  }

  // configure_output_ports: pair the ports in order, one buffer per port
  const ports = portInfo.ports();
  const pairs: [number, number][] = [];
  for (let i = 0; i + 1 < ports.length; i += 2) {
    pairs.push([ports[i], ports[i + 1]], [ports[i + 1], ports[i]]);
  }
  const outPorts = pairs.map(([, out]) => out);
  const buffers = outPorts.map((p) =>
    TxBuffer.create(MBQ_CAPACITY, new Port(p).socket)
  );

  console.log("APP: Finished Process Init.");
  console.log(`\nClient process ${clientId} handling packets`);
  console.log("[Press Ctrl-C to quit ...]");

  let reason: "signal" | "server-gone" | undefined;
  const data: ClientLoopData = {
    clientId,
    ring: ring.address,
    pairs,
    buffers: outPorts.map((p, i) => [p, buffers[i].address]),
  };
  const group: LcoreGroup = launchLcores(
    new URL("./client_server_mp/client_worker.ts", import.meta.url),
    { lcores: [eal.mainLcore], data },
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
  release();
  const serverGone = reason === "server-gone" || !primaryAlive();
  if (serverGone) {
    // nothing that needs the primary (freeing memory, EAL cleanup) now
    console.error(
      `${PROG} ${clientId}: the server has stopped: exiting. Restart the ` +
        `server, then its clients.`,
    );
    return 1;
  }
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
