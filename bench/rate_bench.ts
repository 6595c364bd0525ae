/**
 * Rate control (`RateSchedule`, paced by the TSC per burst) as
 * examples/pktgen.ts uses it, on a net_null port: requested 0.1, 1 and 10
 * Mpps, and the most this machine generates (measured first at full speed,
 * then requested at 95% of it), each for a few seconds (`pktgen --rate R
 * -t 3`). The target: the achieved rate within 1% of the requested one.
 *
 * Per rate, over `--runs` runs (medians):
 * - achieved: packets the port counted (its TX counter, which must equal
 *   what the generator sent) over the schedule's time, from the first
 *   packet due to the end (TSC time, as `rte_get_tsc_hz()` converts it),
 *   and its error against the request;
 * - the same by the wall clock: the port counter as the main thread read
 *   it each second (`performance.now()`), over the seconds after the first
 *   (the target is judged on this one: a TSC rate that DPDK misjudges
 *   shifts every TSC-paced rate, unseen by the schedule itself); the
 *   lowest and highest second;
 * - lateness: how late packets went against their scheduled time (mean,
 *   standard deviation: the jitter, and the largest).
 *
 * ```
 * deno run -A bench/rate_bench.ts [--runs 3] [--seconds 3]
 * ```
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import { median } from "../support/bench.ts";
import {
  denoRun,
  ealArgs,
  removePrefixFiles,
  uniquePrefix,
} from "../support/proc.ts";

const TARGET_PCT = 1;

/** What one pktgen run reported. */
interface Run {
  requested: number;
  achievedPps: number;
  errorPct: number;
  /** Port counter over wall-clock time, seconds 2.. (NaN for a 1 s run). */
  wallPps: number;
  perSecond: number[];
  lateMeanNs: number;
  lateStddevNs: number;
  lateMaxNs: number;
}

/** Runs pktgen at `rate` (0: full speed) for `seconds`; its numbers. */
async function pktgen(rate: number, seconds: number): Promise<Run> {
  const prefix = uniquePrefix("rate_bench");
  const p = denoRun("examples/pktgen.ts", [
    ...ealArgs(prefix, "-l", "0,1", "--vdev=net_null0"),
    "--",
    "--rate",
    String(rate),
    "-t",
    String(seconds),
    "--json",
  ]);
  try {
    const st = await p.exit(60_000 + seconds * 1000);
    const line = p.output.split("\n").find((l) =>
      l.startsWith('{"example":"pktgen"')
    );
    if (st.code !== 0 || line === undefined) {
      throw new Error(`pktgen --rate ${rate} failed:\n${p.output}`);
    }
    const r = JSON.parse(line);
    if (r.portOpackets !== r.sent) {
      throw new Error(`port counted ${r.portOpackets}, sent ${r.sent}`);
    }
    // the per-second rows of the port counter, by the main thread's clock
    const rows = p.output.split("\n").filter((l) => l.startsWith('{"time"'))
      .map((l) => JSON.parse(l)).filter((x) =>
        x.kind === "interval" && x.name === "tx.packets"
      ) as { time: number; delta: number }[];
    const wallPps = rows.slice(1).reduce((n, x) => n + x.delta, 0) /
      (rows[rows.length - 1].time - rows[0].time);
    const s = r.schedule;
    if (s === null) { // full speed: no schedule
      const pps = r.portOpackets / seconds;
      return {
        requested: 0,
        achievedPps: pps,
        errorPct: 0,
        wallPps,
        perSecond: r.perSecond,
        lateMeanNs: 0,
        lateStddevNs: 0,
        lateMaxNs: 0,
      };
    }
    const achieved = r.portOpackets / s.seconds;
    return {
      requested: rate,
      achievedPps: achieved,
      errorPct: (achieved - rate) / rate * 100,
      wallPps,
      perSecond: r.perSecond,
      lateMeanNs: s.lateMeanNs,
      lateStddevNs: s.lateStddevNs,
      lateMaxNs: s.lateMaxNs,
    };
  } finally {
    p.kill("SIGKILL");
    await p.exit();
    await removePrefixFiles(prefix);
  }
}

/** Packets per second, readable: 1.000M, 100.0k. */
function si(x: number): string {
  return x >= 1e6 ? `${(x / 1e6).toFixed(3)}M` : `${(x / 1e3).toFixed(1)}k`;
}

