/**
 * mp_server: the server of DPDK's client_server_mp sample
 * (examples/multi_process/client_server_mp/mp_server), in TypeScript.
 *
 * The primary process: it creates the mbuf pool, one ring per client and
 * the port-info memzone, starts the ports, then on the main lcore reads
 * every port in turn and hands the packets to the clients' rings
 * round-robin, in bursts, counting as dropped what a full ring refuses.
 * Clients (mp_client, ours or the C one) send them on.
 *
 * ```
 * deno run -A apps/mp_server.ts [EAL args] -- -p PORTMASK -n NUM_CLIENTS
 *     [--stats] [--json] [--wait-clients]
 * ```
 *
 * Beyond the C server: SIGINT/SIGTERM stop it cleanly with final
 * statistics, from the start (the handlers are set before anything is
 * announced); mbufs left in the rings of clients that are gone go back to
 * the pool, and mbufs that processes took with them when they died are
 * counted and reported; `--json` prints the statistics as JSON lines;
 * `--wait-clients` holds forwarding until all clients are attached;
 * clients of ours claim their client ID in a claim table, so a duplicate
 * ID is refused (lcore IDs are claimed by `initEal` in every process of
 * ours). A second server, or one started while processes of a previous
 * one still run, is refused before EAL touches the group. The pool and
 * the forwarding loop are watched: when a process killed inside a pool
 * operation leaves the pool's ring half-updated (DPDK cannot recover
 * that; every other process then waits on it forever), the server says
 * which object is stuck and which process likely caused it, prints true
 * final statistics and exits with status 3.
 *
 * @module
 */

import {
  type ClaimTable,
  cleanupEal,
  describeStall,
  freeMbufs,
  GroupWatch,
  HealthWatch,
  launchLcores,
  type LcoreGroup,
  Mempool,
  type PktmbufPool,
  type Port,
  ptrArray,
  Ring,
} from "../mod.ts";
import {
  configurePortLikeSamples,
  faultLine,
  groupState,
  guardStdout,
  onShutdown,
  onUncaught,
  openPorts,
  startEal,
  UsageError,
  writeOut,
} from "./common.ts";
import {
  parseServerArgs,
  SERVER_USAGE,
  type ServerOptions,
} from "./client_server_mp/args.ts";
import {
  clientClaims,
  clientRingName,
  PKTMBUF_POOL_NAME,
  PortInfo,
  ServerStats,
} from "./client_server_mp/shared.ts";
import type serverLoop from "./client_server_mp/server_worker.ts";
import {
  finalLines,
  type FinalNotes,
  screen,
  type Snapshot,
  snapshot,
} from "./client_server_mp/stats.ts";

const PROG = "mp_server";
const MBUF_CACHE_SIZE = 512;
const RX_DESC_DEFAULT = 1024;
const TX_DESC_DEFAULT = 1024;
const CLIENT_QUEUE_RINGSIZE = 128;
/** The burst in which rings of departed clients are drained at exit. */
const DRAIN_BURST = 32;
/** A pool or lcore stuck this long is a stall. */
const STALL_MS = 1000;
/** Exit status when the group is stuck (the pool half-updated). */
export const EXIT_STUCK = 3;

/** `init_port`: 1 RX queue, one TX queue per client, started. */
function initPort(port: Port, numClients: number, pool: PktmbufPool): void {
  writeOut(`Port ${port.id} init ... `);
  // as the C server: no RSS, no offloads (so no fallback is ever taken)
  configurePortLikeSamples(port, { rxQueues: 1, txQueues: numClients });
  const desc = port.adjustDescriptors(RX_DESC_DEFAULT, TX_DESC_DEFAULT);
  // the device's default RX configuration, as the C server (rxconf NULL)
  port.setupRxQueue(0, desc.rx, pool);
  for (let q = 0; q < numClients; q++) port.setupTxQueue(q, desc.tx);
  port.promiscuous();
  port.start();
  console.log("done: ");
}

/** `check_all_ports_link_status`: up to 9 s, then each port's link. */
async function checkLinks(ports: Port[]): Promise<void> {
  writeOut("\nChecking link status");
  for (let i = 0; i < 90 && !ports.every((p) => p.link().up); i++) {
    writeOut(".");
    await pause(100);
  }
  console.log("done");
  for (const p of ports) {
    const l = p.link();
    console.log(
      l.up
        ? `Port ${p.id} Link up at ${l.speed / 1000} Gbps ${
          l.fullDuplex ? "FDX" : "HDX"
        }`
        : `Port ${p.id} Link down`,
    );
  }
}

