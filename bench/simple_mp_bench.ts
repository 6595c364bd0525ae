/**
 * Benchmark: messages between two processes through simple_mp's rings
 * (`PRI_2_SEC`, `SEC_2_PRI`, 64 entries; `MSG_POOL`, 1024 x 128 bytes,
 * cache 32), from TypeScript lcore workers and from a tight C loop
 * (bench/c/ring_loop.c, built here into build/bench/), in paired rounds
 * (C then TS, TS then C, ...); the table gives the medians, the median of
 * the per-round TS/C ratios with their spread, and says when the machine
 * was too noisy to tell (support/bench.ts, `pairedTable`).
 *
 * - throughput: the secondary sends bursts of 32 messages (each one the
 *   decimal sequence number as a C string), the primary receives them in
 *   bursts, checks their order and frees them. The TypeScript loops use
 *   `ObjectBurst` (messages taken from the pool or a ring and located in
 *   one FFI crossing). Both sides first pass `--warmup-messages` that are
 *   not timed: V8 runs a loop in its interpreter and in Maglev, whose FFI
 *   calls take Deno's slow path (about 2 us each), until TurboFan's code
 *   is in (bench/README.md); a steady-state rate excludes that;
 * - round trip: the secondary sends one message, the primary sends it
 *   back, the secondary times each trip with the TSC (after
 *   `--warmup-pings` untimed trips);
 * - and the app itself: `sendn` in a primary apps/simple_mp.ts until the
 *   secondary has printed every `Received` line (to a pipe). The C
 *   original has no way to send many messages without dropping them (a
 *   full ring discards), so it has no column there.
 *
 * ```sh
 * deno run -A bench/simple_mp_bench.ts [--rounds 5] [--messages 20000000] \
 *   [--warmup-messages 4000000] [--pings 200000] [--warmup-pings 50000] \
 *   [--app-messages 200000] [--no-app]
 * ```
 *
 * The same file is the role process (`role MODE EAL-ARGS -- COUNT
 * WARMUP`) and its lcore worker (the default export).
 *
 * @module
 */

import {
  loadAverage,
  median,
  type PairedRow,
  pairedTable,
} from "../support/bench.ts";
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
// not yet re-exported by mod.ts
import { ObjectBurst } from "../lib/ptr.ts";

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
  /** Messages or round trips timed. */
  count: number;
  /** Messages or round trips before the timed ones. */
  warmup: number;
  /** The ring this side sends on. */
  send: Ring;
  /** The ring this side receives from. */
  recv: Ring;
  /** The message pool. */
  pool: Mempool;
}

const BURST = 32;

// ---------------------------------------------------------------- worker

/**
 * Writes `v` (an integer below 2^31) as decimal digits and a NUL at `off`,
 * as ring_loop.c does. Integer arithmetic only: the digit count by
 * comparisons, and `(v / 10) | 0`, which V8 compiles to a multiply by the
 * reciprocal as C compiles `v / 10`. (`Math.floor(v / 10)` and `v % 10`
 * on a float divide: this writer takes 189 instructions a message under
 * callgrind, that one 373; C's takes 120. bench/README.md.)
 */
function putU32(bytes: Uint8Array, off: number, v: number): void {
  v = v | 0;
  const digits = v < 100000
    ? (v < 100 ? (v < 10 ? 1 : 2) : v < 1000 ? 3 : v < 10000 ? 4 : 5)
    : v < 10000000
    ? (v < 1000000 ? 6 : 7)
    : v < 100000000
    ? 8
    : v < 1000000000
    ? 9
    : 10;
  let at = off + digits;
  bytes[at] = 0;
  do {
    const q = (v / 10) | 0;
    bytes[--at] = 48 + v - q * 10;
    v = q;
  } while (v !== 0);
}

/** Reads the decimal C string at `off`. */
function getU32(bytes: Uint8Array, off: number): number {
  let v = 0;
  for (let c = bytes[off]; c !== 0; c = bytes[++off]) v = v * 10 + c - 48;
  return v;
}

function sendLoop(ctx: LcoreContext<RoleData>, ring: Ring, pool: Mempool) {
  const out = new ObjectBurst(pool, BURST);
  const bytes = out.bytes, off = out.off;
  const total = ctx.data.count + ctx.data.warmup;
  let seq = 0;
  while (seq < total && ctx.running()) {
    const n = Math.min(BURST, total - seq);
    if (!out.get(n)) continue; // taken and located in one crossing
    for (let i = 0; i < n; i++) putU32(bytes, off[i], seq + i);
    while (out.enqueueBulk(ring, n) === 0 && ctx.running()) continue;
    seq += n;
  }
  return { sent: seq };
}

