/**
 * The L2 forwarder of examples/l2fwd.ts beside the same logic in C
 * (bench/l2fwd_c/l2fwd.c, built here from source into build/l2fwd_c), on
 * two net_null ports: swap MACs and count by EtherType on every frame
 * ("work on", the target: TypeScript >= 0.8 of C), and plain forwarding
 * ("work off", what the FFI crossings cost).
 *
 * Both get the same EAL arguments (forwarding lcore 1 on CPU 1) and are
 * measured from the same source: the ports' TX counters over DPDK's
 * telemetry socket, over a fixed window after a warm-up. C and TypeScript
 * runs alternate, swapping order every round, so load from elsewhere hits
 * both; the table gives the median of each, the ratio of the medians and
 * the median of the per-round ratios.
 *
 * ```
 * deno run -A bench/l2fwd_bench.ts [--runs 5] [--warmup 2] [--window 3] [--work-only]
 * ```
 *
 * @module
 */

import { median, sleep } from "../support/bench.ts";
import { parseArgs } from "@std/cli/parse-args";
import {
  Proc,
  removePrefixFiles,
  ROOT,
  uniquePrefix,
} from "../support/proc.ts";
import { portStats } from "../support/telemetry.ts";

type Impl = "C" | "TS";

/** Builds the C forwarder (make skips it when up to date); its path. */
async function buildC(): Promise<string> {
  const build = `${ROOT}build/l2fwd_c`;
  const out = await new Deno.Command("make", {
    args: ["-s", "-C", `${ROOT}bench/l2fwd_c`, `BUILD=${build}`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `building the C forwarder failed:\n${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
  return `${build}/l2fwd`;
}

/** CPU time (user + system) the process `pid` has used, in seconds. */
function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime; USER_HZ 100
}

/**
 * TX packets of ports 0 and 1, when they were read (ms), and the CPU time
 * of process `pid` then (s).
 */
async function sample(
  prefix: string,
  pid: number,
): Promise<{ packets: number; at: number; cpu: number }> {
  const before = performance.now(), cpuBefore = cpuSeconds(pid);
  const st = await portStats(prefix, [0, 1]);
  const after = performance.now(), cpuAfter = cpuSeconds(pid);
  return {
    packets: st[0].opackets + st[1].opackets,
    at: (before + after) / 2,
    cpu: (cpuBefore + cpuAfter) / 2,
  };
}

/** What one run measured. */
interface Rate {
  /** Packets forwarded per second of wall-clock time, in millions. */
  mpps: number;
  /** Packets forwarded per second of the process's CPU time, in millions. */
  perCpu: number;
}

/** One run: start, warm up, measure the window, stop. */
async function run(
  impl: Impl,
  cBin: string,
  work: boolean,
  warmupS: number,
  windowS: number,
): Promise<Rate> {
  const prefix = uniquePrefix("l2fwd_bench");
  const args = [
    "-l",
    "0,1",
    "--no-pci",
    `--file-prefix=${prefix}`,
    "--vdev=net_null0",
    "--vdev=net_null1",
    "--log-level=lib.eal:error",
    "--",
    "-t",
    "0",
    ...(work ? [] : ["--no-work"]),
  ];
  const proc = impl === "C"
    ? new Proc(cBin, args, { name: "l2fwd (C)" })
    : new Proc(Deno.execPath(), [
      "run",
      "-A",
      `${ROOT}examples/l2fwd.ts`,
      ...args,
    ], {
      name: "l2fwd (TS)",
    });
  try {
    await proc.waitFor(/forwarding on lcore/, 30_000);
    await sleep(warmupS * 1000);
    const a = await sample(prefix, proc.child.pid);
    await sleep(windowS * 1000);
    const b = await sample(prefix, proc.child.pid);
    proc.kill("SIGTERM");
    const m = await proc.waitFor(/^\{.*"example":"l2fwd".*\}$/m, 20_000);
    const r = JSON.parse(m[0]);
    if (r.rx !== r.tx + r.dropped || r.tx < b.packets) {
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

async function main(): Promise<void> {
  const opts = parseArgs(Deno.args, {
    string: ["runs", "warmup", "window"],
    boolean: ["work-only"],
    default: { runs: "5", warmup: "2", window: "3" },
  });
  const runs = Number(opts.runs), warmup = Number(opts.warmup);
  const window = Number(opts.window);
  const cBin = await buildC();
  const modes = opts["work-only"] ? [true] : [true, false];
  const key = (impl: Impl, work: boolean) => `${impl} ${work ? "on" : "off"}`;
  const rates = new Map<string, Rate[]>();
  for (const work of modes) {
    for (const impl of ["C", "TS"] as Impl[]) rates.set(key(impl, work), []);
  }
  // every round runs every configuration; the order flips each round
  for (let r = 0; r < runs; r++) {
    const order: Impl[] = r % 2 === 0 ? ["C", "TS"] : ["TS", "C"];
    const line: string[] = [];
    for (const work of r % 2 === 0 ? modes : [...modes].reverse()) {
      for (const impl of order) {
        const v = await run(impl, cBin, work, warmup, window);
        rates.get(key(impl, work))!.push(v);
        line.push(
          `${key(impl, work)} ${v.mpps.toFixed(2)} (${
            v.perCpu.toFixed(2)
          }/cpu)`,
        );
      }
    }
    console.error(`round ${r + 1}/${runs}: ${line.join(", ")} Mpps`);
  }
  const rows = modes.map((work) => {
    const c = rates.get(key("C", work))!, ts = rates.get(key("TS", work))!;
    const col = (rs: Rate[], f: (r: Rate) => number) => median(rs.map(f));
    const wall = (r: Rate) => r.mpps, cpu = (r: Rate) => r.perCpu;
    return [
      work ? "on (swap MACs, count EtherTypes)" : "off (forward only)",
      col(c, wall).toFixed(2),
      col(ts, wall).toFixed(2),
      (col(ts, wall) / col(c, wall)).toFixed(2),
      median(c.map((x, i) => ts[i].mpps / x.mpps)).toFixed(2),
      col(c, cpu).toFixed(2),
      col(ts, cpu).toFixed(2),
      (col(ts, cpu) / col(c, cpu)).toFixed(2),
    ];
  });
  const head = [
    "per-packet work",
    "C Mpps",
    "TS Mpps",
    "TS/C",
    "median of round TS/C",
    "C Mpps/CPU-s",
    "TS Mpps/CPU-s",
    "TS/C per CPU-s",
  ];
  const widths = head.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => r[i].length))
  );
  const row = (cells: string[]) =>
    "| " + cells.map((c, i) => c.padEnd(widths[i])).join(" | ") + " |";
  console.log(
    `l2fwd on 2 net_null ports, forwarding lcore 1 on CPU 1, burst 32; ` +
      `${runs} rounds (C and TS alternating), ${warmup} s warm-up, ` +
      `${window} s window; medians of TX packets (telemetry port counters) ` +
      `per second of wall-clock time and per second of the process's CPU time`,
  );
  console.log(row(head));
  console.log(row(widths.map((w) => "-".repeat(w))));
  for (const r of rows) console.log(row(r));
}

if (import.meta.main) await main();
