/**
 * proc_info: DPDK's `dpdk-proc-info` in TypeScript. It attaches to a
 * running group (a C application or ours) as a secondary that only
 * watches, and prints port counters, extended counters, port details,
 * rings, mempools and memzones; it can reset port counters. It never
 * configures a port.
 *
 * ```sh
 * deno run -A apps/proc_info.ts --file-prefix=smp -- --stats --show-ring --json
 * deno run -A apps/proc_info.ts --file-prefix=smp -- --watch 1
 * ```
 *
 * The command line is dpdk-proc-info's: EAL options (at least
 * `--file-prefix`), `--`, then the options of {@linkcode USAGE}. Ours
 * besides: `--show-memzone`, `--json` (one JSON document on stdout; with
 * `--watch`, one JSON document per line and interval) and `--watch
 * SECONDS` (rates until Ctrl-C).
 *
 * Differences from C:
 * - It runs as an lcore ID that no process of the group uses, picked when
 *   the EAL options name none (`-l`, `--lcores`, `-c`); C runs on lcore 0
 *   unless told, sharing the primary's per-lcore pool caches.
 * - `--no-pci` is added unless PCI devices are named (`-a`), and DPDK's
 *   log goes to stderr (warnings and errors only unless `--log-level` is
 *   given), so stdout carries only the report.
 * - With no primary under the prefix it says so in one line and exits
 *   with status 1, leaving no file behind; C prints EAL's errors and
 *   leaves the group's runtime folder.
 * - With no action option it prints `--stats` (as C does).
 * - Unknown options are refused with the usage (status 2).
 *
 * @module
 */

import {
  AttachClashError,
  AttachError,
  attachSecondary,
  cleanupEal,
  dpdkVersion,
  type MempoolInfo,
  mempools,
  type MemzoneInfo,
  memzones,
  NoPrimaryError,
  Port,
  type PortDetails,
  portDetails,
  type PortStats,
  portXstats,
  primaryAlive,
  resetPortCounters,
  type RingInfo,
  rings,
  RTE,
  type Xstat,
} from "../mod.ts";

/** The usage text. */
export const USAGE =
  `usage: proc_info [EAL options] -- [-p PORTMASK] [--stats] [--xstats]
       [--stats-reset] [--xstats-reset] [--show-port] [--show-ring[=NAME]]
       [--show-mempool[=NAME]] [--show-memzone] [-m] [--version]
       [--json] [--watch SECONDS]

EAL options: at least --file-prefix=NAME (the group to attach to); an lcore
ID (-l, --lcores) is picked when none is given; --no-pci is added unless
-a names PCI devices.

  -p PORTMASK          ports to show or reset (hexadecimal; default: all)
  --stats              port counters (the default when no option is given)
  --xstats             extended port counters, names and values
  --stats-reset        reset the ports' counters
  --xstats-reset       reset the ports' extended counters
  --show-port          port details: driver, MAC, link, queues, offloads
  --show-ring[=NAME]   rings with size, count, flags (all, or NAME)
  --show-mempool[=NAME] mempools with sizes and in-use counts (all, or NAME)
  --show-memzone, -m   memzones with sizes and flags
  --version            DPDK's version
  --json               one JSON document on stdout instead of text
  --watch SECONDS      print packet and bit rates every SECONDS until Ctrl-C
  -h, --help           this text`;