/** Resolves after `ms`. */
function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Client IDs below `numClients` held by a running client of ours. */
function attached(claims: ClaimTable, numClients: number): number[] {
  const out: number[] = [];
  for (let c = 0; c < numClients; c++) {
    if (claims.holder(c) !== undefined) out.push(c);
  }
  return out;
}

/**
 * Frees the mbufs waiting in the rings of clients that are not running,
 * so they go back to the pool. A ring whose client holds its ID is left to
 * it; a ring that still drains (a C client, which claims no ID) is left
 * too.
 */
async function drainRings(
  rings: Ring[],
  claims: ClaimTable,
  stats: ServerStats,
): Promise<void> {
  const idle = rings.map((r, c) =>
    claims.holder(c) === undefined ? r.count() : 0
  );
  if (idle.every((n) => n === 0)) return;
  await pause(200);
  const objs = ptrArray(DRAIN_BURST);
  rings.forEach((r, c) => {
    if (idle[c] === 0 || r.count() !== idle[c]) return;
    for (let n; (n = r.dequeueBurst(objs, DRAIN_BURST)) > 0;) {
      freeMbufs(objs, n);
      stats.freed.add(c, n);
    }
  });
}

/** Waits until every client is attached (`--wait-clients`), or stopping. */
async function waitClients(
  claims: ClaimTable,
  numClients: number,
  stopping: () => boolean,
): Promise<void> {
  console.log(`Waiting for ${numClients} client(s) to attach ...`);
  let last = -1;
  while (!stopping()) {
    const k = attached(claims, numClients).length;
    if (k !== last) console.log(`${k}/${numClients} clients attached`);
    last = k;
    if (k === numClients) return;
    await pause(50);
  }
}

/** Prints why, cleans EAL up; returns the exit status. */
function refuse(message: string): number {
  console.error(`${PROG}: ${message}`);
  cleanupEal();
  return 1;
}

/** The app's options (after `--`) that EAL does not have. */
const APP_OPTIONS = ["-p", "--stats", "--json", "--wait-clients"];

