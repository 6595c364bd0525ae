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
  AttachClashError,
  cleanupEal,
  DEFAULT_BASE_VIRTADDR,
  DpdkError,
  type EalInit,
  ealRuntimeRoot,
  type GroupMembers,
  groupMembers,
  initEal,
  LcoreClashError,
  NoPrimaryError,
  Port,
  primaryAlive,
  processAgeMs,
  processCommandLine,
  processType,
  RTE,
  ShimLoadError,
  strerror,
  unwritableHugepageMounts,
  userId,
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
 * Who runs in group `prefix` (the library's `groupMembers`: the locks on
 * its runtime files, read in C, so no Deno permission is needed); an
 * unreadable folder counts as a group nobody runs.
 */
export function groupState(
  prefix: string,
  root: string = ealRuntimeRoot(),
): GroupMembers {
  try {
    return groupMembers(prefix, root);
  } catch {
    return { dir: `${root}/${prefix}`, exists: false, others: [] };
  }
}

/**
 * The PID of the process holding the primary's lock on a group's config
 * file (`ROOT/PREFIX/config`, where ROOT is EAL's runtime folder for this
 * user: `/var/run/dpdk` for root, else `$XDG_RUNTIME_DIR/dpdk` or
 * `/tmp/dpdk`), read from `/proc/locks`; undefined when no process holds
 * it (no primary running) or it cannot be told. Safe to call from any
 * process: it opens no lock.
 */
export function primaryPidOf(
  prefix: string,
  root: string = ealRuntimeRoot(),
): number | undefined {
  return groupState(prefix, root).primary;
}

/** The value of `--proc-type` in the EAL part of `argv`, if given. */
export function procTypeOf(argv: readonly string[]): string | undefined {
  let type: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--") break;
    if (argv[i].startsWith("--proc-type=")) type = argv[i].slice(12);
    else if (argv[i] === "--proc-type" && i + 1 < argv.length) {
      type = argv[++i];
    }
  }
  return type;
}

/**
 * The app's own options found among EAL's when the command line has no
 * `--` (so EAL would be given them), in order. An option matches exactly,
 * as `--name=value`, or (one-letter ones) with its value joined (`-p3`).
 * Pure.
 *
 * @param argv the whole command line
 * @param appOptions the app's options that EAL does not have
 */
export function misplacedAppOptions(
  argv: readonly string[],
  appOptions: readonly string[],
): string[] {
  if (argv.includes("--")) return [];
  return argv.filter((a) =>
    appOptions.some((o) =>
      a === o || a.startsWith(o + "=") ||
      (o.length === 2 && !o.startsWith("--") && a.startsWith(o) &&
        !a.startsWith("--"))
    )
  );
}

/**
 * The lcore IDs an EAL command line gives (`-l`, `--lcores`, `-c`): a
 * best effort for messages (IDs only, CPU sets ignored). Pure.
 */
export function lcoreIdsOfArgs(argv: readonly string[]): number[] {
  const ids = new Set<number>();
  const range = (a: number, b: number) => {
    for (let i = Math.min(a, b); i <= Math.max(a, b) && i < 1024; i++) {
      ids.add(i);
    }
  };
  const list = (text: string) => {
    for (const part of text.split(",")) {
      const [a, b = a] = part.split("-").map(Number);
      if (Number.isInteger(a) && Number.isInteger(b)) range(a, b);
    }
  };
  const map = (text: string) => {
    // "2@1,(3-4)@0,5": lcore sets before each "@", or plain entries
    const stripped = text.replace(/@(\([^)]*\)|[0-9]+)/g, "");
    list(stripped.replace(/[()]/g, ""));
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") break;
    const next = () => argv[++i] ?? "";
    if (a === "-l") list(next());
    else if (a.startsWith("-l") && !a.startsWith("--")) list(a.slice(2));
    else if (a === "--lcores") map(next());
    else if (a.startsWith("--lcores=")) map(a.slice(9));
    else if (a === "-c" || (a.startsWith("-c") && !a.startsWith("--"))) {
      const m = a === "-c" ? next() : a.slice(2);
      if (/^(0x)?[0-9a-f]+$/i.test(m)) {
        const bits = BigInt(m.toLowerCase().startsWith("0x") ? m : "0x" + m)
          .toString(2);
        for (let b = 0; b < bits.length && b < 1024; b++) {
          if (bits[bits.length - 1 - b] === "1") ids.add(b);
        }
      }
    }
  }
  return [...ids].sort((x, y) => x - y);
}

