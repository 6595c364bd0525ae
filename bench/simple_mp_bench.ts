/**
 * Benchmark: messages between two processes through simple_mp's rings
 * (`PRI_2_SEC`, `SEC_2_PRI`, 64 entries; `MSG_POOL`, 1024 x 128 bytes,
 * cache 32), from TypeScript lcore workers and from a tight C loop
 * (bench/c/ring_loop.c, built here into build/bench/), in alternating
 * rounds; the table gives the medians and the TS/C ratio.
 *
 * - throughput: the secondary sends bursts of 32 messages (each one the
 *   decimal sequence number as a C string), the primary receives them in
 *   bursts, checks their order and frees them;
 * - round trip: the secondary sends one message, the primary sends it
 *   back, the secondary times each trip with the TSC;
 * - and the app itself: `sendn` in a primary apps/simple_mp.ts until the
 *   secondary has printed every `Received` line (to a pipe). The C
 *   original has no way to send many messages without dropping them (a
 *   full ring discards), so it has no column there.
 *
 * ```sh
 * deno run -A bench/simple_mp_bench.ts [--rounds 5] [--messages 2000000] \
 *   [--pings 200000] [--app-messages 200000]
 * ```
 *
 * The same file is the role process (`role MODE EAL-ARGS -- COUNT`) and
 * its lcore worker (the default export).
 *
 * @module
 */

import { median } from "../support/bench.ts";
import { parseArgs } from "@std/cli/parse-args";
import {
  cleanupEal,
  defineLcore,
  DpdkError,
  type EalInit,
  initEal,
  launchLcores,
  type LcoreContext,
  type LcoreMain,
  Mempool,
  ptrArray,
  Ring,
  ShimLoadError,
  tscCycles,
  tscHz,
} from "../mod.ts";
import {
  denoRun,
  ealArgs,
  Proc,
  removePrefixFiles,
  ROOT,
  uniquePrefix,
} from "../support/proc.ts";

// simple_mp's objects, as the C original (and apps/simple_mp.ts, which a
// benchmark runs only as a process) and bench/c/ring_loop.c name and size
// them
/** The message pool. */
const MSG_POOL = "MSG_POOL";
/** The ring from the secondary to the primary. */
const SEC_2_PRI = "SEC_2_PRI";
/** The ring from the primary to the secondary. */
const PRI_2_SEC = "PRI_2_SEC";
/** Entries per ring. */
const RING_SIZE = 64;
/** Messages in the pool. */
const POOL_SIZE = 1024;
/** Per-lcore cache of the pool. */
const POOL_CACHE = 32;
/** Bytes per message (the C original's STR_TOKEN_SIZE). */
const STR_TOKEN_SIZE = 128;

/** What a role does: send or receive a stream, or one side of a ping-pong. */
export type Mode = "send" | "recv" | "ping" | "pong";
/** A role's figures (printed as `RESULT {json}`). */
export type Result = Record<string, number>;

/** What a role process hands to its lcore worker. */
export interface RoleData {
  /** What to do. */
  mode: Mode;
  /** Messages or round trips. */
  count: number;
  /** The ring this side sends on. */
  send: Ring;
  /** The ring this side receives from. */
  recv: Ring;
  /** The message pool. */
  pool: Mempool;
}

const BURST = 32;

// ---------------------------------------------------------------- worker

/** Writes `v` as decimal digits and a NUL at `off` (as ring_loop.c). */
function putU32(bytes: Uint8Array, off: number, v: number): void {
  let digits = 1;
  for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
  bytes[off + digits] = 0;
  for (let i = digits - 1; i >= 0; i--) {
    bytes[off + i] = 48 + (v % 10);
    v = Math.floor(v / 10);
  }
}

/** Reads the decimal C string at `off`. */
function getU32(bytes: Uint8Array, off: number): number {
  let v = 0;
  for (let c = bytes[off]; c !== 0; c = bytes[++off]) v = v * 10 + c - 48;
  return v;
}

