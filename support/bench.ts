/**
 * What the side-by-side benchmarks share: their run options, medians and
 * number formatting; paired C/TS rounds summarised with their spread; a
 * "spy" shim that counts the FFI calls of a run and tells fast calls from
 * slow ones; and a summary of V8 CPU profiles.
 *
 * As a command:
 *
 * ```sh
 * deno run -A support/bench.ts cpuprof FILE.cpuprofile [--top 20]
 * deno run -A support/bench.ts spy OUT-DIR   # builds OUT-DIR/libdpdk_shim_spy.so
 * ```
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import { type Proc, removePrefixFiles } from "./proc.ts";
import { symbols } from "../ffi/symbols.ts";
import { shimCandidates } from "../ffi/lib.ts";

/** Resolves after `ms` milliseconds (a measurement window, not a sync). */
export const sleep = (ms: number): Promise<void> =>
  new Promise((r) => setTimeout(r, ms));

/** The median of `xs`. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Packets per second as millions, two decimals. */
export const mpps = (pps: number): string => (pps / 1e6).toFixed(2);

/** Rounds, warm-up and measurement window of an alternating benchmark. */
export interface RunOptions {
  /** Rounds (each runs C and TS once). */
  runs: number;
  /** Seconds of traffic before measuring. */
  warmup: number;
  /** Seconds measured. */
  window: number;
}

/**
 * Parses `--runs N --warmup S --window S` (defaults 5, 2, 3); on bad
 * values prints the usage of `script` and exits with status 2.
 */
export function runOptions(args: string[], script: string): RunOptions {
  const a = parseArgs(args, {
    string: ["runs", "warmup", "window"],
    default: { runs: "5", warmup: "2", window: "3" },
  });
  const o = {
    runs: Number(a.runs),
    warmup: Number(a.warmup),
    window: Number(a.window),
  };
  if (!Object.values(o).every((x) => Number.isFinite(x) && x > 0)) {
    console.error(
      `usage: deno run -A ${script} [--runs N] [--warmup S] [--window S]`,
    );
    Deno.exit(2);
  }
  return o;
}

/**
 * Stops a benchmark's processes, last started first (secondaries before
 * their primary), with SIGINT, then removes the group's files.
 */
export async function stopGroup(procs: Proc[], prefix: string): Promise<void> {
  for (const p of procs.toReversed()) {
    p.kill("SIGINT");
    await p.exit(5000);
  }
  await removePrefixFiles(prefix);
}

// ------------------------------------------------------- paired rounds

/** Above this spread of the per-round ratios a row is "too noisy to tell". */
export const NOISY_SPREAD = 0.2;

/** C and TS figures of one row, one pair per round (run back to back). */
export interface PairedRow {
  /** What was measured. */
  name: string;
  /** C's figure of each round. */
  c: number[];
  /** TypeScript's figure of each round (same order as `c`). */
  ts: number[];
  /** True when smaller is better (a latency): the ratio is then C/TS. */
  lowerIsBetter?: boolean;
}

/** A row summarised: medians, and the per-round ratio with its spread. */
export interface PairedSummary {
  /** Median of C's rounds. */
  c: number;
  /** Median of TypeScript's rounds. */
  ts: number;
  /** Median of the per-round ratios (TS/C; C/TS when lower is better). */
  ratio: number;
  /** Smallest and largest per-round ratio. */
  lo: number;
  /** Largest per-round ratio. */
  hi: number;
  /** (hi - lo) / ratio: how far the rounds disagree. */
  spread: number;
  /** spread > {@linkcode NOISY_SPREAD}: the machine was too noisy to tell. */
  noisy: boolean;
}

/**
 * Summarises paired rounds: each round's TS figure over the C figure of
 * the same round (they ran back to back, so load that comes and goes hits
 * both), the median of those ratios and their spread.
 */
