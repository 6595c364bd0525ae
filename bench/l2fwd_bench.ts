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
 * runs are paired (C then TS, TS then C, ...), so load from elsewhere hits
 * both; each row gives the medians, the median of the per-round TS/C
 * ratios with their spread, and says when the machine was too noisy to
 * tell (support/bench.ts). Two figures per run: packets per second of
 * wall-clock time, and per second of CPU time the process used (on a
 * shared machine the second is the steadier: time the forwarder was
 * preempted does not count).
 *
 * ```
 * deno run -A bench/l2fwd_bench.ts [--runs 5] [--warmup 2] [--window 3] \
 *   [--work-only] [--ts-script examples/l2fwd.ts]
 * ```
 *
 * `--ts-script` runs another TypeScript forwarder with the same command
 * line (a variant under study).
 *
 * `--callgrind` measures instead what a shared machine cannot disturb:
 * the instructions the forwarding thread executes per packet, C and TS,
 * each run under valgrind's callgrind (counters zeroed after `--warmup`
 * seconds, dumped after `--window` seconds; packets from the telemetry
 * counters read on both sides of each step). Needs valgrind; give it a
 * long warm-up (e.g. `--warmup 20 --window 10`): V8 compiles the loop
 * while it runs, and runs 50 times slower under valgrind.
 * `--callgrind-dir DIR` keeps the dumps there (`callgrind_annotate`).
 *
 * @module
 */

import {
  cpuSeconds,
  loadAverage,
  type PairedRow,
  pairedTable,
  sleep,
} from "../support/bench.ts";
import { parseArgs } from "@std/cli/parse-args";
import {
  Proc,
  removePrefixFiles,
  ROOT,
  uniquePrefix,
} from "../support/proc.ts";
import { benchC } from "../support/c_build.ts";
import { portStats } from "../support/telemetry.ts";

type Impl = "C" | "TS";

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

