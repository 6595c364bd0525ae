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
 * statistics (mbufs left in the rings of clients that are gone go back to
 * the pool); `--json` prints the statistics as JSON lines; `--wait-clients`
 * holds forwarding until all clients are attached; clients are registered
 * so a duplicate client ID or a shared lcore ID is refused.
 *
 * @module
 */

import {
  cleanupEal,
  DpdkError,
  freeMbufs,
  launchLcores,
  type LcoreGroup,
  MAX_ETHPORTS,
  Mempool,
  type Port,
  ptrArray,
  Ring,
} from "../mod.ts";
import {
  onShutdown,
  openPorts,
  pairPorts,
  parsePortmask,
  startEal,
  UsageError,
} from "./common.ts";
import {
  clientRingName,
  MAX_CLIENTS,
  PKTMBUF_POOL_NAME,
  PortInfo,
  Registry,
} from "./client_server_mp/shared.ts";
import type { ServerLoopData } from "./client_server_mp/server_worker.ts";
import { screen, type Snapshot, snapshot } from "./client_server_mp/stats.ts";

const PROG = "mp_server";
const MBUF_CACHE_SIZE = 512;
const RX_DESC_DEFAULT = 1024;
const TX_DESC_DEFAULT = 1024;
const CLIENT_QUEUE_RINGSIZE = 128;

/** The application's options (after `--`). */
interface Options {
  ports: number[];
  numClients: number;
  /** Show the statistics screen even with a single lcore. */
  stats: boolean;
  /** Statistics as JSON lines instead of the screen. */
  json: boolean;
  /** Forward only once every client is attached. */
  waitClients: boolean;
}

const USAGE = `${PROG} [EAL options] -- -p PORTMASK -n NUM_CLIENTS [options]
 -p PORTMASK: hexadecimal bitmask of ports to use
 -n NUM_CLIENTS: number of client processes to use (1..${MAX_CLIENTS})
 --stats: show statistics every second (default: when given 2+ lcores)
 --json: statistics as JSON lines, every second and at exit
 --wait-clients: forward only once all NUM_CLIENTS clients are attached`;

/** Parses `-p PORTMASK -n NUM_CLIENTS` and our long options. */
function parseAppArgs(args: string[]): Options {
  let mask: string | undefined;
  let clients: string | undefined;
  const opts = { stats: false, json: false, waitClients: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = () => {
      if (a.length > 2) return a.slice(2); // -p3
      if (i + 1 >= args.length) throw new UsageError(`${a} needs a value`);
      return args[++i];
    };
    if (a.startsWith("-p")) mask = value();
    else if (a.startsWith("-n")) clients = value();
    else if (a === "--stats") opts.stats = true;
    else if (a === "--json") opts.json = true;
    else if (a === "--wait-clients") opts.waitClients = true;
    else throw new UsageError(`unknown option '${a}'`);
  }
  const ports = parsePortmask(mask);
  if (clients === undefined) throw new UsageError("-n NUM_CLIENTS is missing");
  const numClients = Number(clients);
  if (
    !/^\d+$/.test(clients) || numClients < 1 || numClients > MAX_CLIENTS
  ) {
    throw new UsageError(
      `invalid number of clients '${clients}': expected 1..${MAX_CLIENTS} ` +
        `(MAX_CLIENTS of the shared port info)`,
    );
  }
  pairPorts(ports); // an even number of ports
  return { ports, numClients, ...opts };
}

/** `init_port`: 1 RX queue, one TX queue per client, started. */
function initPort(port: Port, numClients: number, pool: Mempool): void {
  const out = Deno.stdout;
  out.writeSync(new TextEncoder().encode(`Port ${port.id} init ... `));
  port.configure({ rxQueues: 1, txQueues: numClients });
  const desc = port.adjustDescriptors(RX_DESC_DEFAULT, TX_DESC_DEFAULT);
  port.setupRxQueue(0, desc.rx, pool);
  for (let q = 0; q < numClients; q++) port.setupTxQueue(q, desc.tx);
  port.promiscuous();
  port.start();
  console.log("done: ");
}