export function pairedSummary(row: PairedRow): PairedSummary {
  if (row.c.length !== row.ts.length || row.c.length === 0) {
    throw new RangeError(`${row.name}: C and TS rounds differ in number`);
  }
  const ratios = row.c.map((c, i) =>
    row.lowerIsBetter ? c / row.ts[i] : row.ts[i] / c
  );
  const ratio = median(ratios);
  const lo = Math.min(...ratios), hi = Math.max(...ratios);
  const spread = (hi - lo) / ratio;
  return {
    c: median(row.c),
    ts: median(row.ts),
    ratio,
    lo,
    hi,
    spread,
    noisy: !(spread <= NOISY_SPREAD),
  };
}

/**
 * A Markdown table of paired rows: medians of C and TS, the median of the
 * per-round ratios with its range and spread, and a verdict ("too noisy to
 * tell" when the spread exceeds {@linkcode NOISY_SPREAD}; otherwise whether
 * the ratio meets `target`, when the row has one, and whether a ratio below
 * it still has rounds at or above it: a tie the machine cannot split).
 *
 * @param rows the rows
 * @param unit the figures' unit (column heads)
 * @param format how a figure prints
 * @param targets the TS/C target of a row, by name
 */
export function pairedTable(
  rows: PairedRow[],
  unit: string,
  format: (x: number) => string = (x) => x.toFixed(2),
  targets: Record<string, number> = {},
): string {
  const head = [
    "measure",
    `C ${unit}`,
    `TS ${unit}`,
    "TS/C (median of rounds)",
    "range",
    "spread",
    "verdict",
  ];
  const lines = [head, head.map(() => "---")];
  for (const row of rows) {
    const s = pairedSummary(row);
    const target = targets[row.name];
    const verdict = s.noisy
      ? `too noisy to tell (spread > ${NOISY_SPREAD * 100}%)`
      : target === undefined
      ? ""
      : s.ratio >= target
      ? `meets >= ${target}`
      : s.hi >= target
      ? `below ${target}, within the rounds' range`
      : `below ${target}`;
    lines.push([
      row.name + (row.lowerIsBetter ? " (ratio C/TS)" : ""),
      format(s.c),
      format(s.ts),
      s.ratio.toFixed(2),
      `${s.lo.toFixed(2)}-${s.hi.toFixed(2)}`,
      `${(s.spread * 100).toFixed(0)}%`,
      verdict,
    ]);
  }
  return lines.map((l) => `| ${l.join(" | ")} |`).join("\n");
}

/** The 1-minute load average now (a note for the table). */
export function loadAverage(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ")[0];
  } catch {
    return "?";
  }
}

/**
 * CPU time (user + system) process `pid` has used, in seconds (USER_HZ
 * 100); with the wall-clock time it shows how much of a CPU a run had.
 */
export function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}

// ------------------------------------------------------------ spy shim

/** Environment variable: where a spy shim appends its counts at exit. */
export const SPY_REPORT_ENV = "DPDK_TS_SPY_REPORT";

/** File name of the spy shim built by {@linkcode buildSpyShim}. */
export const SPY_NAME = "libdpdk_shim_spy.so";

const C_TYPES: Record<string, string> = {
  void: "void",
  bool: "_Bool",
  u8: "uint8_t",
  i8: "int8_t",
  u16: "uint16_t",
  i16: "int16_t",
  u32: "uint32_t",
  i32: "int32_t",
  u64: "uint64_t",
  i64: "int64_t",
  usize: "uint64_t",
  isize: "int64_t",
  f32: "float",
  f64: "double",
  pointer: "void *",
  buffer: "void *",
  function: "void *",
};

type SymbolName = keyof typeof symbols;

function cType(t: unknown, where: string): string {
  const c = typeof t === "string" ? C_TYPES[t] : undefined;
  if (c === undefined) throw new TypeError(`${where}: no C type for ${t}`);
  return c;
}

/**
 * The C source of a spy shim: for each of `names`, a function of the same
 * name and C signature (from ffi/symbols.ts) that records its caller and
 * calls the real shim's function. A call whose return address lies in a
 * loaded object (Deno's own binary: libffi, the slow path) counts as slow;
 * one from anonymous memory (V8's compiled code or its fast-call
 * trampoline) as fast. The real functions come from `realPath`.
 */