/** A mistake in proc_info's own options: printed with the usage. */
export class UsageError extends Error {
  /**
   * An error for the usage message.
   *
   * @param message what is wrong
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** proc_info's options (after `--`). */
export interface ProcInfoOptions {
  /** Ports to show (bit i: port i); undefined: every port. */
  portMask?: bigint;
  /** `--stats`. */
  stats: boolean;
  /** `--xstats`. */
  xstats: boolean;
  /** `--stats-reset`. */
  statsReset: boolean;
  /** `--xstats-reset`. */
  xstatsReset: boolean;
  /** `--show-port`. */
  showPort: boolean;
  /** `--show-ring`: true for every ring, else a name. */
  showRing?: true | string;
  /** `--show-mempool`: true for every mempool, else a name. */
  showMempool?: true | string;
  /** `--show-memzone` (or `-m`). */
  showMemzone: boolean;
  /** `--version`. */
  version: boolean;
  /** `--json`. */
  json: boolean;
  /** `--watch SECONDS`. */
  watch?: number;
  /** `-h`, `--help`. */
  help: boolean;
}

/**
 * Parses proc_info's options (what follows `--`). With no action option,
 * `stats` is set.
 *
 * @throws UsageError for an unknown option or a bad value
 */
export function parseProcInfoArgs(args: readonly string[]): ProcInfoOptions {
  const o: ProcInfoOptions = {
    stats: false,
    xstats: false,
    statsReset: false,
    xstatsReset: false,
    showPort: false,
    showMemzone: false,
    version: false,
    json: false,
    help: false,
  };
  const value = (i: number, name: string): string => {
    if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
      throw new UsageError(`${name} needs a value`);
    }
    return args[i + 1];
  };
  const optional = (a: string, name: string): true | string | undefined => {
    if (a === name) return true;
    if (a.startsWith(`${name}=`)) {
      const v = a.slice(name.length + 1);
      if (v === "") throw new UsageError(`${name}= needs a name`);
      return v;
    }
    return undefined;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    let v: true | string | undefined;
    if (a === "-p" || a.startsWith("-p") && !a.startsWith("--")) {
      const text = a === "-p" ? value(i++, "-p") : a.slice(2);
      if (!/^(0x)?[0-9a-f]+$/i.test(text)) {
        throw new UsageError(`-p ${text}: not a hexadecimal port mask`);
      }
      o.portMask = BigInt(text.startsWith("0x") ? text : `0x${text}`);
    } else if (a === "--stats") o.stats = true;
    else if (a === "--xstats") o.xstats = true;
    else if (a === "--stats-reset") o.statsReset = true;
    else if (a === "--xstats-reset") o.xstatsReset = true;
    else if (a === "--show-port") o.showPort = true;
    else if ((v = optional(a, "--show-ring")) !== undefined) o.showRing = v;
    else if ((v = optional(a, "--show-mempool")) !== undefined) {
      o.showMempool = v;
    } else if (a === "--show-memzone" || a === "-m") o.showMemzone = true;
    else if (a === "--version") o.version = true;
    else if (a === "--json") o.json = true;
    else if (a === "-h" || a === "--help") o.help = true;
    else if (a === "--watch" || a.startsWith("--watch=")) {
      const text = a === "--watch" ? value(i++, "--watch") : a.slice(8);
      const s = Number(text);
      if (!(Number.isFinite(s) && s > 0 && s <= 86400)) {
        throw new UsageError(
          `--watch ${text}: not a number of seconds in (0, 86400]`,
        );
      }
      o.watch = s;
    } else {
      throw new UsageError(`unknown option ${a}`);
    }
  }
  const acts = o.stats || o.xstats || o.statsReset || o.xstatsReset ||
    o.showPort || o.showRing !== undefined || o.showMempool !== undefined ||
    o.showMemzone || o.version || o.watch !== undefined;
  if (!acts) o.stats = true;
  return o;
}

/** The ports of `ids` that `mask` selects (all of them without a mask). */
export function selectPorts(ids: readonly number[], mask?: bigint): number[] {
  return mask === undefined
    ? [...ids]
    : ids.filter((p) => ((mask >> BigInt(p)) & 1n) === 1n);
}

// ---- text output (pure) ---------------------------------------------------------

const RULE = "#".repeat(76);

function banner(title: string): string {
  const t = ` ${title} `;
  const left = Math.max(2, Math.floor((RULE.length - t.length) / 2));
  return "#".repeat(left) + t +
    "#".repeat(Math.max(2, RULE.length - left - t.length));
}