function l2fwdArgs(prefix: string, work: boolean): string[] {
  return [
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
}

/**
 * TX packets of ports 0 and 1 now (a few tries: under valgrind the
 * telemetry thread can be slow to accept).
 */
async function txPackets(prefix: string, tries = 10): Promise<number> {
  for (let i = 1;; i++) {
    try {
      const st = await portStats(prefix, [0, 1]);
      return st[0].opackets + st[1].opackets;
    } catch (e) {
      if (i >= tries) throw e;
      await sleep(200);
    }
  }
}

/**
 * Instructions per packet of the forwarding thread (the busiest thread),
 * under callgrind: counters zeroed after the warm-up, dumped after the
 * window; the packets of the window are the mean of the counts read just
 * before and just after each of the two steps.
 */
async function instructions(
  impl: Impl,
  cBin: string,
  work: boolean,
  warmupS: number,
  windowS: number,
  tsScript: string,
  keep?: string,
): Promise<number> {
  const prefix = uniquePrefix("l2fwd_cg");
  const dir = await Deno.makeTempDir({ prefix: "dts_l2fwd_cg_" });
  const cmd = impl === "C"
    ? [cBin, ...l2fwdArgs(prefix, work)]
    : [Deno.execPath(), "run", "-A", tsScript, ...l2fwdArgs(prefix, work)];
  const proc = new Proc("valgrind", [
    "--tool=callgrind",
    "--fair-sched=yes", // or the telemetry thread hardly gets a turn
    "--separate-threads=yes",
    "--smc-check=all-non-file", // V8 writes code
    `--callgrind-out-file=${dir}/cg.%p`,
    ...cmd,
  ], { name: `l2fwd (${impl}) under callgrind` });
  const pid = proc.child.pid; // valgrind runs the program in its own process
  const ctl = async (what: string) => {
    const out = await new Deno.Command("callgrind_control", {
      args: [what, String(pid)],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(
        `callgrind_control ${what}: ${new TextDecoder().decode(out.stderr)}`,
      );
    }
  };
  try {
    await proc.waitFor(/forwarding on lcore/, 300_000);
    await sleep(warmupS * 1000);
    const a1 = await txPackets(prefix);
    await ctl("-z");
    const a2 = await txPackets(prefix);
    await sleep(windowS * 1000);
    const b1 = await txPackets(prefix);
    await ctl("-d");
    const b2 = await txPackets(prefix);
    const packets = (b1 + b2) / 2 - (a1 + a2) / 2;
    let busiest = 0;
    for await (const e of Deno.readDir(dir)) {
      if (!e.name.startsWith(`cg.${pid}.1-`)) continue; // the first dump
      const text = await Deno.readTextFile(`${dir}/${e.name}`);
      const m = text.match(/^summary: (\d+)/m);
      if (m) busiest = Math.max(busiest, Number(m[1]));
    }
    if (busiest === 0 || !(packets > 0)) {
      throw new Error(`${proc.name}: no dump or no packets:\n${proc.output}`);
    }
    return busiest / packets;
  } finally {
    proc.kill("SIGKILL");
    await proc.exit();
    await removePrefixFiles(prefix);
    if (keep !== undefined) {
      // the dumps, for callgrind_annotate
      const to = `${keep}/${impl}-${work ? "work" : "nowork"}`;
      await Deno.mkdir(keep, { recursive: true });
      await Deno.remove(to, { recursive: true }).catch(() => {});
      await Deno.rename(dir, to);
    } else await Deno.remove(dir, { recursive: true });
  }
}

/** One run: start, warm up, measure the window, stop. */
async function run(
  impl: Impl,
  cBin: string,
  work: boolean,
  warmupS: number,
  windowS: number,
  tsScript: string,
): Promise<Rate> {
  const prefix = uniquePrefix("l2fwd_bench");
  const args = l2fwdArgs(prefix, work);
  const proc = impl === "C"
    ? new Proc(cBin, args, { name: "l2fwd (C)" })
    : new Proc(Deno.execPath(), [
      "run",
      "-A",
      tsScript,
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
    string: ["runs", "warmup", "window", "ts-script", "callgrind-dir"],
    boolean: ["work-only", "callgrind"],
    default: {
      runs: "5",
      warmup: "2",
      window: "3",
      "ts-script": `${ROOT}examples/l2fwd.ts`,
    },
  });
  const runs = Number(opts.runs), warmup = Number(opts.warmup);
  const window = Number(opts.window);
  const tsScript = opts["ts-script"];
  const cBin = await benchC("l2fwd_c", "l2fwd");
  const modes = opts["work-only"] ? [true] : [true, false];
  if (opts.callgrind) {
    console.log(
      `l2fwd under callgrind: instructions per packet of the forwarding ` +
        `thread, ${warmup} s warm-up, ${window} s window; TS: ${
          tsScript.replace(ROOT, "")
        }\n`,
    );
    console.log("| per-packet work | C instr/pkt | TS instr/pkt | C/TS |");
    console.log("| --- | --- | --- | --- |");
    for (const work of modes) {
      const keep = opts["callgrind-dir"];
      const c = await instructions(
        "C",
        cBin,
        work,
        warmup,
        window,
        tsScript,
        keep,
      );
      const ts = await instructions(
        "TS",
        cBin,
        work,
        warmup,
        window,
        tsScript,
        keep,
      );
      console.log(
        `| ${work ? "on" : "off (forward only)"} | ${c.toFixed(1)} | ${
          ts.toFixed(1)
        } | ${(c / ts).toFixed(2)} |`,
      );
    }
    return;
  }
  const key = (impl: Impl, work: boolean) => `${impl} ${work ? "on" : "off"}`;
  const rates = new Map<string, Rate[]>();
  for (const work of modes) {
    for (const impl of ["C", "TS"] as Impl[]) rates.set(key(impl, work), []);
  }
  const loadBefore = loadAverage();
  // every round runs every configuration; the order flips each round
  for (let r = 0; r < runs; r++) {
    const order: Impl[] = r % 2 === 0 ? ["C", "TS"] : ["TS", "C"];
    const line: string[] = [];
    for (const work of r % 2 === 0 ? modes : [...modes].reverse()) {
      for (const impl of order) {
        const v = await run(impl, cBin, work, warmup, window, tsScript);
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
  const name = (work: boolean, what: string) =>
    `${
      work ? "work on (swap MACs, count EtherTypes)" : "work off (forward only)"
    }, ${what}`;
  const rows: PairedRow[] = [];
  const targets: Record<string, number> = {};
  for (const work of modes) {
    const c = rates.get(key("C", work))!, ts = rates.get(key("TS", work))!;
    for (
      const [what, f] of [
        ["Mpps", (x: Rate) => x.mpps],
        ["Mpps per CPU-second", (x: Rate) => x.perCpu],
      ] as const
    ) {
      const n = name(work, what);
      rows.push({ name: n, c: c.map(f), ts: ts.map(f) });
      targets[n] = work ? 0.95 : 0.9;
    }
  }
  console.log(
    `l2fwd on 2 net_null ports, forwarding lcore 1 on CPU 1, burst 32; ` +
      `${runs} paired rounds, ${warmup} s warm-up, ${window} s window; TX ` +
      `packets (telemetry port counters) per second of wall-clock time and ` +
      `per second of the process's CPU time; TS: ${
        tsScript.replace(ROOT, "")
      }; load average ${loadBefore} at start, ${loadAverage()} at the end`,
  );
  console.log(pairedTable(rows, "", (x) => x.toFixed(2), targets));
}

if (import.meta.main) await main();
