/**
 * Pieces the sample applications share: EAL start-up with readable
 * errors, port masks, port pairs, the samples' port configuration policy
 * (fallbacks included), shutdown on SIGINT/SIGTERM, and watching the
 * primary from a secondary. Public API only, like a user's script.
 *
 * The pure functions here (argument parsing, pairing) take DPDK's limits
 * as parameters whose defaults read the shim only when called, so this
 * module loads without the shim (tests/unit/apps_common_test.ts).
 *
 * @module
 */

import {
  DpdkError,
  type EalInit,
  initEal,
  LcoreClashError,
  Port,
  primaryAlive,
  processType,
  RTE,
  runtimeRoot,
  ShimLoadError,
} from "../mod.ts";

/** An error in the application's own arguments: printed with the usage. */
export class UsageError extends Error {
  /**
   * An error for the app's usage message.
   *
   * @param message what is wrong, as the user will read it
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * The `--file-prefix` of an EAL command line (`rte`, DPDK's default, when
 * none is given).
 */
export function filePrefixOf(argv: readonly string[]): string {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--") break;
    if (argv[i].startsWith("--file-prefix=")) return argv[i].slice(14);
    if (argv[i] === "--file-prefix" && i + 1 < argv.length) return argv[i + 1];
  }
  return "rte";
}

/**
 * The PID of the process holding the primary's lock on a group's config
 * file (`ROOT/PREFIX/config`, where ROOT is EAL's runtime folder for this
 * user: `/var/run/dpdk` for root), read from `/proc/locks`; undefined when
 * no process holds it (no primary running) or it cannot be told. Safe to
 * call from any process: it opens no lock.
 */
export function primaryPidOf(
  prefix: string,
  root: string = runtimeRoot(),
): number | undefined {
  try {
    const config = Deno.statSync(`${root}/${prefix}/config`);
    for (const line of Deno.readTextFileSync("/proc/locks").split("\n")) {
      // "1: POSIX  ADVISORY  WRITE 9965 fe:00:1474798 136 17543"
      const f = line.trim().split(/\s+/);
      if (f[1] !== "POSIX" || f[3] !== "WRITE") continue;
      if (Number(f[5]?.split(":")[2]) === config.ino) return Number(f[4]);
    }
  } catch {
    // no runtime directory, or /proc/locks unreadable: cannot tell
  }
  return undefined;
}

/** Hints for EAL failures whose DPDK message is terse. */
function ealHint(e: DpdkError, argv: readonly string[]): string {
  if (e.errno === RTE.EACCES) {
    // rte_eal_init sets EACCES when "Cannot get hugepage information."
    return "no usable hugepages: mount hugetlbfs and reserve pages " +
      "(dpdk-hugepages.py --setup 1G), or check --huge-dir";
  }
  const prefix = filePrefixOf(argv);
  const primary = primaryPidOf(prefix);
  const secondary = argv.some((a) => /--proc-type[= ]?secondary/.test(a)) ||
    argv.join(" ").includes("--proc-type secondary");
  if (secondary) {
    return primary === undefined
      ? `no primary process is running with --file-prefix ${prefix}: ` +
        "start the primary first"
      : `the primary process (pid ${primary}) is running: see EAL's ` +
        "message above (start a secondary once the primary has finished " +
        "its initialisation)";
  }
  if (primary !== undefined && primary !== Deno.pid) {
    // rte_eal_init fails with EINVAL when the config lock is taken
    return `another primary process (pid ${primary}) is running with ` +
      `--file-prefix ${prefix}: start this one with --proc-type=secondary ` +
      "(or auto), or give it its own --file-prefix";
  }
  if (e.errno === RTE.EALREADY || e.errno === RTE.EAGAIN) {
    return "is another primary process running with the same --file-prefix?";
  }
  if (e.errno === RTE.ENOMEM) {
    return "no hugepages? reserve some: dpdk-hugepages.py --setup 1G";
  }
  return "check the EAL arguments (see `--help` of any DPDK application)";
}

/**
 * Initialises EAL from the app's command line (`initEal(argv, { progName
 * })`, which also claims this process's lcore IDs in the group); on failure
 * prints one line saying why (DPDK's message and a hint, or which process
 * of the group holds one of our lcore IDs) and exits with status 1 (as the
 * C samples' `rte_exit`). Returns what `initEal` returns: the app's own
 * arguments (after `--`) among them.
 */