/** Port counters as dpdk-proc-info prints them. */
export function formatStats(port: number, s: PortStats): string {
  const lines = [
    `  ${banner(`NIC statistics for port ${port}`)}`,
    `  RX-packets: ${pad(s.ipackets)} RX-errors: ${pad(s.ierrors)} ` +
    `RX-bytes: ${s.ibytes}`,
    `  RX-missed:  ${pad(s.imissed)} RX-nombuf: ${s.rxNoMbuf}`,
    `  TX-packets: ${pad(s.opackets)} TX-errors: ${pad(s.oerrors)} ` +
    `TX-bytes: ${s.obytes}`,
  ];
  s.qIpackets.forEach((n, q) => {
    lines.push(
      `  Stats reg ${String(q).padStart(2)} RX-packets: ${pad(n)} ` +
        `TX-packets: ${s.qOpackets[q] ?? 0}`,
    );
  });
  lines.push(`  ${RULE}`);
  return lines.join("\n");
}

const pad = (n: number) => String(n).padEnd(12);

/** Extended counters, one `name: value` a line. */
export function formatXstats(port: number, xs: readonly Xstat[]): string {
  const w = Math.max(0, ...xs.map((x) => x.name.length));
  return [
    `  ${banner(`NIC extended statistics for port ${port}`)}`,
    ...xs.map((x) => `  ${x.name.padEnd(w)}: ${x.value}`),
    `  ${RULE}`,
  ].join("\n");
}

/** Port details, one fact a line. */
export function formatPort(d: PortDetails): string {
  const link = d.link === null ? "unknown" : d.link.text;
  const lines = [
    `  ${banner(`Port ${d.port}: ${d.name}`)}`,
    `  driver: ${d.driver ?? "?"}  socket: ${d.socket}  mac: ${d.mac ?? "?"}`,
    `  link: ${link}`,
    `  mtu: ${d.mtu ?? "?"} (${d.minMtu}..${d.maxMtu})  promiscuous: ` +
    `${onOff(d.promiscuous)}  allmulticast: ${onOff(d.allmulticast)}`,
    `  queues: rx ${d.rxQueues}/${d.maxRxQueues}  tx ${d.txQueues}/` +
    `${d.maxTxQueues}`,
  ];
  if (d.config !== null) {
    lines.push(
      `  rss_hf: ${d.config.rssHf}  rx offloads: ` +
        `${d.config.rxOffloadNames.join(" ") || "none"}  tx offloads: ` +
        `${d.config.txOffloadNames.join(" ") || "none"}`,
    );
  }
  d.rxq.forEach((q, i) =>
    lines.push(
      q === null
        ? `  rx queue ${i}: (driver does not tell)`
        : `  rx queue ${i}: ${q.nbDesc} descriptors, pool ${q.mempool ?? "?"}${
          q.dropEn ? ", drops when full" : ""
        }`,
    )
  );
  d.txq.forEach((q, i) =>
    lines.push(
      q === null
        ? `  tx queue ${i}: (driver does not tell)`
        : `  tx queue ${i}: ${q.nbDesc} descriptors`,
    )
  );
  lines.push(`  ${RULE}`);
  return lines.join("\n");
}

const onOff = (v: number) => v === 1 ? "on" : v === 0 ? "off" : "?";

/** A table: a header row, then rows, columns padded to fit. */
export function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const w = head.map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  return cells.map((r) =>
    r.map((x, c) => c === 0 ? x.padEnd(w[c]) : x.padStart(w[c])).join("  ")
      .trimEnd()
  ).join("\n");
}

/** Rings as a table. */
export function formatRings(rs: readonly RingInfo[]): string {
  return table(
    ["ring", "size", "capacity", "count", "free", "flags"],
    rs.map((r) => [
      r.name,
      r.size,
      r.capacity,
      r.count,
      r.free,
      r.flagNames.join(",") || "-",
    ]),
  );
}

/** Mempools as a table. */
export function formatMempools(ps: readonly MempoolInfo[]): string {
  return table(
    [
      "mempool",
      "size",
      "elt_size",
      "cache",
      "avail",
      "in_use",
      "cached",
      "ops",
    ],
    ps.map((p) => [
      p.name,
      p.size,
      p.eltSize,
      p.cacheSize,
      p.avail,
      p.inUse,
      p.cacheCount,
      p.ops ?? "?",
    ]),
  );
}

/** Memzones as a table. */
export function formatMemzones(zs: readonly MemzoneInfo[]): string {
  return table(
    ["memzone", "len", "socket", "hugepage", "addr", "flags"],
    zs.map((z) => [
      z.name,
      z.len,
      z.socket,
      z.hugepageSize,
      z.addr,
      z.flagNames.join(",") || "-",
    ]),
  );
}