/**
 * Bursts between two timestamps of the receiver: a stamp every burst would
 * cost a clock read each; one taken on a branch first reached after the
 * warm-up would deoptimize the loop just as the timing starts (V8 compiles
 * no code for a branch it never saw taken). Taken every STAMP_EVERY
 * bursts, the branch is exercised from the start. ring_loop.c does the
 * same.
 */
const STAMP_EVERY = 1024;

function recvLoop(
  ctx: LcoreContext<RoleData>,
  ring: Ring,
  pool: Mempool,
): Result {
  const inb = new ObjectBurst(pool, BURST);
  const bytes = inb.bytes, off = inb.off;
  const { count, warmup } = ctx.data;
  const total = count + warmup;
  const stamps = Math.ceil(total / STAMP_EVERY) + 2;
  const at = new Float64Array(stamps), upTo = new Float64Array(stamps);
  let expected = 0, errors = 0, bursts = 0, k = 0;
  while (expected < total && ctx.running()) {
    const n = inb.dequeue(ring); // dequeued and located in one crossing
    if (n === 0) continue;
    if (bursts++ % STAMP_EVERY === 0) {
      at[k] = tscCycles();
      upTo[k++] = expected;
    }
    for (let i = 0; i < n; i++) {
      if (getU32(bytes, off[i]) !== expected++) errors++;
    }
    inb.put(n);
  }
  const end = tscCycles();
  // the timed window: from the first stamp at or past the warm-up
  let from = 0;
  while (from < k - 1 && upTo[from] < warmup) from++;
  return {
    received: expected,
    errors,
    timed: expected - upTo[from],
    seconds: (end - at[from]) / tscHz(),
  };
}