export function spyShimSource(names: string[], realPath: string): string {
  const wrappers = names.map((name, i) => {
    const def = symbols[name as SymbolName] as Deno.ForeignFunction | undefined;
    if (def === undefined || !("parameters" in def)) {
      throw new TypeError(`spy: ${name} is not a function of ffi/symbols.ts`);
    }
    const params = def.parameters.map((p, k) => `${cType(p, name)} a${k}`);
    const ret = cType(def.result, name);
    const args = def.parameters.map((_, k) => `a${k}`).join(", ");
    const fnType = `${ret} (*)(${
      def.parameters.map((p) => cType(p, name)).join(", ") || "void"
    })`;
    const call = `((${fnType})spy_real[${i}])(${args})`;
    return `${ret} ${name}(${params.join(", ") || "void"})
{
	spy_rec(${i}, __builtin_return_address(0));
	${ret === "void" ? `${call};` : `return ${call};`}
}`;
  });
  return `/* generated by support/bench.ts (spyShimSource): do not edit */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define SPY_N ${names.length}
static const char *const spy_names[SPY_N] = {
${names.map((n) => `\t"${n}",`).join("\n")}
};
static void *spy_real[SPY_N];
static uint64_t spy_calls[SPY_N], spy_slow[SPY_N], spy_last_slow_ns[SPY_N];
/* per thread: the last caller seen and whether it was in a loaded object */
static __thread void *spy_last_ra[SPY_N];
static __thread int spy_last_slow[SPY_N];

static void spy_rec(unsigned i, void *ra)
{
	if (ra != spy_last_ra[i]) {
		Dl_info info;

		spy_last_slow[i] = dladdr(ra, &info) != 0;
		spy_last_ra[i] = ra;
	}
	__atomic_fetch_add(&spy_calls[i], 1, __ATOMIC_RELAXED);
	if (spy_last_slow[i]) {
		struct timespec t;

		__atomic_fetch_add(&spy_slow[i], 1, __ATOMIC_RELAXED);
		clock_gettime(CLOCK_MONOTONIC, &t);
		__atomic_store_n(&spy_last_slow_ns[i],
				 (uint64_t)t.tv_sec * 1000000000u + t.tv_nsec,
				 __ATOMIC_RELAXED);
	}
}

__attribute__((constructor)) static void spy_init(void)
{
	void *h = dlopen("${realPath}", RTLD_NOW | RTLD_LOCAL);

	for (unsigned i = 0; h != NULL && i < SPY_N; i++) {
		spy_real[i] = dlsym(h, spy_names[i]);
		if (spy_real[i] == NULL)
			h = NULL;
	}
	if (h == NULL) {
		fprintf(stderr, "spy shim: cannot resolve the real shim: %s\\n",
			dlerror());
		abort();
	}
}

/** Number of symbols spied on. */
unsigned spy_count(void) { return SPY_N; }

/** Name of spied symbol i. */
const char *spy_name(unsigned i) { return i < SPY_N ? spy_names[i] : NULL; }

/** Calls and slow calls of each symbol, into calls[SPY_N], slow[SPY_N]. */
void spy_read(uint64_t *calls, uint64_t *slow)
{
	for (unsigned i = 0; i < SPY_N; i++) {
		calls[i] = __atomic_load_n(&spy_calls[i], __ATOMIC_RELAXED);
		slow[i] = __atomic_load_n(&spy_slow[i], __ATOMIC_RELAXED);
	}
}

/** Sets every count to zero. */
void spy_reset(void)
{
	for (unsigned i = 0; i < SPY_N; i++) {
		__atomic_store_n(&spy_calls[i], 0, __ATOMIC_RELAXED);
		__atomic_store_n(&spy_slow[i], 0, __ATOMIC_RELAXED);
	}
}

/* At exit: one JSON line appended to $${SPY_REPORT_ENV}, when set:
 * {"pid":..,"calls":{name:[calls,slow,seconds from the last slow call to
 * the exit (-1: none)],..}} */
__attribute__((destructor)) static void spy_report(void)
{
	const char *path = getenv("${SPY_REPORT_ENV}");
	struct timespec t;
	uint64_t now;
	FILE *f;

	if (path == NULL || (f = fopen(path, "a")) == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t);
	now = (uint64_t)t.tv_sec * 1000000000u + t.tv_nsec;
	fprintf(f, "{\\"pid\\":%d,\\"calls\\":{", (int)getpid());
	for (unsigned i = 0; i < SPY_N; i++)
		fprintf(f, "%s\\"%s\\":[%llu,%llu,%.3f]", i ? "," : "",
			spy_names[i], (unsigned long long)spy_calls[i],
			(unsigned long long)spy_slow[i],
			spy_slow[i] ? (now - spy_last_slow_ns[i]) / 1e9 : -1.0);
	fprintf(f, "}}\\n");
	fclose(f);
}

${wrappers.join("\n\n")}
`;
}

