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
 * are sent, final counts printed), from the start (the handlers are set
 * before anything is announced or launched); it exits with a clear
 * message when the server stops, and is refused at once when no server
 * runs; it watches the pool and its own loop, and when a process killed
 * inside a pool operation has left the pool half-updated (its loop then
 * waits forever inside DPDK) it says which object and which process,
 * prints its true counts and exits with status 3; it refuses a client ID the server has no ring for (naming
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
  describeStall,
  DpdkError,
  ealInitialised,
  GroupWatch,
  HealthWatch,
  launchLcores,
  type LcoreGroup,
  PktmbufPool,
  Port,
  primaryAlive,
  Ring,
  TxBuffer,
  TxTable,
} from "../mod.ts";
import {
  faultLine,
  guardStdout,
  onShutdown,
  onUncaught,
  startEal,
  UsageError,
  watchPrimary,
} from "./common.ts";
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
import {
  type ClientOutput,
  LIVE_LOOPS,
  LIVE_RX,
  LIVE_SLOTS,
} from "./client_server_mp/client_worker.ts";

const PROG = "mp_client";
/** `MBQ_CAPACITY`: packets buffered per port before a send. */
const MBQ_CAPACITY = 32;
/** A pool or lcore stuck this long is a stall. */
const STALL_MS = 1000;
/** Exit status when the group is stuck (the pool half-updated). */
export const EXIT_STUCK = 3;

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

/** The app's options (after `--`) that EAL does not have. */
const APP_OPTIONS = ["--json"];

async function main(): Promise<number> {
  guardStdout();
  type Reason = "signal" | "server-gone" | "stuck" | "error";
  let group: LcoreGroup | undefined;
  let reason: Reason | undefined;
  let fault: string | undefined;
  let stall: string | undefined;
  let clientName = PROG;
  const stop = (why: Reason) => {
    reason ??= why;
    group?.stop(why === "stuck" ? 1000 : 5000);
  };
  const eal = startEal(Deno.args, PROG, {
    role: "secondary",
    primaryName: "mp_server",
    appOptions: APP_OPTIONS,
  });
  // as soon as EAL runs, before anything is announced or launched (a
  // signal from here on stops the client cleanly; not before EAL: an init
  // that hangs in DPDK could then not be stopped by Ctrl-C)
  onUncaught((line) => {
    fault ??= line;
    stop("error");
  });
  const removeSignals = onShutdown((sig) => {
    if (reason === undefined) console.log(`\n${clientName}: ${sig}: stopping`);
    stop("signal");
  });

  if (eal.args.length === 0 && !Deno.args.includes("--")) {
    return refuse(
      "no client ID: the application's options go after `--` (e.g. " +
        "... --proc-type=secondary -- -n 0); before it, EAL takes -n as " +
        "its memory-channel count",
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
  clientName = `${PROG} ${clientId}`;
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

  // the loop's live counts: a stuck loop shows, and rx stays true
  const live = new Float64Array(
    new SharedArrayBuffer(LIVE_SLOTS * Float64Array.BYTES_PER_ELEMENT),
  );
  let running = false;
  const members = new GroupWatch();
  const health = new HealthWatch({ stallMs: STALL_MS })
    .watchPool(pool)
    .watchProgress(
      `the forwarding lcore ${eal.mainLcore} of mp_client ${clientId}`,
      () => live[LIVE_LOOPS],
      () => running && reason === undefined,
    )
    .onSample((now) => members.sample(now));
  health.start((stalls) => {
    stall = `${clientName}: the group is stuck: ${
      describeStall(stalls[0], members.ended())
    } Stop every process of the group and start again.`;
    console.error(`\n${stall}`);
    stop("stuck");
  });
  const stopWatching = watchPrimary(() => stop("server-gone"));

  console.log("APP: Finished Process Init.");
  console.log(`\nClient process ${clientId} handling packets`);
  console.log("[Press Ctrl-C to quit ...]");

  let failed = false;
  let stuck = false; // the loop did not stop: it spins inside DPDK
  if (reason === undefined) {
    group = launchLcores<typeof clientLoop>(
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
          live: live.buffer,
        },
      },
    );
    group.started.then(() => running = true, () => {});
    try {
      await group.join();
    } catch (e) {
      failed = true;
      stuck = /did not stop/.test((e as Error).message);
      console.error(`${clientName}: ${faultLine(e)}`);
    }
  }
  removeSignals();
  stopWatching();
  health.stop();

  const rx = live[LIVE_RX];
  const tx = buffers.reduce((a, b) => a + b.sent, 0);
  const txDrop = buffers.reduce((a, b) => a + b.dropped, 0);
  if (fault !== undefined) console.error(`${clientName}: ${fault}`);
  try {
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
  } catch (e) {
    // stdout is gone (closed, full): the counts go to stderr instead
    console.error(
      `${clientName}: ${faultLine(e)}; final: rx ${rx}, tx ${tx}, ` +
        `tx_drop ${txDrop}`,
    );
    failed = true;
  }
  claims.release(clientId);
  if (reason === "stuck" || stuck) {
    return EXIT_STUCK; // no cleanup: a thread may spin inside DPDK
  }
  if (reason === "server-gone" || !primaryAlive()) {
    // nothing that needs the primary (freeing memory, EAL cleanup) now
    console.error(
      `${clientName}: the server has stopped: exiting. Restart the ` +
        `server, then its clients.`,
    );
    return 1;
  }
  table[Symbol.dispose]();
  for (const b of buffers) b[Symbol.dispose]();
  cleanupEal();
  return failed || fault !== undefined ? 1 : 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (e) {
    console.error(`${PROG}: ${faultLine(e)}`);
    // a clean EAL exit, unless the server is gone (cleanup needs it)
    if (ealInitialised() && primaryAlive()) cleanupEal();
    Deno.exit(1);
  }
}