function sendLoop(
  ctx: LcoreContext<RoleData>,
  ring: Ring,
  pool: Mempool,
): Result {
  const view = pool.view();
  const bytes = view.bytes;
  const objs = ptrArray(BURST);
  const offs = new Uint32Array(BURST);
  const count = ctx.data.count;
  let seq = 0;
  while (seq < count && ctx.running()) {
    const n = Math.min(BURST, count - seq);
    if (!pool.getBulk(objs, n)) continue;
    view.offsets(objs, n, offs);
    for (let i = 0; i < n; i++) putU32(bytes, offs[i], seq + i);
    while (ring.enqueueBulk(objs, n) === 0 && ctx.running()) continue;
    seq += n;
  }
  return { sent: seq };
}

function recvLoop(
  ctx: LcoreContext<RoleData>,
  ring: Ring,
  pool: Mempool,
): Result {
  const view = pool.view();
  const bytes = view.bytes;
  const objs = ptrArray(BURST);
  const offs = new Uint32Array(BURST);
  const count = ctx.data.count;
  let expected = 0;
  let errors = 0;
  let t0 = 0;
  while (expected < count && ctx.running()) {
    const n = ring.dequeueBurst(objs, BURST);
    if (n === 0) continue;
    if (expected === 0) t0 = tscCycles();
    view.offsets(objs, n, offs);
    for (let i = 0; i < n; i++) {
      if (getU32(bytes, offs[i]) !== expected++) errors++;
    }
    pool.putBulk(objs, n);
  }
  return {
    received: expected,
    errors,
    seconds: (tscCycles() - t0) / tscHz(),
  };
}

function pingLoop(
  ctx: LcoreContext<RoleData>,
  send: Ring,
  recv: Ring,
  pool: Mempool,
): Result {
  const view = pool.view();
  const bytes = view.bytes;
  const msg = ptrArray(1);
  const off = new Uint32Array(1);
  const count = ctx.data.count;
  const lat = new Float64Array(count);
  const nsPerCycle = 1e9 / tscHz();
  let errors = 0;
  let i = 0;
  if (!pool.getBulk(msg, 1)) throw new Error("MSG_POOL is empty");
  view.offsets(msg, 1, off);
  for (; i < count && ctx.running(); i++) {
    putU32(bytes, off[0], i);
    const t0 = tscCycles();
    while (send.enqueueBulk(msg, 1) === 0) continue;
    while (recv.dequeueBurst(msg, 1) === 0 && ctx.running()) continue;
    lat[i] = (tscCycles() - t0) * nsPerCycle;
    if (getU32(bytes, off[0]) !== i) errors++;
  }
  pool.putBulk(msg, 1);
  const sorted = lat.subarray(0, i).sort();
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    pings: i,
    errors,
    meanNs: sum / i,
    p50Ns: sorted[Math.floor(i / 2)],
    p99Ns: sorted[Math.floor(i * 99 / 100)],
  };
}

function pongLoop(
  ctx: LcoreContext<RoleData>,
  send: Ring,
  recv: Ring,
): Result {
  const msg = ptrArray(1);
  const count = ctx.data.count;
  let n = 0;
  while (n < count && ctx.running()) {
    if (recv.dequeueBurst(msg, 1) === 0) continue;
    while (send.enqueueBulk(msg, 1) === 0) continue;
    n++;
  }
  return { ponged: n };
}

/** The lcore worker of a role process. */
const benchLcore: LcoreMain<RoleData, Result> = defineLcore((
  ctx: LcoreContext<RoleData>,
): Result => {
  const { send, recv, pool } = ctx.data;
  switch (ctx.data.mode) {
    case "send":
      return sendLoop(ctx, send, pool);
    case "recv":
      return recvLoop(ctx, recv, pool);
    case "ping":
      return pingLoop(ctx, send, recv, pool);
    case "pong":
      return pongLoop(ctx, send, recv);
  }
});
export default benchLcore;

