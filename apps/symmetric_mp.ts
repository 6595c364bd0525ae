/**
 * symmetric_mp: DPDK's symmetric multi-process sample in TypeScript.
 *
 * Several identical processes forward packets between port pairs
 * (0 <-> 1, 2 <-> 3, ...). The first process (the primary) creates the
 * mbuf pool and configures every port of the mask with N RX and N TX
 * queues, RSS on IP; each process then polls RX queue `proc-id` of every
 * port and sends on TX queue `proc-id` of the paired port.
 *
 * ```
 * deno run -A apps/symmetric_mp.ts <EAL args> -- -p PORTMASK --num-procs N --proc-id I
 * ```
 *
 * Beyond the C version, the TypeScript processes of a group share a record
 * (memzone `smp_ts_group`): N and the port mask set by the primary, and for
 * each proc-id the process running it and its lcore IDs. A process with
 * another N or mask, a proc-id out of range or already running, or an lcore
 * ID another process uses, is refused with a message saying what differs.
 * A group whose primary is the C original has no record: the checks that
 * need it are skipped (and said so).
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import {
  cleanupEal,
  DpdkError,
  launchLcores,
  type LcoreGroup,
  MAX_ETHPORTS,
  Mempool,
  Memzone,
  Port,
  processAlive,
  processStartTime,
  type ProcessType,
  RSS_IP,
} from "../mod.ts";
import {
  onShutdown,
  openPorts,
  pairPorts,
  parsePortmask,
  portmaskOf,
  startEal,
  UsageError,
  watchPrimary,
} from "./common.ts";
import {
  type SmpLcoreData,
  STAT_DROP,
  STAT_RX,
  STAT_TX,
  STATS_STRIDE,
} from "./symmetric_mp_worker.ts";

const PROG = "symmetric_mp";
const NB_MBUFS = 64 * 1024;
const MBUF_CACHE_SIZE = 256;
const RX_RING_SIZE = 1024;
const TX_RING_SIZE = 1024;
/** The pool's name: the C original's, so C and TypeScript processes mix. */
const POOL_NAME = "SMP_MBUF_POOL";

// ---------------------------------------------------------------- arguments

/** The application's options (after `--`). */
interface SmpOptions {
  ports: number[];
  mask: number;
  /** undefined: not given (allowed in a secondary, as in C). */
  numProcs: number | undefined;
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
  return Number(text);
}

/** Parses `-p PORTMASK --num-procs N --proc-id I` as the C version does. */
function parseAppArgs(args: string[], type: ProcessType): SmpOptions {
  const unknown: string[] = [];
  const a = parseArgs(args, {
    string: ["p", "num-procs", "proc-id"],
    unknown: (arg: string) => {
      unknown.push(arg);
      return false;
    },
  });
  if (unknown.length > 0 || a._.length > 0) {
    throw new UsageError(
      `Cannot parse all command-line arguments: ${
        [...unknown, ...a._].join(" ")
      }`,
    );
  }
  const procId = parseCount("proc-id", a["proc-id"]);
  let numProcs: number | undefined;
  if (a["num-procs"] !== undefined || type === "primary") {
    numProcs = parseCount("num-procs", a["num-procs"]);
    if (numProcs === 0) throw new UsageError("--num-procs must be at least 1");
    if (numProcs > MAX_PROCS) {
      throw new UsageError(
        `--num-procs ${numProcs} is above ${MAX_PROCS}, the number of lcore ` +
          `IDs (each process needs its own)`,
      );
    }
    checkProcId(procId, numProcs, "");
  }
  const ports = parsePortmask(a.p);
  return { ports, mask: portmaskOf(ports), numProcs, procId };
}

function checkProcId(procId: number, numProcs: number, whose: string): void {
  if (procId >= numProcs) {
    throw new UsageError(
      `--proc-id ${procId} is out of range: ${whose}--num-procs is ` +
        `${numProcs}, so proc-id must be below ${numProcs}`,
    );
  }
}

const hex = (mask: number) => "0x" + mask.toString(16);

// ------------------------------------------------------------ group record

/** Most processes a group can record: one per lcore ID (RTE_MAX_LCORE). */
const MAX_PROCS = 128;
/** Name of the record: nothing of the C original's is named so. */
const GROUP_ZONE = "smp_ts_group";
const MAGIC = 0x534d5031; // "SMP1"
// header words
const H_MAGIC = 0;
const H_LOCK = 1; // pid of the process holding the lock, 0 when free
const H_READY = 2; // 1 once the primary has configured the ports
const H_NUM_PROCS = 3;
const H_MASK = 4;
const HEADER_WORDS = 8;
// slot words, one slot per proc-id
const S_PID = 0;
const S_START_LO = 1; // the process's start time, to tell a reused pid
const S_START_HI = 2;
const S_LCORES = 3; // 4 words: bitmask of the process's lcore IDs
const SLOT_WORDS = 8;