/** One port's rates between two readings `dt` seconds apart. */
export interface PortRates {
  /** Port ID. */
  port: number;
  /** Packets received per second. */
  rxPps: number;
  /** Packets sent per second. */
  txPps: number;
  /** Received bits per second. */
  rxBps: number;
  /** Sent bits per second. */
  txBps: number;
  /** Packets dropped per second (missed, errors, no mbuf). */
  dropPps: number;
}

/** Rates between two readings of one port's counters. */
export function rates(
  port: number,
  prev: PortStats,
  cur: PortStats,
  dt: number,
): PortRates {
  const d = (a: number, b: number) => Math.max(0, b - a) / dt;
  return {
    port,
    rxPps: d(prev.ipackets, cur.ipackets),
    txPps: d(prev.opackets, cur.opackets),
    rxBps: d(prev.ibytes, cur.ibytes) * 8,
    txBps: d(prev.obytes, cur.obytes) * 8,
    dropPps: d(
      prev.imissed + prev.ierrors + prev.rxNoMbuf,
      cur.imissed + cur.ierrors + cur.rxNoMbuf,
    ),
  };
}

/** A number with an SI prefix and a unit, e.g. `si(14.88e6, "pps")`: `14.88 Mpps`. */
export function si(n: number, unit = ""): string {
  const units = ["", "k", "M", "G", "T"];
  let i = 0;
  while (Math.abs(n) >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 2)} ${units[i]}${unit}`.trimEnd();
}

/** One watch line for a port. */
export function formatRates(r: PortRates): string {
  return `port ${r.port}: rx ${si(r.rxPps, "pps")} ${si(r.rxBps, "bit/s")}  ` +
    `tx ${si(r.txPps, "pps")} ${si(r.txBps, "bit/s")}  ` +
    `drop ${si(r.dropPps, "pps")}`;
}

/** JSON.stringify for reports: BigInt as decimal strings. */
export function toJson(value: unknown, indent = 0): string {
  return JSON.stringify(
    value,
    (_k, v) => typeof v === "bigint" ? v.toString() : v,
    indent,
  );
}

// ---- running --------------------------------------------------------------------

function pick<T extends { name: string }>(
  all: T[],
  want: true | string,
  kind: string,
): T[] {
  if (want === true) return all;
  const one = all.filter((x) => x.name === want);
  if (one.length === 0) {
    console.error(
      `proc_info: no ${kind} named "${want}": showing every ${kind}`,
    );
    return all;
  }
  return one;
}

function report(o: ProcInfoOptions, ports: number[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (o.version) out.version = dpdkVersion();
  if (o.statsReset || o.xstatsReset) {
    for (const p of ports) {
      if (o.statsReset) new Port(p).resetStats();
      if (o.xstatsReset) resetPortCounters(p);
    }
    out.reset = ports;
  }
  if (o.stats || o.xstats || o.showPort) {
    out.ports = ports.map((p) => {
      const entry: Record<string, unknown> = { port: p };
      const d = portDetails(p);
      entry.name = d.name;
      if (o.showPort) entry.details = d;
      if (o.stats) {
        const q = Math.min(
          RTE.RTE_ETHDEV_QUEUE_STAT_CNTRS,
          Math.max(d.rxQueues, d.txQueues),
        );
        entry.stats = new Port(p).stats(q);
      }
      if (o.xstats) entry.xstats = portXstats(p);
      return entry;
    });
  }
  if (o.showRing !== undefined) out.rings = pick(rings(), o.showRing, "ring");
  if (o.showMempool !== undefined) {
    out.mempools = pick(mempools(), o.showMempool, "mempool");
  }
  if (o.showMemzone) out.memzones = memzones();
  return out;
}

function printText(o: ProcInfoOptions, r: Record<string, unknown>): void {
  if (r.version !== undefined) console.log(r.version);
  if (r.reset !== undefined) {
    for (const p of r.reset as number[]) {
      if (o.statsReset) console.log(`  NIC statistics for port ${p} cleared`);
      if (o.xstatsReset) {
        console.log(`  NIC extended statistics for port ${p} cleared`);
      }
    }
  }
  for (const e of (r.ports ?? []) as Record<string, unknown>[]) {
    const p = e.port as number;
    if (e.details) console.log(formatPort(e.details as PortDetails));
    if (e.stats) console.log(formatStats(p, e.stats as PortStats));
    if (e.xstats) console.log(formatXstats(p, e.xstats as Xstat[]));
  }
  if (r.rings) console.log(formatRings(r.rings as RingInfo[]));
  if (r.mempools) console.log(formatMempools(r.mempools as MempoolInfo[]));
  if (r.memzones) console.log(formatMemzones(r.memzones as MemzoneInfo[]));
}

async function watch(
  o: ProcInfoOptions,
  ports: number[],
  meta: Record<string, unknown>,
): Promise<number> {
  const ac = new AbortController();
  const stop = () => ac.abort();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  try {
    const handles = ports.map((p) => new Port(p));
    let prev = handles.map((h) => h.stats());
    let t0 = performance.now();
    if (!o.json) {
      console.log(
        `watching ${ports.length} port(s) every ${o.watch} s; Ctrl-C stops`,
      );
    }
    while (!ac.signal.aborted) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, o.watch! * 1000);
        ac.signal.addEventListener("abort", () => {
          clearTimeout(t);
          resolve();
        }, { once: true });
      });
      if (ac.signal.aborted) break;
      if (!primaryAlive()) {
        console.error("proc_info: the group's primary has exited");
        return 1;
      }
      const cur = handles.map((h) => h.stats());
      const t1 = performance.now();
      const rs = ports.map((p, i) =>
        rates(p, prev[i], cur[i], (t1 - t0) / 1000)
      );
      if (o.json) {
        console.log(toJson({ ...meta, time: Date.now(), rates: rs }));
      } else {
        for (const r of rs) console.log(formatRates(r));
      }
      prev = cur;
      t0 = t1;
    }
    return 0;
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
  }
}

/**
 * Runs proc_info with `argv` (EAL options, `--`, proc_info's options);
 * returns the exit status: 0, 1 (cannot attach, a DPDK error), 2 (usage).
 */
export async function main(
  argv: readonly string[] = Deno.args,
): Promise<number> {
  const cut = argv.indexOf("--");
  const ealArgs = cut < 0 ? [...argv] : argv.slice(0, cut);
  let o: ProcInfoOptions;
  try {
    o = parseProcInfoArgs(cut < 0 ? [] : argv.slice(cut + 1));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`proc_info: ${e.message}\n${USAGE}`);
    return 2;
  }
  if (o.help) {
    console.log(USAGE);
    return 0;
  }
  if (!ealArgs.some((a) => a.startsWith("--log-level"))) {
    ealArgs.push("--log-level=lib.eal:warning");
  }
  let lcore: number;
  let prefix: string;
  try {
    const eal = await attachSecondary(ealArgs, { progName: "proc_info" });
    lcore = eal.lcore;
    prefix = eal.filePrefix;
  } catch (e) {
    if (
      e instanceof NoPrimaryError || e instanceof AttachError ||
      e instanceof AttachClashError || (e as Error).name === "LcoreClashError"
    ) {
      console.error(`proc_info: ${(e as Error).message}`);
      return 1;
    }
    throw e;
  }
  try {
    const ports = selectPorts(Port.ids(), o.portMask);
    const meta = { prefix, lcore };
    if (o.watch !== undefined) {
      const once = { ...o, stats: false, xstats: false, watch: undefined };
      const r = report(once, ports);
      if (Object.keys(r).length > 0) {
        if (o.json) console.log(toJson({ ...meta, ...r }));
        else printText(once, r);
      }
      return await watch(o, ports, meta);
    }
    const r = report(o, ports);
    if (o.json) console.log(toJson({ ...meta, dpdk: dpdkVersion(), ...r }, 2));
    else printText(o, r);
    return 0;
  } catch (e) {
    console.error(`proc_info: ${(e as Error).message}`);
    return 1;
  } finally {
    cleanupEal();
  }
}

if (import.meta.main) Deno.exit(await main());