/**
 * Initialises EAL from a role's command line; on failure prints DPDK's
 * message and exits with status 1 (as the C loop's `rte_exit`).
 */
function startEal(argv: string[]): EalInit {
  try {
    return initEal(argv, { progName: "simple_mp_bench" });
  } catch (e) {
    if (!(e instanceof DpdkError || e instanceof ShimLoadError)) throw e;
    console.error(`simple_mp_bench: Cannot init EAL: ${e.message}`);
    Deno.exit(1);
  }
}

// ---------------------------------------------------------- role process

/** `role MODE EAL-ARGS -- COUNT`: one side, on the one worker lcore. */
async function role(argv: string[]): Promise<void> {
  const mode = argv[0] as Mode;
  const { args, processType } = startEal(argv.slice(1));
  const count = Number(args[0]);
  let send: Ring, recv: Ring, pool: Mempool;
  if (processType === "primary") {
    send = Ring.create(PRI_2_SEC, RING_SIZE);
    recv = Ring.create(SEC_2_PRI, RING_SIZE);
    pool = Mempool.create(MSG_POOL, POOL_SIZE, STR_TOKEN_SIZE, {
      cacheSize: POOL_CACHE,
    });
  } else {
    recv = Ring.lookup(PRI_2_SEC);
    send = Ring.lookup(SEC_2_PRI);
    pool = Mempool.lookup(MSG_POOL);
  }
  console.log("ready");
  const data: RoleData = { mode, count, send, recv, pool };
  const [r] = await launchLcores<typeof benchLcore>(import.meta.url, { data })
    .join();
  console.log("RESULT " + JSON.stringify(r.result));
  cleanupEal();
}

// ---------------------------------------------------------- orchestrator

const RING_LOOP_SRC = `${ROOT}bench/c/ring_loop.c`;
const RING_LOOP_BIN = `${ROOT}build/bench/ring_loop`;

/** Builds ring_loop.c unless the binary is newer than the source. */
async function buildRingLoop(): Promise<string> {
  const src = await Deno.stat(RING_LOOP_SRC);
  const bin = await Deno.stat(RING_LOOP_BIN).catch(() => undefined);
  if (bin && bin.mtime! >= src.mtime!) return RING_LOOP_BIN;
  await Deno.mkdir(`${ROOT}build/bench`, { recursive: true });
  const pc = await new Deno.Command("pkg-config", {
    args: ["--cflags", "--libs", "libdpdk"],
    stdout: "piped",
  }).output();
  if (!pc.success) throw new Error("pkg-config libdpdk failed: libdpdk-dev?");
  const flags = new TextDecoder().decode(pc.stdout).trim().split(/\s+/);
  const cc = await new Deno.Command("cc", {
    args: ["-O3", RING_LOOP_SRC, "-o", RING_LOOP_BIN, ...flags],
    stderr: "piped",
  }).output();
  if (!cc.success) {
    throw new Error(`cc failed:\n${new TextDecoder().decode(cc.stderr)}`);
  }
  return RING_LOOP_BIN;
}

type Impl = "C" | "TS";

/** Lcores: the two busy loops on different CPUs, distinct IDs. */
const LCORES: Record<Impl, { primary: string; secondary: string }> = {
  C: { primary: "--lcores=1@1", secondary: "--lcores=3@0" },
  TS: { primary: "--lcores=0@0,1@1", secondary: "--lcores=2@1,3@0" },
};

function startRole(
  impl: Impl,
  bin: string,
  type: "primary" | "secondary",
  mode: Mode,
  count: number,
  prefix: string,
): Proc {
  const eal = [
    LCORES[impl][type],
    ...ealArgs(prefix),
    `--proc-type=${type}`,
    "--",
    mode,
    String(count),
  ];
  if (impl === "C") return new Proc(bin, eal, { name: `ring_loop ${mode}` });
  return denoRun("bench/simple_mp_bench.ts", [
    "role",
    mode,
    ...eal.slice(0, -2),
    String(count),
  ], { name: `TS ${mode}` });
}

