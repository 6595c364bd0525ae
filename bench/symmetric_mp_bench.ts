/**
 * symmetric_mp, C original vs TypeScript, side by side on net_null ports.
 *
 * Both run with the same EAL and application arguments; packets per second
 * are read from the ports' own counters over DPDK's telemetry socket (the
 * same source for both): the RX packets of ports 0 and 1 over a fixed
 * window after a warm-up. Two scenarios: one process (N=1), and two
 * processes (N=2) on different lcores and CPUs. C and TypeScript runs
 * alternate (and swap order every round) so that load from elsewhere hits
 * both; the table gives the median of each, their ratio, and the median
 * of the per-round ratios (C and TS of one round ran back to back, so that
 * ratio is the less sensitive to load that comes and goes).
 *
 * ```
 * deno run -A bench/symmetric_mp_bench.ts [--runs 5] [--warmup 2] [--window 3]
 * ```
 *
 * @module
 */

import { DEFAULT_BASE_VIRTADDR } from "../mod.ts";
import {
  median,
  mpps,
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
  /** `--lcores` of each process, proc-id 0 first (the primary). */
  lcores: string[];
}

const SCENARIOS: Scenario[] = [
  { name: "1 process", lcores: ["1@1"] },
  { name: "2 processes", lcores: ["1@1", "2@0"] },
];

function command(impl: Impl, cBin: string): { cmd: string; pre: string[] } {
  return impl === "C" ? { cmd: cBin, pre: [] } : {
    cmd: Deno.execPath(),
    pre: ["run", "-A", `${ROOT}apps/symmetric_mp.ts`],
  };
}

/** RX packets of ports 0 and 1, and when they were read (ms). */
async function rxTotal(
  prefix: string,
): Promise<{ packets: number; at: number }> {
  const before = performance.now();
  const st = await portStats(prefix, [0, 1]);
  const after = performance.now();
  return {
    packets: st[0].ipackets + st[1].ipackets,
    at: (before + after) / 2,
  };
}

/** One run of a scenario: starts the processes, measures, stops them. */
async function measure(
  impl: Impl,
  sc: Scenario,
  cBin: string,
  warmupS: number,
  windowS: number,
): Promise<number> {
  const prefix = uniquePrefix("smp_bench");
  const { cmd, pre } = command(impl, cBin);
  const procs: Proc[] = [];
  try {
    for (let id = 0; id < sc.lcores.length; id++) {
      const p = new Proc(cmd, [
        ...pre,
        `--lcores=${sc.lcores[id]}`,
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
    const a = await rxTotal(prefix);
    await sleep(windowS * 1000);
    const b = await rxTotal(prefix);
    return (b.packets - a.packets) / ((b.at - a.at) / 1000);
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
  const results = new Map<string, number[]>();
  const started = performance.now();
  for (let r = 0; r < runs; r++) {
    const order: Impl[] = r % 2 === 0 ? ["C", "TS"] : ["TS", "C"];
    for (const sc of SCENARIOS) {
      for (const impl of order) {
        const pps = await measure(impl, sc, cBin, warmup, window);
        const key = `${sc.name}/${impl}`;
        results.set(key, [...(results.get(key) ?? []), pps]);
        console.log(
          `run ${r + 1}/${runs} ${sc.name.padEnd(11)} ${impl.padEnd(2)} ${
            mpps(pps)
          } Mpps`,
        );
      }
    }
  }
  console.log(
    `\nsymmetric_mp on net_null ports, ${runs} alternating runs, ` +
      `${warmup} s warm-up, ${window} s window (${
        ((performance.now() - started) / 1000).toFixed(0)
      } s total)\n`,
  );
  console.log(
    "| scenario | C Mpps (median) | TS Mpps (median) | TS / C (medians) | TS / C (median of rounds) |",
  );
  console.log("|---|---|---|---|---|");
  for (const sc of SCENARIOS) {
    const cs = results.get(`${sc.name}/C`)!;
    const tss = results.get(`${sc.name}/TS`)!;
    const c = median(cs);
    const ts = median(tss);
    // each round ran C and TS back to back: their ratio shares the load
    const paired = median(tss.map((t, i) => t / cs[i]));
    console.log(
      `| ${sc.name} | ${mpps(c)} | ${mpps(ts)} | ${(ts / c).toFixed(3)} | ${
        paired.toFixed(3)
      } |`,
    );
  }
}

if (import.meta.main) await main();
