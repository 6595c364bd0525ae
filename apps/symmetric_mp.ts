/**
 * symmetric_mp: DPDK's symmetric multi-process sample in TypeScript.
 *
 * Several identical processes forward packets between port pairs
 * (0 <-> 1, 2 <-> 3, ...). The first process (the primary) creates the
 * mbuf pool and configures every port of the mask with N RX and N TX
 * queues, RSS on IP (with the C sample's fallbacks, see
 * `configurePortLikeSamples` in common.ts); each process then polls RX
 * queue `proc-id` of every port and sends on TX queue `proc-id` of the
 * paired port.
 *
 * ```
 * deno run -A apps/symmetric_mp.ts <EAL args> -- -p PORTMASK --num-procs N --proc-id I
 * ```
 *
 * Beyond the C version:
 * - A TypeScript primary leaves a record (memzone `smp_ts_group`) of N and
 *   the port mask; a secondary with another N or mask is refused, saying
 *   what differs. With a C primary there is no record: those checks are
 *   skipped (and said so), but N is still checked against the RX queues
 *   the primary configured.
 * - Each process claims its proc-id in a claim table (`smp_ts_proc_ids`,
 *   the library's `ClaimTable`): a proc-id already running is refused,
 *   naming its process; one whose process died may start again.
 * - Lcore IDs are claimed by `initEal` for every process: one given an
 *   lcore ID another process of the group holds is refused, naming it.
 * - A primary started while processes of a previous (dead) primary still
 *   run is refused before EAL touches the group, naming them: EAL would
 *   otherwise fail with "Cannot allocate memzone list" after resetting the
 *   memory those processes run on (they then crash). A process restarted
 *   with `--proc-type=secondary` joins them, as in C.
 * - The pool and each lcore's loop are watched: when a process killed
 *   inside a pool operation leaves the pool's ring half-updated (DPDK
 *   cannot recover that; every other process then waits on it forever),
 *   each process says which object is stuck and which process likely
 *   caused it, prints its counts and exits with status 3.
 * - Standard output closed or full: one line, a clean exit, status 1.
 *
 * @module
 */

import {
  ClaimTable,
  cleanupEal,
  describeStall,
  DpdkError,
  GroupWatch,
  HealthWatch,
  launchLcores,
  type LcoreGroup,
  Mempool,
  Memzone,
  PktmbufPool,
  Port,
  type ProcessType,
  RTE,
} from "../mod.ts";
import {
  configurePortLikeSamples,
  faultLine,
  guardStdout,
  onShutdown,
  onUncaught,
  openPorts,
  pairPorts,
  parsePortmask,
  portmaskOf,
  shorten,
  startEal,
  UsageError,
  watchPrimary,
  writeOut,
} from "./common.ts";
import type lcoreMain from "./symmetric_mp_worker.ts";
import {
  STAT_DROP,
  STAT_RX,
  STAT_TX,
  STATS_STRIDE,
} from "./symmetric_mp_worker.ts";

const PROG = "symmetric_mp";
/** The app's options (after `--`) that EAL does not have. */
const APP_OPTIONS = ["-p", "--num-procs", "--proc-id"];
/** A pool or lcore stuck this long is a stall. */
const STALL_MS = 1000;
/** Exit status when the group is stuck (the pool half-updated). */
export const EXIT_STUCK = 3;
const NB_MBUFS = 64 * 1024;
const MBUF_CACHE_SIZE = 256;
const RX_RING_SIZE = 1024;
const TX_RING_SIZE = 1024;
/** The pool's name: the C original's, so C and TypeScript processes mix. */
const POOL_NAME = "SMP_MBUF_POOL";

// ---------------------------------------------------------------- arguments

/** The application's options (after `--`). */
export interface SmpOptions {
  /** Port IDs of the mask, ascending. */
  ports: number[];
  /** The port mask, as a number. */
  mask: number;
  /** undefined: not given (allowed in a secondary, as in C). */
  numProcs: number | undefined;
  /** This process's proc-id: its queue on every port. */
  procId: number;
}