/** The program name of process `pid`, e.g. `mp_client.ts` or `simple_mp`. */
function programOf(pid: number): string {
  const cmd = processCommandLine(pid);
  const script = cmd.find((a) => /\.(ts|js)$/.test(a));
  const name = script ?? cmd[0] ?? "";
  return name.slice(name.lastIndexOf("/") + 1) || "?";
}

/** EAL options that rule out secondary processes (programmer's guide). */
const SINGLE_PROCESS_OPTIONS = [
  "--no-huge",
  "--in-memory",
  "--no-shconf",
  "--huge-unlink",
];

/** How long process `pid` has been running ("12 s"), if it can be told. */
function runningFor(pid: number): string | undefined {
  const ms = processAgeMs(pid);
  return ms === undefined ? undefined : `${(ms / 1000).toFixed(0)} s`;
}

/** What an app needs of {@linkcode startEal}. */
export interface StartOptions {
  /**
   * The role the app must have in its group: `"primary"` (a server),
   * `"secondary"` (a client) or `"any"` (default).
   */
  role?: "primary" | "secondary" | "any";
  /** The primary's name in messages (default: "primary process"). */
  primaryName?: string;
  /**
   * The app's options that EAL does not have: found before any `--`,
   * they mean the `--` was forgotten.
   */
  appOptions?: readonly string[];
  /**
   * Whether a secondary needs a running primary (default true): one
   * started after the primary died is then refused at once. False for an
   * app whose secondaries go on without it (symmetric_mp: a secondary
   * restarted after the primary died makes its virtual devices itself).
   */
  needsPrimary?: boolean;
}

/**
 * What is wrong with starting this process in its group, told from the
 * command line and the group's runtime files before EAL touches them;
 * undefined when nothing is.
 */
function refusalBeforeEal(
  argv: readonly string[],
  opts: StartOptions,
): string | undefined {
  const misplaced = misplacedAppOptions(argv, opts.appOptions ?? []);
  if (misplaced.length > 0) {
    return `the application's options (${
      shorten(misplaced.join(" "), 60)
    }) come before any \`--\`, so EAL would take them: put \`--\` between ` +
      "EAL's options and the application's (e.g. ... --no-pci -- " +
      `${shorten(misplaced[0], 20)} ...)`;
  }
  const prefix = filePrefixOf(argv);
  const root = ealRuntimeRoot();
  const type = procTypeOf(argv);
  const primaryName = opts.primaryName ?? "primary process";
  const role = opts.role ?? "any";
  if (role === "secondary" && type !== "secondary" && type !== "auto") {
    return "must run as a secondary process of a running " +
      `${primaryName}: add --proc-type=secondary and the ` +
      `${primaryName}'s --file-prefix`;
  }
  if (role === "primary" && type === "secondary") {
    return "must run as the primary process: drop --proc-type=secondary";
  }
  const g = groupState(prefix, root);
  const secondary = type === "secondary" ||
    (type === "auto" && g.primary !== undefined);
  const where = `with --file-prefix ${prefix}`;
  if (!secondary) {
    if (g.primary !== undefined && g.primary !== Deno.pid) {
      const running = `(pid ${g.primary}) is running ${where} ` +
        `(${programOf(g.primary)})`;
      return role === "primary"
        ? `another ${primaryName} ${running}: stop it first, or give this ` +
          "one its own --file-prefix"
        : `another primary process ${running}: start this one with ` +
          "--proc-type=secondary (or auto), or give it its own --file-prefix";
    }
    if (type === "auto" && role === "secondary") {
      return `no ${primaryName} is running ${where} (looked in ${g.dir}): ` +
        "start it first";
    }
    if (g.others.length > 0) {
      const pids = g.others.map((p) => `${p} (${programOf(p)})`);
      return `process${g.others.length > 1 ? "es" : ""} ${
        pids.join(", ")
      } of the previous primary still run${
        g.others.length > 1 ? "" : "s"
      } ${where}: stop ${
        g.others.length > 1 ? "them" : "it"
      } first (a new primary would reset the shared memory they run on)` +
        (opts.needsPrimary === false
          ? ", or join them with --proc-type=secondary"
          : "");
    }
    return undefined;
  }
  if (g.primary !== undefined) {
    // C processes claim no lcore ID: compare with their command lines
    const mine = new Set(lcoreIdsOfArgs(argv));
    for (const pid of [g.primary, ...g.others]) {
      const theirs = lcoreIdsOfArgs(processCommandLine(pid).slice(1));
      const clash = theirs.find((l) => mine.has(l));
      if (clash !== undefined) {
        const free = freeLcores(
          argv,
          Array.from({ length: RTE.RTE_MAX_LCORE }, (_, i) => i),
        );
        return `lcore ID ${clash} is used by process ${pid} of this group ` +
          `(${programOf(pid)}): give every process of a group its own ` +
          "lcore IDs" +
          (free.length > 0
            ? ` (free: ${free.join(", ")}; e.g. --lcores=${free[0]}@0)`
            : "");
      }
    }
    return undefined;
  }
  if (opts.needsPrimary === false) return undefined;
  return noPrimary(g, primaryName, where);
}