/**
 * The group's shared record (see the module docs). Words are 32-bit;
 * the lock word is taken with an atomic compare-and-swap, and a lock or
 * slot left by a process that died is recognised by its pid and start
 * time (`processStartTime`, which reads /proc through the shim, so the app
 * needs no file permission).
 */
class GroupRecord {
  readonly #zone: Memzone;
  readonly #w: Int32Array<ArrayBuffer>;
  readonly #me = Deno.pid;
  readonly #myStart = processStartTime(Deno.pid);

  private constructor(zone: Memzone) {
    this.#zone = zone;
    this.#w = new Int32Array(
      zone.buffer,
      0,
      HEADER_WORDS + MAX_PROCS * SLOT_WORDS,
    );
  }

  /** Creates the record (primary), with N and the mask, not ready yet. */
  static create(numProcs: number, mask: number): GroupRecord {
    const zone = Memzone.reserve(
      GROUP_ZONE,
      4 * (HEADER_WORDS + MAX_PROCS * SLOT_WORDS),
    );
    const rec = new GroupRecord(zone);
    rec.#w[H_NUM_PROCS] = numProcs;
    rec.#w[H_MASK] = mask | 0;
    Atomics.store(rec.#w, H_MAGIC, MAGIC);
    return rec;
  }

  /** The record of a TypeScript primary, or undefined (C primary). */
  static find(): GroupRecord | undefined {
    let zone: Memzone;
    try {
      zone = Memzone.lookup(GROUP_ZONE);
    } catch {
      return undefined;
    }
    const rec = new GroupRecord(zone);
    return Atomics.load(rec.#w, H_MAGIC) === MAGIC ? rec : undefined;
  }

  get numProcs(): number {
    return this.#w[H_NUM_PROCS];
  }

  get mask(): number {
    return this.#w[H_MASK] >>> 0;
  }

  /** Marks the ports configured: secondaries may go on. */
  markReady(): void {
    Atomics.store(this.#w, H_READY, 1);
  }

  /** Waits (up to `timeoutMs`) for the primary to configure the ports. */
  async waitReady(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Atomics.load(this.#w, H_READY) !== 1) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 10));
    }
    return true;
  }

  #slot(procId: number): number {
    return HEADER_WORDS + procId * SLOT_WORDS;
  }

  /** The pid running `procId`, or 0 when its slot is free or stale. */
  #runner(procId: number): number {
    const s = this.#slot(procId);
    const pid = this.#w[s + S_PID];
    if (pid === 0 || pid === this.#me) return 0;
    const start = (this.#w[s + S_START_HI] >>> 0) * 2 ** 32 +
      (this.#w[s + S_START_LO] >>> 0);
    return processAlive(pid, start) ? pid : 0;
  }

  #lock(): void {
    const deadline = Date.now() + 2000;
    const lockAt = 4 * H_LOCK;
    for (;;) {
      const holder = this.#zone.compareExchangeU32(lockAt, 0, this.#me);
      if (holder === 0) return;
      // a holder that died keeps the lock: take it over
      if (
        !processAlive(holder) &&
        this.#zone.compareExchangeU32(lockAt, holder, this.#me) === holder
      ) return;
      if (Date.now() > deadline) {
        throw new Error(`the group record is locked by pid ${holder}`);
      }
    }
  }

  #unlock(): void {
    this.#zone.compareExchangeU32(4 * H_LOCK, this.#me, 0);
  }

  /**
   * Records this process as `procId` on `lcores`; returns why it is
   * refused instead (proc-id running, lcore ID in use), or undefined.
   */
  claim(procId: number, lcores: number[]): string | undefined {
    this.#lock();
    try {
      const pid = this.#runner(procId);
      if (pid !== 0) {
        return `proc-id ${procId} is already running (pid ${pid})`;
      }
      for (let other = 0; other < MAX_PROCS; other++) {
        if (other === procId || this.#runner(other) === 0) continue;
        const s = this.#slot(other) + S_LCORES;
        const shared = lcores.filter((l) =>
          (this.#w[s + (l >> 5)] >>> (l & 31)) & 1
        );
        if (shared.length > 0) {
          return `lcore ID ${shared.join(",")} is already used by proc-id ` +
            `${other} (pid ${this.#w[this.#slot(other) + S_PID]}): give ` +
            `each process of the group its own lcore IDs (e.g. --lcores=ID@CPU)`;
        }
      }
      const s = this.#slot(procId);
      this.#w[s + S_START_LO] = this.#myStart % 2 ** 32;
      this.#w[s + S_START_HI] = Math.floor(this.#myStart / 2 ** 32);
      for (let i = 0; i < 4; i++) this.#w[s + S_LCORES + i] = 0;
      for (const l of lcores) this.#w[s + S_LCORES + (l >> 5)] |= 1 << (l & 31);
      Atomics.store(this.#w, s + S_PID, this.#me);
      return undefined;
    } finally {
      this.#unlock();
    }
  }

  /** Frees `procId`'s slot if this process holds it. */
  release(procId: number): void {
    this.#lock();
    try {
      const s = this.#slot(procId);
      if (this.#w[s + S_PID] === this.#me) Atomics.store(this.#w, s + S_PID, 0);
    } finally {
      this.#unlock();
    }
  }
}

// --------------------------------------------------------------- the ports

/** Configures and starts a port as `smp_port_init` does (primary only). */
function smpPortInit(port: Port, pool: Mempool, numQueues: number): void {
  Deno.stdout.writeSync(
    new TextEncoder().encode(`# Initialising port ${port.id}... `),
  );
  const res = port.configure({
    rxQueues: numQueues,
    txQueues: numQueues,
    rssHf: RSS_IP,
    rxChecksum: true,
    fastFree: true,
  });
  for (const note of res.notes) console.log(note);
  const { rx, tx } = port.adjustDescriptors(RX_RING_SIZE, TX_RING_SIZE);
  for (let q = 0; q < numQueues; q++) port.setupRxQueue(q, rx, pool);
  for (let q = 0; q < numQueues; q++) port.setupTxQueue(q, tx);
  port.promiscuous();
  port.start();
}

function speedText(mbps: number): string {
  if (mbps === 0) return "None";
  if (mbps === 0xffffffff) return "Unknown";
  return mbps >= 1000 ? `${mbps / 1000} Gbps` : `${mbps} Mbps`;
}

/** Waits up to 9 s for every link to be up, then prints them (as C). */
async function checkAllPortsLinkStatus(ports: Port[]): Promise<void> {
  const out = (s: string) => Deno.stdout.writeSync(new TextEncoder().encode(s));
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

/** Splits the port pairs among the lcores, as `assign_ports_to_cores`. */
function assignPortsToCores(
  lcores: number[],
  numPorts: number,
): Map<number, { start: number; count: number }> {
  const pairs = numPorts / 2;
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
  stats: Float64Array<SharedArrayBuffer>;
  record?: GroupRecord;
  group?: LcoreGroup;
  stopWatching?: () => void;
} = {
  ports: [],
  procId: -1,
  primary: false,
  stats: new Float64Array(
    new SharedArrayBuffer(8 * STATS_STRIDE * MAX_ETHPORTS),
  ),
};

/** SIGINT/SIGTERM: stop the lcores, print this process's counts, exit. */
async function printStatsAndExit(signum: number): Promise<never> {
  run.stopWatching?.();
  await run.group?.stopAndJoin().catch(() => {}); // errors: see main()
  console.log(`\nExiting on signal ${signum}\n`);
  const st = run.stats;
  for (const p of run.ports) {
    const i = p * STATS_STRIDE;
    console.log(
      `Port ${p}: RX - ${st[i + STAT_RX]}, TX - ${st[i + STAT_TX]}, ` +
        `Drop - ${st[i + STAT_DROP]}`,
    );
  }
  run.record?.release(run.procId);
  // Not in the primary: DPDK 22.11's rte_eal_cleanup() removes the
  // virtual devices, which releases the ports under the secondaries
  // still forwarding (and C's symmetric_mp exits without it too).
  if (!run.primary) cleanupEal();
  Deno.exit(0);
}

async function main(): Promise<void> {
  // as in C, the handlers are set first: a signal at any point is clean
  onShutdown((_sig, signum) => printStatsAndExit(signum));
  const eal = startEal(Deno.args, PROG);
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

  let record: GroupRecord | undefined;
  let pool: Mempool;
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
            `the checks of N, port mask, running proc-ids and lcore IDs ` +
            `against the group are skipped`,
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
    const refused = record?.claim(procId, eal.lcores);
    if (refused !== undefined) fail(refused);
    run.record = record;
  } catch (e) {
    if (e instanceof UsageError) fail(e.message);
    throw e;
  }

  try {
    pool = primary
      ? Mempool.createPktmbuf(POOL_NAME, NB_MBUFS, {
        cacheSize: MBUF_CACHE_SIZE,
      })
      : Mempool.lookup(POOL_NAME);
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

  run.group = launchLcores<SmpLcoreData>(
    new URL("./symmetric_mp_worker.ts", import.meta.url),
    {
      lcores: busy,
      data: (lcore) => {
        const { start, count } = cores.get(lcore)!;
        return {
          ports: opts.ports.slice(start, start + count),
          queue: procId,
          pool: POOL_NAME,
          stats: run.stats.buffer,
        };
      },
    },
  );

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
    record?.release(procId);
    Deno.exit(1);
  }
}

if (import.meta.main) await main();