async function main(): Promise<number> {
  guardStdout();
  let group: LcoreGroup | undefined;
  let stopping = false;
  let fault: string | undefined; // an error nothing caught: one line
  let stall: string | undefined; // the group is stuck: what and why
  const stop = () => {
    stopping = true;
    group?.stop(stall !== undefined ? 1000 : 5000);
  };
  const eal = startEal(Deno.args, PROG, {
    role: "primary",
    primaryName: "mp_server",
    appOptions: APP_OPTIONS,
  });
  // as soon as EAL runs, before anything is announced or launched (a
  // signal from here on stops the server cleanly; not before EAL: an init
  // that hangs in DPDK could then not be stopped by Ctrl-C)
  onUncaught((line) => {
    fault ??= line;
    stop();
  });
  const removeSignals = onShutdown((sig) => {
    if (!stopping) console.log(`\n${PROG}: ${sig}: stopping`);
    stop();
  });

  let opts: ServerOptions;
  let ports: Port[];
  try {
    opts = parseServerArgs(eal.args);
    ports = openPorts(opts.ports);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return refuse(`${e.message}\n${SERVER_USAGE}`);
  }
  const { numClients } = opts;

  const portInfo = PortInfo.reserve();
  portInfo.setPorts(opts.ports);
  const stats = ServerStats.create(numClients);
  const claims = clientClaims();

  // init_mbuf_pools
  const numMbufs = RX_DESC_DEFAULT * ports.length +
    numClients * (CLIENT_QUEUE_RINGSIZE + TX_DESC_DEFAULT * ports.length) +
    (numClients + 1) * MBUF_CACHE_SIZE;
  console.log(
    `Creating mbuf pool '${PKTMBUF_POOL_NAME}' [${numMbufs} mbufs] ...`,
  );
  const pool = Mempool.createPktmbuf(PKTMBUF_POOL_NAME, numMbufs, {
    cacheSize: MBUF_CACHE_SIZE,
  });
  for (const p of ports) initPort(p, numClients, pool);
  await checkLinks(ports);

  // init_shm_rings: single producer (us), single consumer (the client)
  const rings: Ring[] = [];
  for (let i = 0; i < numClients; i++) {
    rings.push(
      Ring.create(clientRingName(i), CLIENT_QUEUE_RINGSIZE, {
        singleProducer: true,
        singleConsumer: true,
      }),
    );
  }

  // the pool (every process frees into it) and the forwarding loop: a
  // process killed inside a pool operation wedges the whole group
  const progress = new Int32Array(new SharedArrayBuffer(4));
  const members = new GroupWatch();
  let forwarding = false;
  const health = new HealthWatch({ stallMs: STALL_MS })
    .watchPool(pool)
    .watchProgress(
      `the forwarding lcore ${eal.mainLcore} of mp_server`,
      () => progress[0],
      () => forwarding && !stopping,
    )
    .onSample((now) => members.sample(now));
  health.start((stalls) => {
    stall = `${PROG}: the group is stuck: ${
      describeStall(stalls[0], members.ended())
    } Stop every process of the group and start again.`;
    console.error(`\n${stall}`);
    stop();
  });

  console.log("APP: Finished Process Init.");

  if (opts.waitClients) await waitClients(claims, numClients, () => stopping);

  const macs = ports.map((p) => p.mac());
  const take = (): Snapshot =>
    snapshot(opts.ports, macs, numClients, portInfo, stats, claims);
  const t0 = performance.now();
  const json = (type: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      type,
      time: Math.round(performance.now() - t0) / 1000,
      ...take(),
      ...extra,
    });
  let timer: ReturnType<typeof setInterval> | undefined;
  if (opts.json) {
    timer = setInterval(() => console.log(json("stats")), 1000);
  } else if (opts.stats || eal.lcores.length > 1) {
    console.log("Displaying statistics every second");
    timer = setInterval(() => console.log(screen(take(), true)), 1000);
  }

  let stuck = false; // the forwarding lcore did not stop: it spins in DPDK
  if (!stopping) {
    group = launchLcores<typeof serverLoop>(
      new URL("./client_server_mp/server_worker.ts", import.meta.url),
      {
        lcores: [eal.mainLcore],
        data: {
          rxqs: ports.map((p) => p.rxQueue(0)),
          rings,
          pool,
          portInfo: portInfo.zone,
          stats: stats.zone,
          progress: progress.buffer,
        },
      },
    );
    group.started.then(() => forwarding = true, () => {});
    if (stopping) group.stop();
    try {
      await group.join();
    } catch (e) {
      stuck = /did not stop/.test((e as Error).message);
      console.error(`${PROG}: forwarding failed: ${faultLine(e)}`);
    }
  }
  clearInterval(timer);
  health.stop();
  removeSignals();
  if (fault !== undefined) {
    console.error(`${PROG}: ${fault}`);
    if (!stuck) cleanupEal();
    return 1;
  }

  if (stall === undefined) {
    // clients stopped by the same Ctrl-C (one process group) are
    // finishing: give them a moment, so the final counts include their
    // last packets; then free what departed clients left in their rings
    // (not with a stuck pool: freeing into it would wait forever)
    for (let i = 0; i < 25 && attached(claims, numClients).length > 0; i++) {
      await pause(20);
    }
    await drainRings(rings, claims, stats);
  }
  const notes: FinalNotes = {
    left: rings.map((r) => r.count()),
    freed: rings.map((_, c) => stats.freed.get(c)),
    mbufs: { size: pool.size, in_use: pool.inUseCount() },
  };
  // with no other process of the group left and the rings empty, every
  // mbuf should be back: say how many are not (held by a process that
  // died: its burst in flight, its TX buffers)
  const alone = groupState(eal.filePrefix).others.length === 0;
  const lost = alone && notes.left.every((n) => n === 0)
    ? notes.mbufs.in_use
    : 0;
  const ethdev = ports.map((p) => {
    const s = p.stats();
    return { port: p.id, ipackets: s.ipackets, opackets: s.opackets };
  });
  if (opts.json) {
    console.log(json("final", {
      ethdev,
      ...notes,
      ...(lost > 0 ? { lost } : {}),
      ...(stall !== undefined ? { stuck: stall } : {}),
    }));
  } else {
    console.log(`\nFinal statistics\n${screen(take(), false)}`);
    console.log(finalLines(notes));
  }
  if (lost > 0) {
    console.error(
      `${PROG}: ${lost} mbuf(s) did not come back to the pool: held by ` +
        "processes of the group that ended without returning them (a " +
        "client killed with packets in flight or in its TX buffers)",
    );
  }
  if (stall !== undefined) {
    return EXIT_STUCK; // no cleanup: a thread may spin inside DPDK
  }
  for (const p of ports) {
    try {
      p.stop();
    } catch (e) {
      console.error(`${PROG}: ${(e as Error).message}`);
    }
  }
  if (!stuck) cleanupEal();
  return stuck ? 1 : 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (e) {
    console.error(`${PROG}: ${faultLine(e)}`);
    cleanupEal();
    Deno.exit(1);
  }
}
