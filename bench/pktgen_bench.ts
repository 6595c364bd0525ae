/**
 * The generator of examples/pktgen.ts at full speed beside the same program
 * in C (bench/pktgen_c/pktgen.c, built here from source into
 * build/pktgen_c), on a net_null port: UDP/IPv4 frames stamped into the
 * pool once, then per packet the UDP source port set (100 flows) and
 *
 * - "full": the UDP and IPv4 checksums recomputed, in TypeScript through
 *   the header views and the library's checksums, in C with DPDK's
 *   `rte_ipv4_udptcp_cksum` and `rte_ipv4_cksum` (the target: TypeScript
 *   >= 0.8 of C's packets per second);
 * - "incremental": the UDP checksum fixed for the new port (RFC 1624).
 *
 * Both get the same EAL arguments (generating lcore 1 on CPU 1) and are
 * counted from the same source: the port's TX counter over DPDK's
 * telemetry socket, over a fixed window after a warm-up. C and TypeScript
 * alternate, swapping order every round, so load from elsewhere hits both;
 * the table gives the median of each, the ratio of the medians, the median
 * of the per-round ratios, and each one's spread ((max - min) / median),
 * flagged when above 20% (a machine too busy for the numbers to mean much;
 * the verdict then says so). Rates are given per second of wall-clock time
 * and per second of the process's CPU time (what preemption by other load
 * does not change).
 *
 * Then, once per round in this process, header views against raw DataView
 * offsets in the same loop (target: within 10%): bench/packet_bench.ts's
 * paired comparison (4 field writes per frame, and the generator's
 * per-packet work), summarised over the rounds.
 *
 * ```
 * deno run -A bench/pktgen_bench.ts [--runs 5] [--warmup 2] [--window 3]
 * ```
 *
 * @module
 */

import { cpuSeconds, median, runOptions, sleep } from "../support/bench.ts";
import { benchC } from "../support/c_build.ts";
import {
  Proc,
  removePrefixFiles,
  ROOT,
  uniquePrefix,
} from "../support/proc.ts";
import { portStats } from "../support/telemetry.ts";
import {
  measure,
  PAIR_HEAD,
  pairRows,
  type Samples,
  table,
} from "./packet_bench.ts";

type Impl = "C" | "TS";
type Mode = "full" | "incremental";

const FLOWS = 100;
const NOISY = 0.2;

/**
 * TX packets of port 0, when they were read (ms), and the CPU time of
 * process `pid` then (s).
 */
async function sample(
  prefix: string,
  pid: number,
): Promise<{ packets: number; at: number; cpu: number }> {
  const before = performance.now(), cpuBefore = cpuSeconds(pid);
  const [st] = await portStats(prefix, [0]);
  return {
    packets: st.opackets,
    at: (before + performance.now()) / 2,
    cpu: (cpuBefore + cpuSeconds(pid)) / 2,
  };
}

/** What one run measured. */
interface Rate {
  /** Packets sent per second of wall-clock time, in millions. */
  mpps: number;
  /**
   * Packets sent per second of the process's CPU time, in millions: what
   * a busy machine's preemption does not change.
   */
  perCpu: number;
}

/** One run: start, warm up, measure the window, stop. */
async function run(
  impl: Impl,
  cBin: string,
  mode: Mode,
  warmupS: number,
  windowS: number,
): Promise<Rate> {
  const prefix = uniquePrefix("pktgen_bench");
  const eal = [
    "-l",
    "0,1",
    "--no-pci",
    `--file-prefix=${prefix}`,
    "--vdev=net_null0",
    "--log-level=lib.eal:error",
  ];
  const app = ["-t", "0", "--checksum", mode, "--flows", String(FLOWS)];
  const proc = impl === "C"
    ? new Proc(cBin, [...eal, "--", ...app], { name: "pktgen (C)" })
    : new Proc(Deno.execPath(), [
      "run",
      "-A",
      `${ROOT}examples/pktgen.ts`,
      ...eal,
      "--",
      ...app,
      "--rate",
      "0",
      "--quiet",
    ], { name: "pktgen (TS)" });
  try {
    await proc.waitFor(/generating/, 30_000);
    await sleep(warmupS * 1000);
    const a = await sample(prefix, proc.child.pid);
    await sleep(windowS * 1000);
    const b = await sample(prefix, proc.child.pid);
    proc.kill("SIGTERM");
    const m = await proc.waitFor(/^\{"example":"pktgen".*\}$/m, 20_000);
    const r = JSON.parse(m[0]);
    if (r.sent < b.packets || r.checksum !== mode) {
      throw new Error(`${proc.name}: counts do not add up: ${m[0]}`);
    }
    const packets = b.packets - a.packets;
    return {
      mpps: packets / (b.at - a.at) / 1e3,
      perCpu: packets / (b.cpu - a.cpu) / 1e6,
    };
  } finally {
    proc.kill("SIGKILL");
    await proc.exit();
    await removePrefixFiles(prefix);
  }
}

