/**
 * client_server_mp, C original vs TypeScript, side by side on two
 * net_null ports.
 *
 * Both run with the same EAL and application arguments (including our
 * apps' default `--base-virtaddr`, see lib/eal.ts): the server on
 * lcore 0 (CPU 0), the clients on lcores 1 and 2 (CPU 1). Packets per
 * second are read from the ports' own counters over DPDK's telemetry
 * socket (the same source for both) over a fixed window after a warm-up:
 * "fwd" is what the clients sent (TX of ports 0 and 1: packets that went
 * all the way through), "srv rx" what the server received. Scenarios:
 * server + 1 client, server + 2 clients. C and TypeScript runs are paired
 * (C then TS, TS then C, ...) so that load from elsewhere hits both; each
 * row gives the medians, the median of the per-round TS/C ratios with
 * their spread, and says when the machine was too noisy to tell
 * (support/bench.ts). Target: TS >= C. (With two clients on CPU 1 the
 * clients take turns on it: the figures measure sharing as much as
 * forwarding.)
 *
 * ```
 * deno run -A bench/client_server_bench.ts [--runs 5] [--warmup 2] [--window 3]
 * ```
 *
 * @module
 */

import { DEFAULT_BASE_VIRTADDR } from "../mod.ts";
import {
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
  /** `--lcores` of each client, client 0 first. */
  clients: string[];
}

const SERVER_LCORES = "0@0";
const SCENARIOS: Scenario[] = [
  { name: "server + 1 client", clients: ["1@1"] },
  { name: "server + 2 clients", clients: ["1@1", "2@1"] },
];

/** Port counters summed over ports 0 and 1, and when they were read. */
async function totals(
  prefix: string,
): Promise<{ tx: number; rx: number; at: number }> {
  const before = performance.now();
  const st = await portStats(prefix, [0, 1]);
  const after = performance.now();
  return {
    tx: st[0].opackets + st[1].opackets,
    rx: st[0].ipackets + st[1].ipackets,
    at: (before + after) / 2,
  };
}

/** One run: starts server and clients, measures, stops them. */
async function measure(
  impl: Impl,
  sc: Scenario,
  bins: { server: string; client: string },
  warmupS: number,
  windowS: number,
): Promise<{ fwd: number; rx: number }> {
  const prefix = uniquePrefix("csmp_bench");
  const run = (app: "server" | "client", args: string[], name: string) =>
    impl === "C" ? new Proc(bins[app], args, { name }) : new Proc(
      Deno.execPath(),
      ["run", "-A", `${ROOT}apps/mp_${app}.ts`, ...args],
      { name },
    );
  const eal = (lcores: string) => [
    `--lcores=${lcores}`,
    "--no-pci",
    `--file-prefix=${prefix}`,
    "--log-level=lib.eal:error",
    // our apps' default (lib/eal.ts), given to the C originals too
    `--base-virtaddr=${DEFAULT_BASE_VIRTADDR}`,
  ];
  const procs: Proc[] = [];
  try {
    const server = run("server", [
      ...eal(SERVER_LCORES),
      "--vdev=net_null0",
      "--vdev=net_null1",
      "--",
      "-p",
      "3",
      "-n",
      String(sc.clients.length),
    ], `${impl} mp_server`);
    procs.push(server);
    await server.waitFor("Finished Process Init", 30_000);
    for (let id = 0; id < sc.clients.length; id++) {
      const c = run("client", [
        ...eal(sc.clients[id]),
        "--proc-type=secondary",
        "--",
        "-n",
        String(id),
      ], `${impl} mp_client ${id}`);
      procs.push(c);
      await c.waitFor("Finished Process Init", 30_000);
    }
    await sleep(warmupS * 1000);
    const a = await totals(prefix);
    await sleep(windowS * 1000);
    const b = await totals(prefix);
    const s = (b.at - a.at) / 1000;
    return { fwd: (b.tx - a.tx) / s, rx: (b.rx - a.rx) / s };
  } finally {
    await stopGroup(procs, prefix);
  }
}

async function main(): Promise<void> {
  const { runs, warmup, window } = runOptions(
    Deno.args,
    "bench/client_server_bench.ts",
  );
  const bins = {
    server: await cOriginal("mp_server"),
    client: await cOriginal("mp_client"),
  };
  const fwd = new Map<string, number[]>();
  const rx = new Map<string, number[]>();
  const push = (m: Map<string, number[]>, k: string, v: number) =>
    m.set(k, [...(m.get(k) ?? []), v]);
  const started = performance.now();
  for (let r = 0; r < runs; r++) {
    const order: Impl[] = r % 2 === 0 ? ["C", "TS"] : ["TS", "C"];
    for (const sc of SCENARIOS) {
      for (const impl of order) {
        const res = await measure(impl, sc, bins, warmup, window);
        push(fwd, `${sc.name}/${impl}`, res.fwd);
        push(rx, `${sc.name}/${impl}`, res.rx);
        console.log(
          `run ${r + 1}/${runs} ${sc.name.padEnd(18)} ${impl.padEnd(2)} ` +
            `fwd ${mpps(res.fwd)} Mpps, srv rx ${mpps(res.rx)} Mpps`,
        );
      }
    }
  }
  const secs = ((performance.now() - started) / 1000).toFixed(0);
  console.log(
    `\nclient_server_mp, net_null x2, ${runs} paired rounds (window ` +
      `${window} s after ${warmup} s warm-up; ${secs} s in all); load ` +
      `average at the end ${loadAverage()}; "fwd": packets the clients sent ` +
      `(all the way through), "srv rx": what the server received\n`,
  );
  const rows: PairedRow[] = [];
  const targets: Record<string, number> = {};
  for (const sc of SCENARIOS) {
    for (const [what, m] of [["fwd Mpps", fwd], ["srv rx Mpps", rx]] as const) {
      const name = `${sc.name}, ${what}`;
      rows.push({
        name,
        c: m.get(`${sc.name}/C`)!.map((x) => x / 1e6),
        ts: m.get(`${sc.name}/TS`)!.map((x) => x / 1e6),
      });
      if (what === "fwd Mpps") targets[name] = 1.0;
    }
  }
  console.log(pairedTable(rows, "", (x) => x.toFixed(2), targets));
}

if (import.meta.main) await main();