/** Nanoseconds, readable: 850 ns, 12.3 µs, 4.56 ms. */
function ns(x: number): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} ms`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)} µs`;
  return `${Math.round(x)} ns`;
}

async function main(): Promise<void> {
  const opts = parseArgs(Deno.args, {
    string: ["runs", "seconds"],
    default: { runs: "3", seconds: "3" },
    unknown: (a: string) => {
      console.error(`rate_bench: unknown argument ${a}`);
      console.error(
        "usage: deno run -A bench/rate_bench.ts [--runs N] [--seconds S]",
      );
      Deno.exit(2);
    },
  });
  const runs = Number(opts.runs), seconds = Number(opts.seconds);
  if (
    !(Number.isInteger(runs) && runs > 0 && Number.isInteger(seconds) &&
      seconds > 0)
  ) {
    console.error("rate_bench: --runs and --seconds are positive integers");
    Deno.exit(2);
  }
  const fullRuns: Run[] = [];
  for (let i = 0; i < runs; i++) fullRuns.push(await pktgen(0, seconds));
  // the steady seconds (the first holds the start-up)
  const max = median(fullRuns.map((r) => r.wallPps));
  const atMax = Math.floor(max * 0.95 / 1000) * 1000;
  console.error(`full speed: ${si(max)}pps (seconds 2.., wall clock)`);
  const rates = [100_000, 1_000_000, 10_000_000, atMax];
  const rows: string[][] = [];
  const ratios: number[] = [];
  let met = 0;
  for (const rate of rates) {
    const rs: Run[] = [];
    for (let i = 0; i < runs; i++) {
      rs.push(await pktgen(rate, seconds));
      console.error(
        `--rate ${rate}: run ${i + 1}: ${si(rs[i].achievedPps)}pps ` +
          `(${rs[i].errorPct.toFixed(3)}%), wall clock ` +
          `${si(rs[i].wallPps)}pps`,
      );
    }
    if (rate !== atMax) {
      ratios.push(...rs.map((r) => r.achievedPps / r.wallPps));
    }
    const err = median(rs.map((r) => r.errorPct));
    const wall = median(rs.map((r) => r.wallPps));
    const wallErr = (wall - rate) / rate * 100;
    const ok = Math.abs(wallErr) <= TARGET_PCT;
    const signed = (x: number) => `${x >= 0 ? "+" : ""}${x.toFixed(3)}%`;
    if (ok) met++;
    const secs = rs.flatMap((r) => r.perSecond.slice(1));
    rows.push([
      rate === atMax ? `${si(rate)} (95% of max)` : si(rate),
      si(median(rs.map((r) => r.achievedPps))),
      signed(err),
      si(wall),
      `${signed(wallErr)}${ok ? "" : " (!)"}`,
      `${si(Math.min(...secs))} .. ${si(Math.max(...secs))}`,
      ns(median(rs.map((r) => r.lateMeanNs))),
      ns(median(rs.map((r) => r.lateStddevNs))),
      ns(median(rs.map((r) => r.lateMaxNs))),
    ]);
  }
  const head = [
    "requested pps",
    "achieved (TSC)",
    "error",
    "wall clock",
    "error",
    "seconds 2.. (port, per s)",
    "late mean",
    "jitter (late stddev)",
    "late max",
  ];
  const widths = head.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => r[i].length))
  );
  const row = (cells: string[]) =>
    "| " + cells.map((c, i) => c.padEnd(widths[i])).join(" | ") + " |";
  console.log(
    `pktgen --rate R -t ${seconds} on net_null (60-byte frames, burst 32, ` +
      `generating lcore 1 on CPU 1), ${runs} runs per rate, medians; full ` +
      `speed here: ${si(max)}pps; achieved = packets the port counted / the ` +
      `schedule's TSC time; wall clock = the port counter over the main ` +
      `thread's clock, seconds 2..; (!) error beyond ${TARGET_PCT}%`,
  );
  console.log(row(head));
  console.log(row(widths.map((w) => "-".repeat(w))));
  for (const r of rows) console.log(row(r));
  console.log(
    `${met} of ${rates.length} rates within ${TARGET_PCT}% of the request ` +
      `by the wall clock; TSC-timed rates over wall-clock ones: ${
        ((median(ratios) - 1) * 100).toFixed(3)
      }% (median over the runs: how far rte_get_tsc_hz() is from the TSC's ` +
      `true rate, as a VM may misreport it)`,
  );
}

if (import.meta.main) await main();