/** Why a secondary cannot start in group `g`, which has no primary. */
function noPrimary(
  g: GroupMembers,
  primaryName: string,
  where: string,
): string {
  const who = userId();
  const root = g.dir.slice(0, g.dir.lastIndexOf("/"));
  const nonRoot = who !== 0
    ? ` (as uid ${who}, EAL keeps groups in ${root}; a root primary's ` +
      "are in /var/run/dpdk: run as the primary's user)"
    : "";
  const prefix = g.dir.slice(g.dir.lastIndexOf("/") + 1);
  return g.exists
    ? `the ${primaryName} of --file-prefix ${prefix} has exited (its ` +
      `files remain in ${g.dir}): start a new one first${nonRoot}`
    : `no ${primaryName} is running ${where} (looked in ${g.dir}): ` +
      `start it first${nonRoot}`;
}

/** Hints for EAL failures whose DPDK message is terse. */
function ealHint(
  e: DpdkError,
  argv: readonly string[],
  opts: StartOptions,
): string {
  const who = userId();
  if (who !== 0) {
    const mounts = unwritableHugepageMounts();
    if (mounts.length > 0) {
      return `permission denied: this process runs as uid ${who}, and ` +
        `the hugepage folder${mounts.length > 1 ? "s" : ""} ${
          mounts.join(", ")
        } ${
          mounts.length > 1 ? "are" : "is"
        } not writable by it: run as root (or give this user the ` +
        "hugepage mount and device access DPDK needs)";
    }
  }
  if (e.errno === RTE.EACCES) {
    // rte_eal_init sets EACCES when "Cannot get hugepage information."
    return "no usable hugepages: mount hugetlbfs and reserve pages " +
      "(dpdk-hugepages.py --setup 1G), or check --huge-dir";
  }
  const prefix = filePrefixOf(argv);
  const g = groupState(prefix);
  const type = procTypeOf(argv);
  if (
    g.primary !== undefined && g.primary !== Deno.pid &&
    (type === "secondary" || type === "auto")
  ) {
    const age = runningFor(g.primary);
    const head = `the primary (pid ${g.primary}, ${programOf(g.primary)}` +
      (age !== undefined ? `, running for ${age}` : "") +
      "); attaching to it failed: see EAL's message above";
    const single = SINGLE_PROCESS_OPTIONS.filter((o) =>
      argv.some((a) => a === o || a.startsWith(o + "="))
    );
    if (single.length > 0) {
      return `${head}. ${single.join(", ")} rule${
        single.length > 1 ? "" : "s"
      } out secondary processes: drop ${single.length > 1 ? "them" : "it"}`;
    }
    const cmd = processCommandLine(g.primary);
    return cmd.length > 0 && !cmd.some((a) => a.startsWith("--base-virtaddr"))
      ? `${head}. If it says "Cannot get a virtual area": the primary was ` +
        "started without --base-virtaddr, so its memory is at EAL's default " +
        "place, where this process's own may lie; start it with " +
        `--base-virtaddr=${DEFAULT_BASE_VIRTADDR} (ours do), or try again`
      : head;
  }
  if (g.primary === undefined && type === "secondary") {
    return noPrimary(
      g,
      opts.primaryName ?? "primary process",
      `with --file-prefix ${prefix}`,
    );
  }
  if (g.primary !== undefined && g.primary !== Deno.pid) {
    return opts.role === "primary"
      ? `another ${
        opts.primaryName ?? "primary process"
      } (pid ${g.primary}) is running with --file-prefix ${prefix}: ` +
        "stop it first, or give this one its own --file-prefix"
      : `another primary process (pid ${g.primary}) is running with ` +
        `--file-prefix ${prefix}: start this one with --proc-type=secondary ` +
        "(or auto), or give it its own --file-prefix";
  }
  if (e.errno === RTE.EALREADY || e.errno === RTE.EAGAIN) {
    return "is another primary process running with the same --file-prefix?";
  }
  if (e.errno === RTE.ENOMEM) {
    return "no hugepages? reserve some: dpdk-hugepages.py --setup 1G";
  }
  return argv.includes("--")
    ? "EAL refused its arguments: see its message above"
    : "EAL refused its arguments: see its message above (the " +
      "application's own options go after `--`)";
}