function usage(message: string): never {
  console.error(
    `\nError: ${message}\n\n` +
      `${PROG} [EAL options] -- -p <port mask> --num-procs <n> --proc-id <id>\n` +
      `-p         : a hex bitmask indicating what ports are to be used\n` +
      `--num-procs: the number of processes which will be used\n` +
      `--proc-id  : the id of the current process (id < num-procs)\n`,
  );
  cleanupEal();
  Deno.exit(1);
}

function parseCount(name: string, text: string | undefined): number {
  if (text === undefined || !/^\d+$/.test(text)) {
    throw new UsageError(`Invalid or missing ${name} parameter`);
  }
  if (!Number.isSafeInteger(Number(text))) {
    throw new UsageError(`--${name} ${shorten(text)} is too large`);
  }
  return Number(text);
}

/** The options C's getopt_long accepts: `-p`, `--num-procs`, `--proc-id`. */
const OPTIONS: Record<string, "p" | "num-procs" | "proc-id"> = {
  "-p": "p",
  "--num-procs": "num-procs",
  "--proc-id": "proc-id",
};

/**
 * Splits the arguments as getopt_long does for these three options: a
 * value is the next argument (even an empty or dash-led one), or joined
 * (`-p3`, `--proc-id=1`). Throws UsageError for anything else.
 */
function getOptions(
  args: string[],
): Partial<Record<"p" | "num-procs" | "proc-id", string>> {
  const out: Partial<Record<"p" | "num-procs" | "proc-id", string>> = {};
  const unknown: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const key = eq >= 0 ? arg.slice(0, eq) : arg.startsWith("-p") ? "-p" : arg;
    const name = Object.hasOwn(OPTIONS, key) ? OPTIONS[key] : undefined;
    if (name === undefined) {
      unknown.push(arg);
      continue;
    }
    const joined = eq >= 0 ? arg.slice(eq + 1) : arg.slice(key.length);
    if (joined !== "" || eq >= 0) out[name] = joined;
    else if (i + 1 < args.length) out[name] = args[++i];
  }
  if (unknown.length > 0) {
    throw new UsageError(
      `Cannot parse all command-line arguments: ${
        shorten(unknown.join(" "), 80)
      }`,
    );
  }
  return out;
}

/**
 * Parses `-p PORTMASK --num-procs N --proc-id I` as the C version does
 * (`--num-procs` may be left out in a secondary). Pure: the limits are
 * parameters, read from the shim only when not given.
 *
 * @param args the application's arguments (after `--`)
 * @param type the process type (a primary needs `--num-procs`)
 * @param maxProcs most processes in a group: one per lcore ID
 *   (`RTE_MAX_LCORE`), as each needs its own
 * @param maxPorts port IDs allowed in the mask (`RTE_MAX_ETHPORTS`)
 * @throws UsageError saying what is wrong
 */
export function parseAppArgs(
  args: string[],
  type: ProcessType,
  maxProcs: number = RTE.RTE_MAX_LCORE,
  maxPorts: number = RTE.RTE_MAX_ETHPORTS,
): SmpOptions {
  const a = getOptions(args);
  const procId = parseCount("proc-id", a["proc-id"]);
  let numProcs: number | undefined;
  if (a["num-procs"] !== undefined || type === "primary") {
    numProcs = parseCount("num-procs", a["num-procs"]);
    if (numProcs === 0) throw new UsageError("--num-procs must be at least 1");
    if (numProcs > maxProcs) {
      throw new UsageError(
        `--num-procs ${
          shorten(String(a["num-procs"]))
        } is above ${maxProcs}, ` +
          `the number of lcore IDs (each process needs its own)`,
      );
    }
    checkProcId(procId, numProcs, "");
  }
  const ports = parsePortmask(a.p, maxPorts);
  return { ports, mask: portmaskOf(ports), numProcs, procId };
}

/**
 * Throws UsageError unless `procId` is below `numProcs` (`whose` names
 * where N comes from, e.g. "the group's ").
 */
export function checkProcId(
  procId: number,
  numProcs: number,
  whose = "",
): void {
  if (procId >= numProcs) {
    throw new UsageError(
      `--proc-id ${procId} is out of range: ${whose}` +
        `--num-procs is ${numProcs}, so proc-id must be below ${numProcs}`,
    );
  }
}