function resultOf(p: Proc): Result {
  const m = p.output.match(/^RESULT (.*)$/m);
  if (!m) throw new Error(`${p.name}: no RESULT; output:\n${p.output}`);
  return JSON.parse(m[1]);
}

/** A primary in `pmode` and a secondary in `smode`; both results. */
async function runPair(
  impl: Impl,
  bin: string,
  pmode: Mode,
  smode: Mode,
  count: number,
): Promise<{ primary: Result; secondary: Result }> {
  const prefix = uniquePrefix("smp_bench");
  const procs: Proc[] = [];
  try {
    const pri = startRole(impl, bin, "primary", pmode, count, prefix);
    procs.push(pri);
    await pri.waitFor(/^ready$/m, 30_000);
    const sec = startRole(impl, bin, "secondary", smode, count, prefix);
    procs.push(sec);
    for (const p of [pri, sec]) {
      const st = await p.exit(120_000);
      if (st.code !== 0) throw new Error(`${p.name} failed:\n${p.output}`);
    }
    return { primary: resultOf(pri), secondary: resultOf(sec) };
  } finally {
    for (const p of procs) p.kill("SIGKILL");
    await Promise.all(procs.map((p) => p.status.catch(() => {})));
    await removePrefixFiles(prefix);
  }
}

/**
 * The secondary of the app run: counts the lines of its stdout without
 * keeping them (hundreds of thousands).
 */
class LineCounter {
  readonly child: Deno.ChildProcess;
  /** Lines after the `Starting core` line. */
  lines = 0;
  /** The last bytes seen, as text. */
  tail = "";
  #started = false;
  #waiters: (() => void)[] = [];

  constructor(args: string[]) {
    this.child = new Deno.Command(Deno.execPath(), {
      args,
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#pump();
  }

  async #pump(): Promise<void> {
    const dec = new TextDecoder();
    for await (const chunk of this.child.stdout) {
      let from = 0;
      if (!this.#started) {
        const text = this.tail + dec.decode(chunk);
        const at = text.indexOf("Starting core");
        if (at < 0) {
          this.tail = text.slice(-64);
          continue;
        }
        this.#started = true;
        this.lines = -1; // the Starting line's own end
        from = Math.max(0, chunk.length - (text.length - at));
      }
      for (let i = from; i < chunk.length; i++) {
        if (chunk[i] === 10) this.lines++;
      }
      this.tail = (this.tail + dec.decode(chunk.subarray(-64))).slice(-64);
      this.#wake();
    }
    this.#wake();
  }

  #wake(): void {
    const ws = this.#waiters;
    this.#waiters = [];
    ws.forEach((w) => w());
  }

  /** Resolves once `test()` holds (checked on each chunk), or rejects at EOF. */
  async until(test: () => boolean, what: string): Promise<void> {
    let ended = false;
    this.child.status.then(() => ended = true);
    while (!test()) {
      if (ended) throw new Error(`secondary ended before ${what}`);
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 1000);
      });
    }
  }

  get started(): boolean {
    return this.#started;
  }
}