/** DPDK's reason of a DpdkError, without what was attempted. */
function reasonOf(e: DpdkError): string {
  return e.errno === 0
    ? "DPDK gave no reason"
    : `${strerror(e.errno)} (errno ${e.errno})`;
}

/**
 * The lcore IDs no process of the group is known to use, for the hint of
 * an lcore clash: those the library found free among the claims of our
 * processes (in `claimedFree`, read while EAL still ran), less the IDs on
 * the command lines of the group's running processes (C processes claim
 * none) and this process's own. Reads no DPDK memory (EAL is down).
 */
function freeLcores(argv: readonly string[], claimedFree: number[]): number[] {
  const used = new Set<number>(lcoreIdsOfArgs(argv));
  const g = groupState(filePrefixOf(argv));
  for (const pid of [g.primary, ...g.others]) {
    if (pid !== undefined) {
      for (const l of lcoreIdsOfArgs(processCommandLine(pid).slice(1))) {
        used.add(l);
      }
    }
  }
  return claimedFree.filter((l) => !used.has(l)).slice(0, 4);
}

/**
 * Initialises EAL from the app's command line (`initEal(argv, { progName
 * })`, which also claims this process's lcore IDs in the group). Before
 * EAL touches the group's files it refuses, in one line: the app's options
 * given without `--`; a role the app cannot have; a secondary with no
 * running primary; a second primary; a new primary while processes of the
 * previous one still run (it would reset the memory under them). After EAL
 * has started, a secondary whose primary has meanwhile exited is refused
 * too. On failure prints one line saying why (DPDK's reason and a hint, or
 * which process of the group holds one of our lcore IDs and which IDs are
 * free) and exits with status 1 (as the C samples' `rte_exit`). Returns
 * what `initEal` returns: the app's own arguments (after `--`) among them.
 */