/**
 * Builds a spy shim for `names` into `dir` (see {@linkcode spyShimSource});
 * returns its path. Load it in place of the real shim with
 * `DPDK_SHIM_PATH=path`: every other symbol resolves to the real shim (a
 * dependency of the spy), so the library runs unchanged. Needs `cc`.
 *
 * @param names symbols of ffi/symbols.ts to count
 * @param dir output folder (made if missing)
 * @param realPath the real shim (default: the one the loader would use)
 */
export async function buildSpyShim(
  names: string[],
  dir: string,
  realPath: string = shimCandidates()[0],
): Promise<string> {
  const real = await Deno.realPath(realPath);
  await Deno.mkdir(dir, { recursive: true });
  const src = `${dir}/spy.c`, out = `${dir}/${SPY_NAME}`;
  await Deno.writeTextFile(src, spyShimSource(names, real));
  const cc = await new Deno.Command("cc", {
    args: [
      "-O2",
      "-Wall",
      "-Werror",
      "-shared",
      "-fPIC",
      "-o",
      out,
      src,
      "-Wl,--no-as-needed",
      real, // DT_NEEDED: what the spy does not define resolves there
      "-ldl",
    ],
    stderr: "piped",
  }).output();
  if (!cc.success) {
    throw new Error(
      `building the spy shim failed:\n${new TextDecoder().decode(cc.stderr)}`,
    );
  }
  return out;
}

/**
 * Counts a spy shim kept: calls and slow (non fast-API) calls per symbol,
 * and (in a report at exit) how many seconds before the exit the last slow
 * call was (-1: none).
 */
export type SpyCounts = Record<
  string,
  { calls: number; slow: number; lastSlowBeforeExit?: number }
>;

/** The spy's own functions, opened on a spy shim already loaded. */
export interface SpyHandle {
  /** The counts so far. */
  read(): SpyCounts;
  /** Sets every count to zero. */
  reset(): void;
}

/** Opens the spy functions of the spy shim at `path` (e.g. `$DPDK_SHIM_PATH`). */
export function openSpy(path: string): SpyHandle {
  const { symbols: s } = Deno.dlopen(path, {
    spy_count: { parameters: [], result: "u32" },
    spy_name: { parameters: ["u32"], result: "pointer" },
    spy_read: { parameters: ["buffer", "buffer"], result: "void" },
    spy_reset: { parameters: [], result: "void" },
  });
  const n = s.spy_count();
  const names = Array.from(
    { length: n },
    (_, i) => Deno.UnsafePointerView.getCString(s.spy_name(i)!),
  );
  return {
    read() {
      const calls = new BigUint64Array(n), slow = new BigUint64Array(n);
      s.spy_read(calls, slow);
      return Object.fromEntries(
        names.map((name, i) => [name, {
          calls: Number(calls[i]),
          slow: Number(slow[i]),
        }]),
      );
    },
    reset: () => s.spy_reset(),
  };
}