/** simple_mp.ts end to end: `sendn count` until the last line is printed. */
async function runApp(count: number): Promise<Result> {
  const prefix = uniquePrefix("smp_bench_app");
  const pri = denoRun("apps/simple_mp.ts", [
    "-l",
    "0-1",
    ...ealArgs(prefix),
    "--proc-type=primary",
  ]);
  let sec: LineCounter | undefined;
  try {
    await pri.waitFor("APP: Finished Process Init.", 30_000);
    sec = new LineCounter([
      "run",
      "-A",
      `${ROOT}apps/simple_mp.ts`,
      "--lcores=2@0,3@1",
      ...ealArgs(prefix),
      "--proc-type=secondary",
    ]);
    const s = sec;
    await s.until(() => s.started, "starting its receive lcore");
    const last = `Received 'p${count - 1}'\n`;
    const t0 = performance.now();
    await pri.writeLine(`sendn ${count} p`);
    await s.until(
      () => s.lines >= count && s.tail.endsWith(last),
      `printing ${last}`,
    );
    const seconds = (performance.now() - t0) / 1e3;
    await pri.waitFor(`sent ${count} messages`);
    await s.child.stdin.close();
    await pri.writeLine("quit");
    await Promise.all([s.child.status, pri.exit()]);
    return { received: s.lines, seconds };
  } finally {
    pri.kill("SIGKILL");
    try {
      sec?.child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await Promise.all([pri.status, sec?.child.status]);
    await removePrefixFiles(prefix);
  }
}

function fmt(x: number, digits = 0): string {
  return x.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

async function orchestrate(argv: string[]): Promise<void> {
  const opts = parseArgs(argv, {
    string: ["rounds", "messages", "pings", "app-messages"],
    default: {
      rounds: "5",
      messages: "2000000",
      pings: "200000",
      "app-messages": "200000",
    },
  });
  const rounds = Number(opts.rounds);
  const messages = Number(opts.messages);
  const pings = Number(opts.pings);
  const appMessages = Number(opts["app-messages"]);
  const bin = await buildRingLoop();
  const load = (await Deno.readTextFile("/proc/loadavg")).split(" ")[0];
  console.log(
    `simple_mp rings between two processes: ${rounds} rounds, C and TS ` +
      `alternating; load average at start ${load}`,
  );

  const rate: Record<Impl, number[]> = { C: [], TS: [] };
  const rtt: Record<Impl, Result[]> = { C: [], TS: [] };
  const app: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const order: Impl[] = r % 2 === 0 ? ["C", "TS"] : ["TS", "C"];
    for (const impl of order) {
      const { primary } = await runPair(impl, bin, "recv", "send", messages);
      if (primary.errors !== 0 || primary.received !== messages) {
        throw new Error(
          `${impl}: messages lost or out of order: ${JSON.stringify(primary)}`,
        );
      }
      rate[impl].push(primary.received / primary.seconds);
    }
    for (const impl of order) {
      const { secondary } = await runPair(impl, bin, "pong", "ping", pings);
      if (secondary.errors !== 0) throw new Error(`${impl}: ping mismatch`);
      rtt[impl].push(secondary);
    }
    const a = await runApp(appMessages);
    app.push(a.received / a.seconds);
    console.log(
      `round ${r + 1}: throughput C ${fmt(rate.C[r] / 1e6, 2)} M/s, ` +
        `TS ${fmt(rate.TS[r] / 1e6, 2)} M/s; round trip p50 C ` +
        `${fmt(rtt.C[r].p50Ns)} ns, TS ${fmt(rtt.TS[r].p50Ns)} ns; ` +
        `app ${fmt(app[r] / 1e3)} k/s`,
    );
  }

  const rows: [string, number, number][] = [
    [
      `throughput, messages/s (${fmt(messages)}, bursts of ${BURST})`,
      median(rate.C),
      median(rate.TS),
    ],
    ...(["p50Ns", "p99Ns", "meanNs"] as const).map((k) =>
      [
        `round trip ${k.slice(0, -2)}, ns (${fmt(pings)} trips)`,
        median(rtt.C.map((x) => x[k])),
        median(rtt.TS.map((x) => x[k])),
      ] as [string, number, number]
    ),
  ];
  console.log("\n| measure | C tight loop | TypeScript | TS/C |");
  console.log("|---|---:|---:|---:|");
  for (const [name, c, ts] of rows) {
    console.log(`| ${name} | ${fmt(c)} | ${fmt(ts)} | ${fmt(ts / c, 2)} |`);
  }
  console.log(
    `| simple_mp.ts end to end, messages/s (sendn ${fmt(appMessages)}, ` +
      `each printed to a pipe) | n/a | ${fmt(median(app))} | |`,
  );
}

if (import.meta.main) {
  if (Deno.args[0] === "role") await role(Deno.args.slice(1));
  else await orchestrate(Deno.args);
}
