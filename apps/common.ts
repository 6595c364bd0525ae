/**
 * Pieces the sample applications share: EAL start-up with readable
 * errors, port masks, port pairs, shutdown on SIGINT/SIGTERM, and watching
 * the primary from a secondary. Public API only, like a user's script.
 *
 * @module
 */

import {
  DpdkError,
  type EalInit,
  initEal,
  MAX_ETHPORTS,
  Port,
  primaryAlive,
  processType,
  ShimLoadError,
} from "../mod.ts";

/** An error in the application's own arguments: printed with the usage. */
export class UsageError extends Error {
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
 * file (`/var/run/dpdk/PREFIX/config`, root's runtime directory), read from
 * `/proc/locks`; undefined when no process holds it (no primary running)
 * or it cannot be told. Safe to call from any process: it opens no lock.
 */
export function primaryPidOf(prefix: string): number | undefined {
  try {
    const config = Deno.statSync(`/var/run/dpdk/${prefix}/config`);
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
  if (e.errno === 13) {
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
  if (e.errno === 114 || e.errno === 11) {
    return "is another primary process running with the same --file-prefix?";
  }
  if (e.errno === 12) {
    return "no hugepages? reserve some: dpdk-hugepages.py --setup 1G";
  }
  return "check the EAL arguments (see `--help` of any DPDK application)";
}

/**
 * Initialises EAL from the app's command line; on failure prints DPDK's
 * message and a hint, and exits with status 1 (as the C samples'
 * `rte_exit`). Returns the app's own arguments (after `--`).
 */
export function startEal(argv: readonly string[], progName: string): EalInit {
  try {
    return initEal(argv, progName);
  } catch (e) {
    if (e instanceof ShimLoadError) {
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

/**
 * Parses a hexadecimal port mask (`-p 3`, `-p 0x3`) into port IDs,
 * ascending. Throws UsageError on anything else or an empty mask.
 */
export function parsePortmask(text: string | undefined): number[] {
  if (text === undefined || text === "") {
    throw new UsageError("no port mask given (-p PORTMASK)");
  }
  if (!/^(0x)?[0-9a-f]+$/i.test(text)) {
    throw new UsageError(`invalid port mask '${text}': expected hexadecimal`);
  }
  const mask = BigInt(text.toLowerCase().startsWith("0x") ? text : "0x" + text);
  if (mask === 0n) throw new UsageError("port mask is 0: no ports to use");
  const ports: number[] = [];
  for (let p = 0; p < 64; p++) {
    if ((mask >> BigInt(p)) & 1n) ports.push(p);
  }
  if (ports[ports.length - 1] >= MAX_ETHPORTS) {
    throw new UsageError(
      `port mask '${text}' names port ${ports[ports.length - 1]}, ` +
        `above the maximum ${MAX_ETHPORTS - 1}`,
    );
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