/** `check_all_ports_link_status`: up to 9 s, then each port's link. */
async function checkLinks(ports: Port[]): Promise<void> {
  const enc = new TextEncoder();
  Deno.stdout.writeSync(enc.encode("\nChecking link status"));
  for (let i = 0; i < 90 && !ports.every((p) => p.link().up); i++) {
    Deno.stdout.writeSync(enc.encode("."));
    await new Promise((r) => setTimeout(r, 100));
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

/**
 * Frees the mbufs waiting in the rings of clients that are not running,
 * so they go back to the pool. A ring whose client is registered as live
 * is left to it; a ring that still drains (a C client, which does not
 * register) is left too.
 */
async function drainRings(rings: Ring[], registry: Registry): Promise<void> {
  const idle = rings.map((r, c) => registry.clientPid(c) === 0 ? r.count() : 0);
  if (idle.every((n) => n === 0)) return;
  await pause(200);
  const objs = ptrArray(32);
  rings.forEach((r, c) => {
    if (idle[c] === 0 || r.count() !== idle[c]) return;
    for (let n; (n = r.dequeueBurst(objs, 32)) > 0;) {
      freeMbufs(objs, n);
      registry.freed.add(c, n);
    }
  });
}

async function main(): Promise<number> {
  const eal = startEal(Deno.args, PROG);
  if (eal.processType !== "primary") {
    console.error(
      `${PROG}: must run as the primary process: drop --proc-type=secondary ` +
        `(clients are the secondaries)`,
    );
    cleanupEal();
    return 1;
  }
  let opts: Options;
  let ports: Port[];
  try {
    opts = parseAppArgs(eal.args);
    ports = openPorts(opts.ports);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`${PROG}: ${e.message}\n${USAGE}`);
    cleanupEal();
    return 1;
  }
  const { numClients } = opts;

  const portInfo = PortInfo.reserve();
  portInfo.setPorts(opts.ports);
  const registry = Registry.create(numClients);
  registry.claimLcores(eal.lcores);

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
  console.log("APP: Finished Process Init.");

  let group: LcoreGroup | undefined;
  let stopping = false;
  const removeSignals = onShutdown((sig) => {
    stopping = true;
    console.log(`\n${PROG}: ${sig}: stopping`);
    group?.stop();
  });

  if (opts.waitClients) {
    console.log(`Waiting for ${numClients} client(s) to attach ...`);
    let last = -1;
    while (!stopping) {
      const k = registry.attached().length;
      if (k !== last) console.log(`${k}/${numClients} clients attached`);
      last = k;
      if (k === numClients) break;
      await pause(50);
    }
  }

  const macs = ports.map((p) => p.mac());
  const take = (): Snapshot =>
    snapshot(ports, macs, numClients, portInfo, registry);
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

  if (!stopping) {
    const data: ServerLoopData = {
      ports: opts.ports,
      rings: rings.map((r) => r.address),
    };
    group = launchLcores(
      new URL("./client_server_mp/server_worker.ts", import.meta.url),
      { lcores: [eal.mainLcore], data },
    );
    if (stopping) group.stop();
    try {
      await group.join();
    } catch (e) {
      console.error(`${PROG}: forwarding failed: ${(e as Error).message}`);
    }
  }
  clearInterval(timer);
  removeSignals();

  // clients stopped by the same Ctrl-C (one process group) are finishing:
  // give them a moment, so the final counts include their last packets
  for (let i = 0; i < 25 && registry.attached().length > 0; i++) {
    await pause(20);
  }
  await drainRings(rings, registry);
  const left = rings.map((r) => r.count());
  const ethdev = ports.map((p) => {
    const s = p.stats();
    return { port: p.id, ipackets: s.ipackets, opackets: s.opackets };
  });
  const mbufs = { size: pool.size, in_use: pool.inUseCount() };
  const freed = rings.map((_, c) => registry.freed.get(c));
  if (opts.json) {
    console.log(json("final", { ethdev, left, freed, mbufs }));
  } else {
    console.log(`\nFinal statistics\n${screen(take(), false)}`);
    console.log(
      `Mbufs in client rings: ${
        left.reduce((a, b) => a + b, 0)
      } left for running clients, ` +
        `${freed.reduce((a, b) => a + b, 0)} freed at exit`,
    );
    console.log(`Mbufs in use: ${mbufs.in_use} of ${mbufs.size}`);
  }
  for (const p of ports) {
    try {
      p.stop();
    } catch (e) {
      console.error(`${PROG}: ${(e as Error).message}`);
    }
  }
  registry.releaseLcores(eal.lcores);
  cleanupEal();
  return 0;
}

if (import.meta.main) {
  if (MAX_ETHPORTS !== 32) throw new Error("port_info layout needs 32 ports");
  try {
    Deno.exit(await main());
  } catch (e) {
    if (!(e instanceof DpdkError)) throw e;
    console.error(`${PROG}: ${e.message}`);
    cleanupEal();
    Deno.exit(1);
  }
}