export function startEal(argv: readonly string[], progName: string): EalInit {
  try {
    return initEal(argv, { progName });
  } catch (e) {
    if (e instanceof ShimLoadError) {
      console.error(`${progName}: ${e.message}`);
    } else if (e instanceof LcoreClashError) {
      // EAL was cleaned up by initEal: "lcore ID N is used by process P ..."
      console.error(`${progName}: ${e.message}`);
    } else if (e instanceof DpdkError) {
      console.error(
        `${progName}: Cannot init EAL: ${e.message}\n  (${ealHint(e, argv)})`,
      );
    } else {
      throw e;
    }
    Deno.exit(1);
  }
}

/** `text` for an error message: cut to `max` characters, with "...". */
export function shorten(text: string, max = 40): string {
  return text.length <= max ? text : `${text.slice(0, max)}...`;
}

/**
 * Parses a hexadecimal port mask (`-p 3`, `-p 0x3`) into port IDs,
 * ascending. Throws UsageError on anything else, an empty or zero mask,
 * or a mask naming a port ID of `maxPorts` or above (every bit counts,
 * however high).
 *
 * @param text the mask as given
 * @param maxPorts port IDs allowed: 0 .. maxPorts - 1 (DPDK's
 *   `RTE_MAX_ETHPORTS`, read from the shim only when not given)
 */
export function parsePortmask(
  text: string | undefined,
  maxPorts: number = RTE.RTE_MAX_ETHPORTS,
): number[] {
  if (text === undefined || text === "") {
    throw new UsageError("no port mask given (-p PORTMASK)");
  }
  if (!/^(0x)?[0-9a-f]+$/i.test(text)) {
    throw new UsageError(
      `invalid port mask '${shorten(text)}': expected hexadecimal`,
    );
  }
  const mask = BigInt(text.toLowerCase().startsWith("0x") ? text : "0x" + text);
  if (mask === 0n) throw new UsageError("port mask is 0: no ports to use");
  const highest = mask.toString(2).length - 1;
  if (highest >= maxPorts) {
    throw new UsageError(
      `port mask '${shorten(text)}' names port ${highest}, above the ` +
        `maximum ${maxPorts - 1}`,
    );
  }
  const ports: number[] = [];
  for (let p = 0; p <= highest; p++) {
    if ((mask >> BigInt(p)) & 1n) ports.push(p);
  }
  return ports;
}

/** The mask (as a number) of a list of ports. */
export function portmaskOf(ports: number[]): number {
  return ports.reduce((m, p) => m + 2 ** p, 0);
}

/**
 * Opens each port of `ids`, throwing UsageError naming the ports that do
 * not exist and how many do.
 */
export function openPorts(ids: number[]): Port[] {
  const missing = ids.filter((p) => !Port.ids().includes(p));
  if (missing.length > 0) {
    throw new UsageError(
      `port mask names port(s) ${missing.join(", ")} that do not exist ` +
        `(${Port.count()} port(s) available: ${
          Port.ids().join(", ") || "none"
        })`,
    );
  }
  return ids.map((p) => new Port(p));
}

/**
 * The forwarding partner of each port: ports are paired in the order
 * given (1st with 2nd, 3rd with 4th, ...). Throws UsageError for an odd
 * count.
 */
export function pairPorts(ports: number[]): Map<number, number> {
  if (ports.length % 2 !== 0) {
    throw new UsageError(
      `an even number of ports is needed (ports are paired), got ${ports.length}: ${
        ports.join(", ")
      }`,
    );
  }
  const pairs = new Map<number, number>();
  for (let i = 0; i < ports.length; i += 2) {
    pairs.set(ports[i], ports[i + 1]);
    pairs.set(ports[i + 1], ports[i]);
  }
  return pairs;
}

/** What {@linkcode configurePortLikeSamples} is asked to configure. */
export interface SamplePortRequest {
  /** RX queues. */
  rxQueues: number;
  /** TX queues. */
  txQueues: number;
  /**
   * RSS hash functions wanted (`RTE.RTE_ETH_RSS_*`, default 0n: no RSS);
   * masked by what the device supports, saying so when that changes them.
   */
  rssHf?: bigint;
  /**
   * Ask for RX checksum offload (default false); dropped, saying so, when
   * the device refuses the configuration with EINVAL.
   */
  rxChecksum?: boolean;
  /** TX mbuf fast free, when the device has it (default false). */
  fastFree?: boolean;
}

/** What {@linkcode configurePortLikeSamples} configured in the end. */
export interface SamplePortConfig {
  /** RSS hash functions configured (0n: RSS off). */
  rssHf: bigint;
  /** RX offloads configured. */
  rxOffloads: bigint;
  /** TX offloads configured. */
  txOffloads: bigint;
}