const hex = (mask: number) => "0x" + mask.toString(16);

// ------------------------------------------------------------ group record

/** Name of the group record: nothing of the C original's is named so. */
const GROUP_ZONE = "smp_ts_group";
/** Name of the proc-id claim table. */
export const PROC_CLAIMS = "smp_ts_proc_ids";
/** Marks a complete record (the app's own value, not DPDK's). */
const MAGIC = 0x534d5032; // "SMP2"
// u32 words of the record
const W_MAGIC = 0;
const W_READY = 1; // 1 once the primary has configured the ports
const W_NUM_PROCS = 2;
const W_MASK_LO = 3;
const W_MASK_HI = 4;
const WORDS = 5;

/**
 * What a TypeScript primary tells its secondaries: N, the port mask, and
 * whether the ports are configured. A memzone of u32 words; the magic is
 * written last, so a reader sees a complete record or none.
 */
class GroupRecord {
  readonly #w: Uint32Array<ArrayBuffer>;

  private constructor(zone: Memzone) {
    this.#w = new Uint32Array(zone.buffer, 0, WORDS);
  }

  /** Creates the record (primary), with N and the mask, not ready yet. */
  static create(numProcs: number, mask: number): GroupRecord {
    const rec = new GroupRecord(
      Memzone.reserve(GROUP_ZONE, WORDS * Uint32Array.BYTES_PER_ELEMENT),
    );
    rec.#w[W_NUM_PROCS] = numProcs;
    rec.#w[W_MASK_LO] = mask % 2 ** 32;
    rec.#w[W_MASK_HI] = Math.floor(mask / 2 ** 32);
    Atomics.store(rec.#w, W_MAGIC, MAGIC);
    return rec;
  }

  /** The record of a TypeScript primary, or undefined (C primary). */
  static find(): GroupRecord | undefined {
    let zone: Memzone;
    try {
      zone = Memzone.lookup(GROUP_ZONE);
    } catch (e) {
      if (e instanceof DpdkError) return undefined;
      throw e;
    }
    const rec = new GroupRecord(zone);
    return Atomics.load(rec.#w, W_MAGIC) === MAGIC ? rec : undefined;
  }

  /** N, as the primary was given it. */
  get numProcs(): number {
    return this.#w[W_NUM_PROCS];
  }

  /** The primary's port mask. */
  get mask(): number {
    return this.#w[W_MASK_HI] * 2 ** 32 + this.#w[W_MASK_LO];
  }

  /** Marks the ports configured: secondaries may go on. */
  markReady(): void {
    Atomics.store(this.#w, W_READY, 1);
  }

  /** Waits (up to `timeoutMs`) for the primary to configure the ports. */
  async waitReady(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Atomics.load(this.#w, W_READY) !== 1) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 10));
    }
    return true;
  }
}

// --------------------------------------------------------------- the ports

/** Configures and starts a port as `smp_port_init` does (primary only). */
function smpPortInit(port: Port, pool: PktmbufPool, numQueues: number): void {
  writeOut(`# Initialising port ${port.id}... `);
  configurePortLikeSamples(port, {
    rxQueues: numQueues,
    txQueues: numQueues,
    rssHf: RTE.RTE_ETH_RSS_IP,
    rxChecksum: true,
    fastFree: true,
  });
  const { rx, tx } = port.adjustDescriptors(RX_RING_SIZE, TX_RING_SIZE);
  for (let q = 0; q < numQueues; q++) {
    port.setupRxQueue(q, rx, pool, { dropWhenFull: true }); // C: rx_drop_en
  }
  for (let q = 0; q < numQueues; q++) port.setupTxQueue(q, tx);
  port.promiscuous();
  port.start();
}

/** A link speed in Mbps as the C sample prints it. */
export function speedText(mbps: number): string {
  if (mbps === 0) return "None";
  if (mbps === 0xffffffff) return "Unknown"; // RTE_ETH_SPEED_NUM_UNKNOWN
  return mbps >= 1000 ? `${mbps / 1000} Gbps` : `${mbps} Mbps`;
}

/** Waits up to 9 s for every link to be up, then prints them (as C). */
async function checkAllPortsLinkStatus(ports: Port[]): Promise<void> {
  const out = writeOut;
  out("\nChecking link status");
  for (let count = 0; count <= 90; count++) {
    if (ports.every((p) => p.link().up)) break;
    out(".");
    await new Promise((r) => setTimeout(r, 100));
  }
  out("done\n");
  for (const p of ports) {
    const l = p.link();
    console.log(
      l.up
        ? `Port ${p.id} Link up at ${speedText(l.speed)} ${
          l.fullDuplex ? "FDX" : "HDX"
        }`
        : `Port ${p.id} Link down`,
    );
  }
}

/**
 * Checks a secondary's options against how the primary configured the
 * ports (works with a C primary too): every port configured, with N
 * queues. Returns N.
 */
function checkPortsConfigured(
  ports: Port[],
  numProcs: number | undefined,
): number {
  let n = numProcs;
  for (const p of ports) {
    const q = p.info().rxQueues;
    if (q === 0) {
      throw new UsageError(
        `port ${p.id} was not configured by the primary: is it in the ` +
          `primary's port mask?`,
      );
    }
    n ??= q;
    if (q !== n) {
      throw new UsageError(
        `--num-procs ${n} differs from the ${q} RX queues the primary ` +
          `configured on port ${p.id}`,
      );
    }
  }
  return n!;
}

/**
 * Splits the port pairs among the lcores, as `assign_ports_to_cores` in
 * C: each lcore gets `pairs / lcores` pairs, the first `pairs % lcores`
 * one more. Returns, per lcore ID, the index of its first port in the
 * port list and how many ports it has (0: nothing to do).
 */
export function assignPortsToCores(
  lcores: number[],
  numPorts: number,
): Map<number, { start: number; count: number }> {
  const pairs = Math.floor(numPorts / 2);
  const perLcore = Math.floor(pairs / lcores.length);
  let extra = pairs % lcores.length;
  let assigned = 0;
  const out = new Map<number, { start: number; count: number }>();
  for (const l of lcores) {
    let count = perLcore * 2;
    if (extra > 0) {
      count += 2;
      extra--;
    }
    out.set(l, { start: assigned, count });
    assigned += count;
  }
  return out;
}

/**
 * The forwarding paths of `ports` (in pairs: ports[i] forwards to
 * ports[i ^ 1]): from RX queue `queue` of each to TX queue `queue` of its
 * partner, as port IDs.
 */
export function forwardingPaths(
  ports: number[],
  queue: number,
): { rxPort: number; txPort: number; queue: number }[] {
  return ports.map((p, i) => ({ rxPort: p, txPort: ports[i ^ 1], queue }));
}

/**
 * The exit report of C's `print_stats`: `Port P: RX - r, TX - t, Drop - d`
 * for each port, from the counts the lcores kept (`STATS_STRIDE` slots per
 * port ID).
 */
export function formatPortStats(
  ports: number[],
  stats: Float64Array,
): string {
  return ports.map((p) => {
    const i = p * STATS_STRIDE;
    return `Port ${p}: RX - ${stats[i + STAT_RX]}, TX - ${
      stats[i + STAT_TX]
    }, Drop - ${stats[i + STAT_DROP]}`;
  }).join("\n");
}

// -------------------------------------------------------------------- main

function fail(message: string): never {
  console.error(`${PROG}: ${message}`);
  cleanupEal();
  Deno.exit(1);
}

/** What the exit handler needs, filled in as the process starts. */
const run: {
  ports: number[];
  procId: number;
  primary: boolean;
  stats?: Float64Array<SharedArrayBuffer>;
  procClaims?: ClaimTable;
  group?: LcoreGroup;
  stopWatching?: () => void;
  stopHealth?: () => void;
  /** The group is stuck: what and why (set by the health watch). */
  stall?: string;
  exiting: boolean;
} = {
  exiting: false,
  ports: [],
  procId: -1,
  primary: false,
};

/**
 * SIGINT/SIGTERM (or a stuck group, signum 0): stop the lcores, print this
 * process's counts, exit.
 */
async function printStatsAndExit(signum: number, code = 0): Promise<void> {
  if (run.exiting) return;
  run.exiting = true;
  run.stopWatching?.();
  run.stopHealth?.();
  let stuck = false;
  await run.group?.stopAndJoin(run.stall ? 1000 : 5000).catch((e) => {
    stuck = true; // a loop spins inside DPDK
    console.error(`${PROG}: ${(e as Error).message}`);
  });
  try {
    if (signum > 0) console.log(`\nExiting on signal ${signum}\n`);
    else console.log(`\nExiting\n`);
    if (run.stats) console.log(formatPortStats(run.ports, run.stats));
  } catch (e) {
    console.error(`${PROG}: ${faultLine(e)}`); // stdout closed or full
    code ||= 1;
  }
  run.procClaims?.release(run.procId);
  if (run.stall !== undefined) {
    Deno.exit(EXIT_STUCK); // no cleanup: a thread may spin inside DPDK
  }
  // Not in the primary: DPDK 22.11's rte_eal_cleanup() removes the
  // virtual devices, which releases the ports under the secondaries
  // still forwarding (and C's symmetric_mp exits without it too). Its
  // claims (lcore IDs, proc-id) are taken over once it has exited.
  if (!run.primary && !stuck) cleanupEal();
  Deno.exit(stuck ? 1 : code);
}

/**
 * Claims `procId` in the group's proc-id table (one slot per possible
 * process). Throws UsageError naming the process that runs it.
 */
function claimProcId(procId: number): ClaimTable {
  const table = ClaimTable.open(PROC_CLAIMS, RTE.RTE_MAX_LCORE);
  const holder = table.claim(procId);
  if (holder !== undefined) {
    throw new UsageError(
      `proc-id ${procId} is already running (pid ${holder.pid})`,
    );
  }
  return table;
}

/**
 * An error nothing caught (stdout closed or full, ...): one line, then the
 * same clean exit as a signal's (status 1).
 */
function fatal(line: string): void {
  if (run.group === undefined) fail(line);
  console.error(`${PROG}: ${line}`);
  printStatsAndExit(0, 1);
}

async function main(): Promise<void> {
  guardStdout();
  const eal = startEal(Deno.args, PROG, {
    appOptions: APP_OPTIONS,
    needsPrimary: false, // a secondary restarted after it died goes on
  });
  // as soon as EAL runs, before anything is announced or launched (not
  // before EAL: an init that hangs in DPDK could then not be stopped)
  onShutdown((_sig, signum) => printStatsAndExit(signum));
  onUncaught(fatal);
  if (Port.count() === 0) fail("No Ethernet ports - bye");

  let opts: SmpOptions;
  let ports: Port[];
  try {
    opts = parseAppArgs(eal.args, eal.processType);
    pairPorts(opts.ports);
    ports = openPorts(opts.ports);
  } catch (e) {
    if (e instanceof UsageError) usage(e.message);
    throw e;
  }
  const { procId } = opts;
  const primary = eal.processType === "primary";
  run.ports = opts.ports;
  run.procId = procId;
  run.primary = primary;
  run.stats = new Float64Array(
    new SharedArrayBuffer(
      Float64Array.BYTES_PER_ELEMENT * STATS_STRIDE * RTE.RTE_MAX_ETHPORTS,
    ),
  );

  let record: GroupRecord | undefined;
  let numProcs: number;
  try {
    if (primary) {
      numProcs = opts.numProcs!;
      record = GroupRecord.create(numProcs, opts.mask);
    } else {
      record = GroupRecord.find();
      if (record === undefined) {
        console.log(
          `${PROG}: no record of a TypeScript primary (a C primary?): ` +
            `the checks of N and the port mask against the group are skipped`,
        );
      } else {
        if (!(await record.waitReady())) {
          fail("the primary has not finished configuring the ports");
        }
        if (opts.numProcs !== undefined && opts.numProcs !== record.numProcs) {
          throw new UsageError(
            `--num-procs ${opts.numProcs} differs from the group's ` +
              `${record.numProcs} (set by the primary)`,
          );
        }
        if (opts.mask !== record.mask) {
          throw new UsageError(
            `port mask ${hex(opts.mask)} differs from the group's ` +
              `${hex(record.mask)} (set by the primary)`,
          );
        }
      }
      numProcs = checkPortsConfigured(ports, opts.numProcs ?? record?.numProcs);
      checkProcId(procId, numProcs, "the group's ");
    }
    run.procClaims = claimProcId(procId);
  } catch (e) {
    if (e instanceof UsageError) fail(e.message);
    throw e;
  }

  let pool: PktmbufPool;
  try {
    pool = primary
      ? Mempool.createPktmbuf(POOL_NAME, NB_MBUFS, {
        cacheSize: MBUF_CACHE_SIZE,
      })
      : PktmbufPool.lookup(POOL_NAME);
  } catch (e) {
    if (e instanceof DpdkError) {
      fail(`Cannot get memory pool for buffers (${e.message})`);
    }
    throw e;
  }

  if (primary) {
    try {
      for (const p of ports) smpPortInit(p, pool, numProcs);
    } catch (e) {
      if (e instanceof DpdkError) {
        console.log();
        fail(`Error initialising ports: ${e.message}`);
      }
      throw e;
    }
    record!.markReady();
    await checkAllPortsLinkStatus(ports);
  }

  // one lcore per port pair, or more pairs per lcore, as in C
  const cores = assignPortsToCores(eal.lcores, ports.length);
  console.log("APP: Finished Process Init.");
  const busy: number[] = [];
  for (const [lcore, { start, count }] of cores) {
    if (count === 0) {
      console.log(`Lcore ${lcore} has nothing to do`);
      continue;
    }
    busy.push(lcore);
    const used = opts.ports.slice(start, start + count);
    console.log(`Lcore ${lcore} using ports ${used.join(" ")} `);
    console.log(`lcore ${lcore} using queue ${procId} of each port`);
  }

  // the queues, checked once against the ports: each process uses its
  // proc-id's queue on every port
  const byId = new Map(ports.map((p) => [p.id, p]));
  const stats = run.stats;
  const progress = new Int32Array(new SharedArrayBuffer(4 * busy.length));
  run.group = launchLcores<typeof lcoreMain>(
    new URL("./symmetric_mp_worker.ts", import.meta.url),
    {
      lcores: busy,
      data: (lcore) => {
        const { start, count } = cores.get(lcore)!;
        const mine = opts.ports.slice(start, start + count);
        return {
          paths: forwardingPaths(mine, procId).map((f) => ({
            rx: byId.get(f.rxPort)!.rxQueue(f.queue),
            tx: byId.get(f.txPort)!.txQueue(f.queue),
          })),
          pool,
          stats: stats.buffer,
          progress: progress.buffer,
        };
      },
    },
  );

  // the pool every process takes from and frees into, and each lcore's
  // loop: a process killed inside a pool operation wedges the group
  let started = false;
  run.group.started.then(() => started = true, () => {});
  const members = new GroupWatch();
  const health = new HealthWatch({ stallMs: STALL_MS })
    .watchPool(pool)
    .onSample((now) => members.sample(now));
  busy.forEach((l, i) =>
    health.watchProgress(
      `lcore ${l} of symmetric_mp proc-id ${procId}`,
      () => progress[i],
      () => started && !run.exiting,
    )
  );
  run.stopHealth = () => health.stop();
  health.start((stalls) => {
    run.stall = `${PROG}: the group is stuck: ${
      describeStall(stalls[0], members.ended())
    } Stop every process of the group and start again.`;
    console.error(`\n${run.stall}`);
    printStatsAndExit(0);
  });

  run.stopWatching = watchPrimary(() =>
    console.log(
      `${PROG}: the primary process has exited; forwarding goes on ` +
        `(a process restarted now needs --proc-type=secondary)`,
    )
  );

  try {
    await run.group.join(); // before a signal, returns only if a worker failed
  } catch (e) {
    console.error(`${PROG}: ${(e as Error).message}`);
    run.procClaims?.release(procId);
    Deno.exit(1);
  }
}

if (import.meta.main) await main().catch((e) => fatal(faultLine(e)));