export function startEal(
  argv: readonly string[],
  progName: string,
  opts: StartOptions = {},
): EalInit {
  let refusal: string | undefined;
  try {
    refusal = refusalBeforeEal(argv, opts); // the shim's first use
  } catch (e) {
    if (!(e instanceof ShimLoadError)) throw e;
    console.error(`${progName}: ${e.message}`); // every path tried, and why
    Deno.exit(1);
  }
  if (refusal !== undefined) {
    console.error(`${progName}: ${refusal}`);
    Deno.exit(1);
  }
  let eal: EalInit;
  try {
    eal = initEal(argv, {
      progName,
      attach: { requirePrimary: opts.needsPrimary !== false },
    });
  } catch (e) {
    if (e instanceof ShimLoadError) {
      console.error(`${progName}: ${e.message}`);
    } else if (e instanceof NoPrimaryError || e instanceof AttachClashError) {
      // the library's attach checks: their messages say it all
      console.error(`${progName}: ${shorten(e.message, 400)}`);
    } else if (e instanceof LcoreClashError) {
      // EAL was cleaned up by initEal: no DPDK memory may be read now
      const listed = /free here: ([0-9, ]+)/.exec(e.message)?.[1] ?? "";
      const free = freeLcores(
        argv,
        listed.split(",").map((x) => Number(x)).filter(Number.isInteger),
      );
      console.error(
        `${progName}: lcore ID ${e.lcore} is used by process ${e.pid} ` +
          `of this group (${programOf(e.pid)}): give every process of a ` +
          "group its own lcore IDs" +
          (free.length > 0
            ? ` (free: ${free.join(", ")}; e.g. --lcores=${free[0]}@0)`
            : ""),
      );
    } else if (e instanceof DpdkError) {
      console.error(
        `${progName}: Cannot init EAL: ${reasonOf(e)}\n  (${
          ealHint(e, argv, opts)
        })`,
      );
    } else {
      throw e;
    }
    Deno.exit(1);
  }
  if (
    eal.processType === "secondary" && opts.needsPrimary !== false &&
    !primaryAlive()
  ) {
    console.error(
      `${progName}: the ${
        opts.primaryName ?? "primary process"
      } of this group has exited: start a new one first`,
    );
    Deno.exit(1); // no cleanup: it would need the primary
  }
  if (opts.role === "primary" && eal.processType !== "primary") {
    console.error(`${progName}: must run as the primary process`);
    cleanupEal();
    Deno.exit(1);
  }
  return eal;
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

// ------------------------------------------------- input, output, faults

/** Standard output (or another output) cannot be written any more. */
export class OutputError extends Error {
  /**
   * An output error.
   *
   * @param message what failed, in one line
   */
  constructor(message: string) {
    super(message);
    this.name = "OutputError";
  }
}

/** Standard input (or another input) cannot be read. */
export class InputError extends Error {
  /**
   * An input error.
   *
   * @param message what failed, in one line
   */
  constructor(message: string) {
    super(message);
    this.name = "InputError";
  }
}

/** An I/O error's reason in a few words ("broken pipe", "is a directory"). */
export function ioReason(e: unknown): string {
  if (e instanceof Deno.errors.BrokenPipe) return "it was closed (broken pipe)";
  if (e instanceof Deno.errors.IsADirectory) return "it is a directory";
  const text = e instanceof Error ? e.message : String(e);
  // "No space left on device (os error 28)" -> "no space left on device"
  const first = text.split("\n")[0].replace(/\s*\(os error \d+\)$/, "");
  return first.charAt(0).toLowerCase() + first.slice(1);
}

const stdoutEncoder = new TextEncoder();

/**
 * Writes all of `data` to standard output.
 *
 * @throws OutputError (one line: "cannot write to standard output: it was
 *   closed (broken pipe)") when it fails
 */
export function writeOut(data: string | Uint8Array): void {
  const bytes = typeof data === "string" ? stdoutEncoder.encode(data) : data;
  try {
    let done = 0;
    while (done < bytes.length) {
      done += Deno.stdout.writeSync(bytes.subarray(done));
    }
  } catch (e) {
    throw new OutputError(`cannot write to standard output: ${ioReason(e)}`);
  }
}

/**
 * Makes `console.log` write through {@linkcode writeOut}: a closed or full
 * standard output then throws an {@linkcode OutputError} (Deno's own
 * `console.log` ignores a closed pipe, and throws a bare OS error on a
 * full device), so an app stops with one line, as a C app stops on
 * SIGPIPE. Strings are written as they are, anything else as
 * `Deno.inspect` shows it.
 */
export function guardStdout(): void {
  console.log = (...data: unknown[]) =>
    writeOut(
      data.map((d) => typeof d === "string" ? d : Deno.inspect(d)).join(" ") +
        "\n",
    );
}

/**
 * The one line an app prints for an error nothing else caught: the
 * message's first line (cut to 300 characters), no stack.
 */
export function faultLine(e: unknown): string {
  const text = e instanceof Error
    ? (e instanceof OutputError || e instanceof InputError ||
        e instanceof UsageError || e instanceof DpdkError ||
        e.name === "Error"
      ? e.message
      : `${e.name}: ${e.message}`)
    : String(e);
  return shorten(text.split("\n")[0], 300);
}

/**
 * Calls `handler` once, with {@linkcode faultLine}, for the first error
 * that nothing caught (an exception in a timer or listener, a rejected
 * promise nobody awaits), instead of Deno's stack trace and exit. The
 * handler prints, cleans up and exits.
 */
export function onUncaught(
  handler: (line: string, error: unknown) => void,
): void {
  let fired = false;
  const fire = (ev: Event, error: unknown) => {
    ev.preventDefault();
    if (fired) return;
    fired = true;
    handler(faultLine(error), error);
  };
  globalThis.addEventListener(
    "error",
    (ev) => fire(ev, (ev as ErrorEvent).error),
  );
  globalThis.addEventListener(
    "unhandledrejection",
    (ev) => fire(ev, (ev as PromiseRejectionEvent).reason),
  );
}

/** One item of {@linkcode byteLines}. */
export type ByteLine =
  /** A line's bytes, without its end (`\n` or `\r\n`). */
  | { kind: "line"; bytes: Uint8Array }
  /** A line longer than the bound: its length and first bytes. */
  | { kind: "overlong"; length: number; head: Uint8Array };

const LF = 0x0a;
const CR = 0x0d;

/**
 * The lines of a byte stream, as bytes (nothing decoded or replaced), in
 * one pass: each chunk is scanned once, so reading is O(n) however long a
 * line is, and memory stays within `maxBytes` (a longer line is counted,
 * not kept: one `overlong` item with its first `headBytes` bytes). A last
 * line without an end counts. A yielded array is valid until the next
 * item is asked for.
 *
 * @param stream the bytes, e.g. `Deno.stdin.readable`
 * @param maxBytes the longest line kept (bytes, a `\r` before `\n`
 *   included)
 * @param headBytes bytes of an overlong line kept for its message
 * @param what the input's name, for errors
 * @throws InputError when the stream fails (e.g. "cannot read standard
 *   input: it is a directory")
 */
export async function* byteLines(
  stream: ReadableStream<Uint8Array>,
  maxBytes = 4096,
  headBytes = 40,
  what = "standard input",
): AsyncGenerator<ByteLine> {
  if (!((maxBytes >>> 0) === maxBytes && maxBytes >= 1)) {
    throw new RangeError(`byteLines: maxBytes ${maxBytes}`);
  }
  const buf = new Uint8Array(maxBytes);
  let len = 0; // bytes of the current line kept
  let over = 0; // > 0: the current line is overlong, its length so far
  const head = new Uint8Array(Math.min(headBytes, maxBytes));
  const finish = (): ByteLine => {
    if (over > 0) {
      const item: ByteLine = { kind: "overlong", length: over, head };
      over = 0;
      return item;
    }
    const end = len > 0 && buf[len - 1] === CR ? len - 1 : len;
    len = 0;
    return { kind: "line", bytes: buf.subarray(0, end) };
  };
  const reader = stream.getReader();
  try {
    for (;;) {
      let chunk: Uint8Array | undefined;
      try {
        const r = await reader.read();
        if (r.done) break;
        chunk = r.value;
      } catch (e) {
        throw new InputError(`cannot read ${what}: ${ioReason(e)}`);
      }
      let at = 0;
      while (at < chunk.length) {
        const nl = chunk.indexOf(LF, at);
        const piece = chunk.subarray(at, nl < 0 ? chunk.length : nl);
        if (over > 0) {
          over += piece.length;
        } else if (len + piece.length <= maxBytes) {
          buf.set(piece, len);
          len += piece.length;
        } else {
          // past the bound: keep the head for the message, count the rest
          head.set(buf.subarray(0, Math.min(len, head.length)));
          if (len < head.length) {
            head.set(piece.subarray(0, head.length - len), len);
          }
          over = len + piece.length;
          len = 0;
        }
        if (nl < 0) break;
        yield finish();
        at = nl + 1;
      }
    }
  } finally {
    reader.releaseLock();
  }
  if (len > 0 || over > 0) yield finish();
}

/** One item of {@linkcode readLines}. */
export type LineItem =
  /** A line, without its line end (`\n` or `\r\n`). */
  | { kind: "line"; text: string }
  /**
   * A line longer than the bound, discarded: its length in bytes and its
   * first bytes, decoded (for a message).
   */
  | { kind: "overlong"; bytes: number; head: string };

/**
 * {@linkcode byteLines} decoded as UTF-8 (invalid bytes become U+FFFD), for
 * prompts that read text commands (hotplug_mp).
 *
 * @param stream the bytes, e.g. `Deno.stdin.readable`
 * @param maxBytes the longest line kept, in bytes
 * @param headBytes how many of an overlong line's first bytes to decode
 *   into its `head`
 * @throws RangeError unless `maxBytes` is a positive integer
 */
export async function* readLines(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
  headBytes = 40,
): AsyncGenerator<LineItem> {
  const decoder = new TextDecoder();
  for await (const item of byteLines(stream, maxBytes, headBytes)) {
    yield item.kind === "line"
      ? { kind: "line", text: decoder.decode(item.bytes) }
      : {
        kind: "overlong",
        bytes: item.length,
        head: decoder.decode(item.head),
      };
  }
}