/** C's `%#` PRIx64: `0x`-prefixed hexadecimal, but plain `0` for zero. */
export function cHex(v: bigint): string {
  return v === 0n ? "0" : `0x${v.toString(16)}`;
}

/**
 * Configures `port` as DPDK's multi-process samples do (`smp_port_init` of
 * symmetric_mp): RSS masked by the device's `rssOffloads`, TX fast free
 * only if the device has it; when the device refuses with EINVAL, again
 * without RX checksum offload; then, on ENOTSUP, again without RSS. Each
 * step prints the C sample's line through `log`:
 *
 * - `Port N modified RSS hash function based on hardware support,requested:0x.. configured:0x..`
 *   (C's text, missing space included)
 * - `Port N configuration failed. Re-attempting with HW checksum disabled.`
 * - `Port N configuration failed. Re-attempting with HW RSS disabled.`
 *
 * @param port the port (primary only: secondaries see its configuration)
 * @param request queues and what to try
 * @param log where the C lines go (default `console.log`)
 * @returns what was configured
 * @throws DpdkError when the device refuses every attempt
 */
export function configurePortLikeSamples(
  port: Port,
  {
    rxQueues,
    txQueues,
    rssHf = 0n,
    rxChecksum = false,
    fastFree = false,
  }: SamplePortRequest,
  log: (line: string) => void = console.log,
): SamplePortConfig {
  const info = port.info();
  const fastFreeFlag = RTE.RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
  const checksum = RTE.RTE_ETH_RX_OFFLOAD_CHECKSUM;
  const conf: SamplePortConfig = {
    rssHf: rssHf & info.rssOffloads,
    rxOffloads: rxChecksum ? checksum : 0n,
    txOffloads: fastFree && (info.txOffloadCapa & fastFreeFlag) !== 0n
      ? fastFreeFlag
      : 0n,
  };
  if (conf.rssHf !== rssHf) {
    log(
      `Port ${port.id} modified RSS hash function based on hardware ` +
        `support,requested:${cHex(rssHf)} configured:${cHex(conf.rssHf)}`,
    );
  }
  /** One attempt: undefined when configured, else the DpdkError's errno. */
  const attempt = (): number | undefined => {
    try {
      port.configure({ rxQueues, txQueues, ...conf });
      return undefined;
    } catch (e) {
      if (e instanceof DpdkError && e.errno !== 0) return e.errno;
      throw e;
    }
  };
  const failed = (what: string) =>
    log(
      `Port ${port.id} configuration failed. Re-attempting with ${what} ` +
        "disabled.",
    );
  let errno = attempt();
  if (errno === RTE.EINVAL && (conf.rxOffloads & checksum) !== 0n) {
    failed("HW checksum");
    conf.rxOffloads &= ~checksum;
    errno = attempt();
  }
  if (errno === RTE.ENOTSUP && conf.rssHf !== 0n) {
    failed("HW RSS");
    conf.rssHf = 0n;
    errno = attempt();
  }
  if (errno !== undefined) {
    throw new DpdkError(`rte_eth_dev_configure(port ${port.id})`, errno);
  }
  return conf;
}

/**
 * Calls `handler` once on the first SIGINT or SIGTERM (with the signal's
 * name and number). Returns a function that removes the listeners.
 */
export function onShutdown(
  handler: (signal: "SIGINT" | "SIGTERM", signum: number) => void,
): () => void {
  let fired = false;
  const make = (sig: "SIGINT" | "SIGTERM", num: number) => () => {
    if (fired) return;
    fired = true;
    handler(sig, num);
  };
  const onInt = make("SIGINT", 2);
  const onTerm = make("SIGTERM", 15);
  Deno.addSignalListener("SIGINT", onInt);
  Deno.addSignalListener("SIGTERM", onTerm);
  return () => {
    Deno.removeSignalListener("SIGINT", onInt);
    Deno.removeSignalListener("SIGTERM", onTerm);
  };
}

/**
 * In a secondary, polls the primary's liveness every `intervalMs` and
 * calls `onGone` once when it has died. A no-op in the primary. Returns a
 * function that stops watching.
 */
export function watchPrimary(onGone: () => void, intervalMs = 250): () => void {
  if (processType() !== "secondary") return () => {};
  const timer = setInterval(() => {
    if (!primaryAlive()) {
      clearInterval(timer);
      onGone();
    }
  }, intervalMs);
  return () => clearInterval(timer);
}