/**
 * Parses the lines a spy shim appended at exit ({@linkcode SPY_REPORT_ENV})
 * into counts per process.
 */
export function parseSpyReport(
  text: string,
): { pid: number; counts: SpyCounts }[] {
  return text.split("\n").filter((l) => l.trim() !== "").map((l) => {
    const r = JSON.parse(l) as { pid: number; calls: Record<string, number[]> };
    return {
      pid: r.pid,
      counts: Object.fromEntries(
        Object.entries(r.calls).map((
          [k, [calls, slow, lastSlowBeforeExit]],
        ) => [k, { calls, slow, lastSlowBeforeExit }]),
      ),
    };
  });
}

// --------------------------------------------------------- CPU profiles

/** Self time of one function in a CPU profile. */
export interface ProfileLine {
  /** Share of all samples, 0..1. */
  share: number;
  /** Function, file and line; `(native)` for time in C (FFI calls). */
  what: string;
  /** The JS function it was sampled under, for native frames. */
  caller?: string;
}

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/**
 * Self time by function of a V8 `.cpuprofile` (Deno's `--cpu-prof`, or an
 * lcore worker's profile, see lib/lcore_worker.ts), largest first. Time in
 * native code (the shim and DPDK, entered through FFI calls) shows as
 * `(native)` under the JS function that made the call.
 */
export function summarizeCpuProfile(
  profile: { nodes: CpuProfileNode[]; samples: number[] },
): ProfileLine[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const name = (n: CpuProfileNode) => {
    const f = n.callFrame;
    if (f.functionName === "" && f.url === "") return "(native)";
    const file = f.url.split("/").slice(-2).join("/");
    return `${f.functionName || "(anonymous)"} ${file}:${f.lineNumber + 1}`;
  };
  const counts = new Map<string, { n: number; caller?: string }>();
  for (const id of profile.samples) {
    const node = byId.get(id)!;
    const what = name(node);
    const p = parent.get(id);
    const caller = what === "(native)" && p !== undefined
      ? name(byId.get(p)!)
      : undefined;
    const key = `${what}\u0000${caller ?? ""}`;
    const c = counts.get(key) ?? { n: 0, caller };
    c.n++;
    counts.set(key, c);
  }
  const total = profile.samples.length || 1;
  return [...counts].map(([k, v]) => ({
    share: v.n / total,
    what: k.split("\u0000")[0],
    caller: v.caller,
  })).sort((a, b) => b.share - a.share);
}

/** The spied symbols: the hot groups of ffi/symbols.ts and the TX buffers. */
export function hotSymbols(): string[] {
  return Object.keys(symbols).filter((n) =>
    /^shim_(ring_(enqueue|dequeue|count|free_count)|mempool_(get|put)_|pktmbuf_(free|alloc)|ptr_|offsets_|mbuf_(data|set_len)|eth_(rx_burst|tx_burst|rx_locate|tx_rx_locate|forward_burst|forward_paths)|tx_(buffer|table)_(burst|flush)|tsc_cycles)/
      .test(n)
  );
}

async function main(args: string[]): Promise<void> {
  const a = parseArgs(args, { string: ["top"], default: { top: "20" } });
  const [cmd, arg] = a._.map(String);
  if (cmd === "cpuprof" && arg) {
    const lines = summarizeCpuProfile(
      JSON.parse(await Deno.readTextFile(arg)),
    );
    for (const l of lines.slice(0, Number(a.top))) {
      console.log(
        `${(l.share * 100).toFixed(1).padStart(5)}%  ${l.what}${
          l.caller ? `  (called from ${l.caller})` : ""
        }`,
      );
    }
  } else if (cmd === "spy" && arg) {
    console.log(await buildSpyShim(hotSymbols(), arg));
  } else {
    console.error(
      "usage: deno run -A support/bench.ts cpuprof FILE [--top N]\n" +
        "       deno run -A support/bench.ts spy OUT-DIR",
    );
    Deno.exit(2);
  }
}

if (import.meta.main) await main(Deno.args);
