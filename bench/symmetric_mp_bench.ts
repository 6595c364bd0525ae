/**
 * symmetric_mp, C original vs TypeScript, side by side on net_null ports.
 *
 * Both run with the same EAL and application arguments; packets per second
 * are read from the ports' own counters over DPDK's telemetry socket (the
 * same source for both): the RX packets of ports 0 and 1 over a fixed
 * window after a warm-up, and per second of CPU time the group's
 * processes used (steadier on a shared machine: time a forwarder was
 * preempted does not count). Scenarios: one process and two processes,
 * each with the lcores the C sample's users give: `-l 0` (the main lcore,
 * CPU 0, which EAL also pins the main thread to: the TypeScript main
 * thread moves off it while its worker polls, lib/lcore.ts) and `-l 0` +
 * `-l 1`, and lcore IDs mapped to other CPUs (`--lcores=1@1`, `2@0`). C
 * and TypeScript runs are paired (C then TS, TS then C, ...) so that load
 * from elsewhere hits both; each row gives the medians, the median of the
 * per-round TS/C ratios with their spread, and says when the machine was
 * too noisy to tell (support/bench.ts). Target: TS >= C.
 *
 * ```
 * deno run -A bench/symmetric_mp_bench.ts [--runs 5] [--warmup 2] [--window 3]
 * ```
 *
 * @module
 */

import { DEFAULT_BASE_VIRTADDR } from "../mod.ts";
import {
  cpuSeconds,
  loadAverage,
  mpps,
  type PairedRow,
  pairedTable,
  runOptions,
  sleep,
  stopGroup,
} from "../support/bench.ts";
import { cOriginal } from "../support/c_build.ts";
import { Proc, ROOT, uniquePrefix } from "../support/proc.ts";
import { portStats } from "../support/telemetry.ts";

type Impl = "C" | "TS";

interface Scenario {
  name: string;
  /** EAL lcore options of each process, proc-id 0 first (the primary). */
  lcores: string[][];
}

const SCENARIOS: Scenario[] = [
  { name: "1 process, -l 0", lcores: [["-l", "0"]] },
  { name: "2 processes, -l 0 and -l 1", lcores: [["-l", "0"], ["-l", "1"]] },
  { name: "1 process, --lcores=1@1", lcores: [["--lcores=1@1"]] },
  {
    name: "2 processes, --lcores=1@1 and 2@0",
    lcores: [["--lcores=1@1"], ["--lcores=2@0"]],
  },
];

function command(impl: Impl, cBin: string): { cmd: string; pre: string[] } {
  return impl === "C" ? { cmd: cBin, pre: [] } : {
    cmd: Deno.execPath(),
    pre: ["run", "-A", `${ROOT}apps/symmetric_mp.ts`],
  };
}

/**
 * RX packets of ports 0 and 1, when they were read (ms), and the CPU time
 * the processes have used (s).
 */
async function rxTotal(
  prefix: string,
  procs: Proc[],
): Promise<{ packets: number; at: number; cpu: number }> {
  const cpu = () => procs.reduce((t, p) => t + cpuSeconds(p.child.pid), 0);
  const before = performance.now(), cpuBefore = cpu();
  const st = await portStats(prefix, [0, 1]);
  const after = performance.now(), cpuAfter = cpu();
  return {
    packets: st[0].ipackets + st[1].ipackets,
    at: (before + after) / 2,
    cpu: (cpuBefore + cpuAfter) / 2,
  };
}

/** What one run measured, packets per second. */
interface Rate {
  /** Per second of wall-clock time. */
  pps: number;
  /** Per second of the processes' CPU time. */
  perCpu: number;
}

/** One run of a scenario: starts the processes, measures, stops them. */
async function measure(
  impl: Impl,
  sc: Scenario,
  cBin: string,
  warmupS: number,
  windowS: number,
): Promise<Rate> {
  const prefix = uniquePrefix("smp_bench");
  const { cmd, pre } = command(impl, cBin);
  const procs: Proc[] = [];
  try {
    for (let id = 0; id < sc.lcores.length; id++) {
      const p = new Proc(cmd, [
        ...pre,
        ...sc.lcores[id],
        "--no-pci",
        `--file-prefix=${prefix}`,
        "--vdev=net_null0",
        "--vdev=net_null1",
        "--log-level=lib.eal:error",
        // ours adds this by default (see the app); given to both, so the
        // EAL arguments are the same
        `--base-virtaddr=${DEFAULT_BASE_VIRTADDR}`,
        `--proc-type=${id === 0 ? "primary" : "secondary"}`,
        "--",
        "-p",
        "3",
        "--num-procs",
        String(sc.lcores.length),
        "--proc-id",
        String(id),
      ], { name: `${impl} symmetric_mp proc-id ${id}` });
      procs.push(p);
      await p.waitFor("Finished Process Init", 30_000);
    }
    await sleep(warmupS * 1000);
    const a = await rxTotal(prefix, procs);
    await sleep(windowS * 1000);
    const b = await rxTotal(prefix, procs);
    const packets = b.packets - a.packets;
    return {
      pps: packets / ((b.at - a.at) / 1000),
      perCpu: packets / (b.cpu - a.cpu),
    };
  } finally {
    await stopGroup(procs, prefix);
  }
}

async function main(): Promise<void> {
  const { runs, warmup, window } = runOptions(
    Deno.args,
    "bench/symmetric_mp_bench.ts",
  );
  const cBin = await cOriginal("symmetric_mp");
  const results = new Map<string, Rate[]>();
  const started = performance.now();
  const loadBefore = loadAverage();
  for (let r = 0; r < runs; r++) {
    const order: Impl[] = r % 2 === 0 ? ["C", "TS"] : ["TS", "C"];
    for (const sc of SCENARIOS) {
      for (const impl of order) {
        const rate = await measure(impl, sc, cBin, warmup, window);
        const key = `${sc.name}/${impl}`;
        results.set(key, [...(results.get(key) ?? []), rate]);
        console.log(
          `run ${r + 1}/${runs} ${sc.name.padEnd(34)} ${impl.padEnd(2)} ${
            mpps(rate.pps)
          } Mpps (${mpps(rate.perCpu)} per CPU-s)`,
        );
      }
    }
  }
  console.log(
    `\nsymmetric_mp on net_null ports, ${runs} paired rounds, ` +
      `${warmup} s warm-up, ${window} s window (${
        ((performance.now() - started) / 1000).toFixed(0)
      } s total); load average ${loadBefore} at start, ${loadAverage()} at ` +
      `the end\n`,
  );
  const rows: PairedRow[] = [];
  const targets: Record<string, number> = {};
  for (const sc of SCENARIOS) {
    const c = results.get(`${sc.name}/C`)!, ts = results.get(`${sc.name}/TS`)!;
    for (
      const [what, f] of [
        ["Mpps", (x: Rate) => x.pps / 1e6],
        ["Mpps per CPU-second", (x: Rate) => x.perCpu / 1e6],
      ] as const
    ) {
      const name = `${sc.name}, ${what}`;
      rows.push({ name, c: c.map(f), ts: ts.map(f) });
      targets[name] = 1.0;
    }
  }
  console.log(pairedTable(rows, "", (x) => x.toFixed(2), targets));
}

if (import.meta.main) await main();