function pingLoop(
  ctx: LcoreContext<RoleData>,
  send: Ring,
  recv: Ring,
  pool: Mempool,
): Result {
  const msg = new ObjectBurst(pool, 1);
  const bytes = msg.bytes, off = msg.off;
  const { count, warmup } = ctx.data;
  const lat = new Float64Array(count);
  const nsPerCycle = 1e9 / tscHz();
  let errors = 0;
  if (!msg.get(1)) throw new Error("MSG_POOL is empty");
  for (let i = 0; i < warmup && ctx.running(); i++) {
    putU32(bytes, off[0], i);
    while (msg.enqueueBulk(send, 1) === 0) continue;
    while (msg.dequeue(recv, 1) === 0 && ctx.running()) continue;
  }
  let i = 0;
  for (; i < count && ctx.running(); i++) {
    putU32(bytes, off[0], i);
    const t0 = tscCycles();
    while (msg.enqueueBulk(send, 1) === 0) continue;
    while (msg.dequeue(recv, 1) === 0 && ctx.running()) continue;
    lat[i] = (tscCycles() - t0) * nsPerCycle;
    if (getU32(bytes, off[0]) !== i) errors++;
  }
  msg.put(1);
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
  pool: Mempool,
) {
  const msg = new ObjectBurst(pool, 1);
  const total = ctx.data.count + ctx.data.warmup;
  let n = 0;
  while (n < total && ctx.running()) {
    if (msg.dequeue(recv, 1) === 0) continue;
    while (msg.enqueueBulk(send, 1) === 0) continue;
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
      return pongLoop(ctx, send, recv, pool);
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

/** `role MODE EAL-ARGS -- COUNT WARMUP`: one side, on the one worker lcore. */
async function role(argv: string[]): Promise<void> {
  const mode = argv[0] as Mode;
  const { args, processType } = startEal(argv.slice(1));
  const count = Number(args[0]), warmup = Number(args[1] ?? 0);
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
  const data: RoleData = { mode, count, warmup, send, recv, pool };
  const [r] = await launchLcores<typeof benchLcore>(import.meta.url, {
    data,
    includeMain: true,
  }).join();
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

/**
 * Lcores, the same for C and TS: the two busy loops on different CPUs,
 * distinct IDs. C loops on its main lcore; TS lends its main lcore to the
 * worker (`includeMain`), and the main thread moves to the other CPU
 * while the worker runs (lib/lcore.ts).
 */
const LCORES = { primary: "--lcores=1@1", secondary: "--lcores=3@0" };

function startRole(
  impl: Impl,
  bin: string,
  type: "primary" | "secondary",
  mode: Mode,
  count: number,
  warmup: number,
  prefix: string,
): Proc {
  const eal = [LCORES[type], ...ealArgs(prefix), `--proc-type=${type}`];
  const counts = [String(count), String(warmup)];
  if (impl === "C") {
    return new Proc(bin, [...eal, "--", mode, ...counts], {
      name: `ring_loop ${mode}`,
    });
  }
  return denoRun(
    "bench/simple_mp_bench.ts",
    ["role", mode, ...eal, "--", ...counts],
    { name: `TS ${mode}` },
  );
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
  warmup: number,
): Promise<{ primary: Result; secondary: Result }> {
  const prefix = uniquePrefix("smp_bench");
  const procs: Proc[] = [];
  try {
    const pri = startRole(impl, bin, "primary", pmode, count, warmup, prefix);
    procs.push(pri);
    await pri.waitFor(/^ready$/m, 30_000);
    const sec = startRole(
      impl,
      bin,
      "secondary",
      smode,
      count,
      warmup,
      prefix,
    );
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
    string: [
      "rounds",
      "messages",
      "warmup-messages",
      "pings",
      "warmup-pings",
      "app-messages",
    ],
    boolean: ["app"],
    negatable: ["app"],
    default: {
      rounds: "5",
      messages: "20000000",
      "warmup-messages": "4000000",
      pings: "200000",
      "warmup-pings": "50000",
      "app-messages": "200000",
      app: true,
    },
  });
  const rounds = Number(opts.rounds);
  const messages = Number(opts.messages);
  const warmMessages = Number(opts["warmup-messages"]);
  const pings = Number(opts.pings);
  const warmPings = Number(opts["warmup-pings"]);
  const appMessages = Number(opts["app-messages"]);
  const bin = await buildRingLoop();
  console.log(
    `simple_mp rings between two processes: ${rounds} paired rounds ` +
      `(C then TS, TS then C, ...); load average at start ${loadAverage()}`,
  );

  const rate: Record<Impl, number[]> = { C: [], TS: [] };
  const rtt: Record<Impl, Result[]> = { C: [], TS: [] };
  const app: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const order: Impl[] = r % 2 === 0 ? ["C", "TS"] : ["TS", "C"];
    for (const impl of order) {
      const { primary } = await runPair(
        impl,
        bin,
        "recv",
        "send",
        messages,
        warmMessages,
      );
      if (
        primary.errors !== 0 || primary.received !== messages + warmMessages
      ) {
        throw new Error(
          `${impl}: messages lost or out of order: ${JSON.stringify(primary)}`,
        );
      }
      rate[impl].push(primary.timed / primary.seconds);
    }
    for (const impl of order) {
      const { secondary } = await runPair(
        impl,
        bin,
        "pong",
        "ping",
        pings,
        warmPings,
      );
      if (secondary.errors !== 0) throw new Error(`${impl}: ping mismatch`);
      rtt[impl].push(secondary);
    }
    if (opts.app) {
      const a = await runApp(appMessages);
      app.push(a.received / a.seconds);
    }
    console.log(
      `round ${r + 1}: throughput C ${fmt(rate.C[r] / 1e6, 2)} M/s, ` +
        `TS ${fmt(rate.TS[r] / 1e6, 2)} M/s; round trip p50 C ` +
        `${fmt(rtt.C[r].p50Ns)} ns, TS ${fmt(rtt.TS[r].p50Ns)} ns` +
        (opts.app ? `; app ${fmt(app[r] / 1e3)} k/s` : ""),
    );
  }

  const rows: PairedRow[] = [
    {
      name: `throughput, M messages/s (${fmt(messages)} after ${
        fmt(warmMessages)
      }, bursts of ${BURST})`,
      c: rate.C.map((x) => x / 1e6),
      ts: rate.TS.map((x) => x / 1e6),
    },
    ...(["p50Ns", "p99Ns", "meanNs"] as const).map((k) => ({
      name: `round trip ${k.slice(0, -2)}, ns (${fmt(pings)} trips)`,
      c: rtt.C.map((x) => x[k]),
      ts: rtt.TS.map((x) => x[k]),
      lowerIsBetter: true,
    })),
  ];
  console.log(
    `\nload average at the end ${loadAverage()}; medians of ${rounds} ` +
      `paired rounds\n`,
  );
  console.log(pairedTable(rows, "", (x) => fmt(x, x < 100 ? 2 : 0), {
    [rows[0].name]: 0.9,
  }));
  if (opts.app) {
    console.log(
      `\nsimple_mp.ts end to end: ${fmt(median(app))} messages/s (sendn ` +
        `${fmt(appMessages)}, each printed to a pipe; the C original cannot ` +
        `send many messages without dropping them, so there is no C figure)`,
    );
  }
}

if (import.meta.main) {
  if (Deno.args[0] === "role") await role(Deno.args.slice(1));
  else await orchestrate(Deno.args);
}