/** (max - min) / median. */
function spread(xs: number[]): number {
  return (Math.max(...xs) - Math.min(...xs)) / median(xs);
}

/**
 * Whether per-round ratios meet `target`: "met" when every round does,
 * "NOT met" when none does; otherwise their median decides, unless they
 * spread over {@linkcode NOISY}: "too noisy to tell".
 */
function verdict(ratios: number[], target: number): string {
  if (Math.min(...ratios) >= target) return "met (every round)";
  if (Math.max(...ratios) < target) return "NOT met (no round)";
  if (spread(ratios) > NOISY) return "too noisy to tell";
  return median(ratios) >= target ? "met (median)" : "NOT met (median)";
}

/** A spread as a percentage, flagged when the numbers are noisy. */
function pct(s: number): string {
  return `${(s * 100).toFixed(0)}%${s > NOISY ? " (!)" : ""}`;
}

/** Interleaved samples per round of bench/packet_bench.ts's loops. */
const VIEW_SAMPLES = 60;

async function main(): Promise<void> {
  const { runs, warmup, window } = runOptions(
    Deno.args,
    "bench/pktgen_bench.ts",
  );
  const cBin = await benchC("pktgen_c", "pktgen");
  const modes: Mode[] = ["full", "incremental"];
  const rates = new Map<string, Rate[]>();
  const key = (impl: Impl, mode: Mode) => `${impl} ${mode}`;
  for (const mode of modes) {
    for (const impl of ["C", "TS"] as Impl[]) rates.set(key(impl, mode), []);
  }
  const views: Samples[] = [];
  // every round runs every configuration; the order flips each round
  for (let r = 0; r < runs; r++) {
    const order: Impl[] = r % 2 === 0 ? ["C", "TS"] : ["TS", "C"];
    const line: string[] = [];
    for (const mode of r % 2 === 0 ? modes : [...modes].reverse()) {
      for (const impl of order) {
        const v = await run(impl, cBin, mode, warmup, window);
        rates.get(key(impl, mode))!.push(v);
        line.push(
          `${key(impl, mode)} ${v.mpps.toFixed(2)} (${
            v.perCpu.toFixed(2)
          }/cpu)`,
        );
      }
    }
    views.push(measure(VIEW_SAMPLES));
    console.error(`round ${r + 1}/${runs}: ${line.join(", ")} Mpps`);
  }
  console.log(
    `pktgen at full speed on net_null, ${FLOWS} flows, 60-byte frames, ` +
      `generating lcore 1 on CPU 1, burst 32; ${runs} rounds (C and TS ` +
      `alternating), ${warmup} s warm-up, ${window} s window; medians of TX ` +
      `packets (telemetry port counter) per second of wall-clock time and ` +
      `per second of the process's CPU time; spread = (max - min) / median, ` +
      `(!) above ${NOISY * 100}%`,
  );
  const cols = (f: (r: Rate) => number) =>
    modes.map((mode) => {
      const c = rates.get(key("C", mode))!.map(f);
      const ts = rates.get(key("TS", mode))!.map(f);
      const ratios = c.map((x, i) => ts[i] / x);
      return {
        mode,
        ratios,
        cells: [
          median(c).toFixed(2),
          median(ts).toFixed(2),
          (median(ts) / median(c)).toFixed(2),
          median(ratios).toFixed(2),
          pct(spread(c)),
          pct(spread(ts)),
          pct(spread(ratios)),
        ],
      };
    });
  const head = [
    "TS/C",
    "median of round TS/C",
    "spread C",
    "spread TS",
    "spread TS/C",
  ];
  const wall = cols((r) => r.mpps), cpu = cols((r) => r.perCpu);
  const label = (mode: Mode) =>
    mode === "full" ? "full (target TS/C >= 0.8)" : "incremental (RFC 1624)";
  console.log("\nper second of wall-clock time:");
  console.log(table(
    ["checksums", "C Mpps", "TS Mpps", ...head],
    wall.map((w) => [label(w.mode), ...w.cells]),
  ));
  console.log("\nper second of CPU time:");
  console.log(table(
    ["checksums", "C Mpps/CPU-s", "TS Mpps/CPU-s", ...head],
    cpu.map((w) => [label(w.mode), ...w.cells]),
  ));
  console.log(
    `\nfull checksums: TS/C ${median(wall[0].ratios).toFixed(2)} (per ` +
      `CPU-s ${median(cpu[0].ratios).toFixed(2)}): target 0.8 ` +
      `${verdict(wall[0].ratios, 0.8)} by wall-clock time, ` +
      `${verdict(cpu[0].ratios, 0.8)} by CPU time`,
  );
  console.log(
    `\nheader views / raw DataView offsets, the same loop (bench/` +
      `packet_bench.ts), ${VIEW_SAMPLES} interleaved samples in each of ` +
      `${runs} rounds (a batch each); by thread CPU time (target: within ` +
      `10%):\n`,
  );
  console.log(table(PAIR_HEAD, pairRows(views, 1)));
}

if (import.meta.main) await main();
