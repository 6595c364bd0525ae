/**
 * Robust attach of a secondary process to a running DPDK group.
 *
 * A secondary must map the primary's shared memory at the very addresses
 * the primary used. A C primary started without `--base-virtaddr` puts its
 * memory at DPDK's default place (from 4 GiB up, about 68 GiB of address
 * space with 2 MiB pages), and V8 reserves its own address space at random
 * places below 2^46: now and then one of V8's reservations sits inside the
 * primary's range, and EAL fails ("Cannot get a virtual area at requested
 * address ... Cannot preallocate VA space for hugepage memory", measured
 * about 1 attach in 20).
 *
 * {@linkcode prepareAttach}, called before `rte_eal_init` in a process
 * that will be a secondary, reads the primary's memory layout from the
 * group's runtime config (`<runtime dir>/config`: `struct rte_mem_config`
 * with its memseg lists; offsets from the shim) and compares it with this
 * process's mappings (`/proc/self/maps`). On a clash it replaces this
 * process by a fresh run of the same command (same PID, same stdio, new
 * random addresses: `execv` of `/proc/self/exe` through the shim), at most
 * `maxReexecs` times, then stops with a message saying what to do. It
 * also refuses, in one line and before EAL creates any file, to attach
 * when no primary runs under that prefix.
 *
 * What maps inside the primary's ranges after the check (V8 keeps
 * allocating while EAL starts) makes `rte_eal_init` fail; {@linkcode
 * recoverFailedAttach}, called then, finds that foreign mapping and starts
 * the process anew the same way, and removes what the failed attempt left
 * in the runtime folder (its `mp_socket_PID_*`).
 *
 * @module
 */

import { cbuf, fact, lib } from "../ffi/lib.ts";
import { DpdkError, strerror } from "./errors.ts";
import { RTE } from "./constants.ts";
import { runtimeRoot } from "./proc.ts";
import { DEFAULT_BASE_VIRTADDR } from "./eal.ts";

/**
 * Environment variable that counts the fresh starts {@linkcode
 * prepareAttach} made (set for the new process image, removed by it).
 */
export const ATTACH_REEXEC_ENV = "DPDK_TS_ATTACH_REEXECS";

// ---- command lines ------------------------------------------------------------

/** The EAL part of a command line: what comes before the first `--`. */
export function ealPart(argv: readonly string[]): string[] {
  const i = argv.indexOf("--");
  return i < 0 ? [...argv] : argv.slice(0, i);
}

/**
 * Every value given to an EAL option in `eal`, in order: `--name=v`,
 * `--name v`, and for a one-letter `short`, `-x v` and `-xv`.
 */
export function optionValues(
  eal: readonly string[],
  long?: string,
  short?: string,
): string[] {
  const out: string[] = [];
  for (let i = 0; i < eal.length; i++) {
    const a = eal[i];
    if (long !== undefined) {
      if (a === `--${long}`) {
        if (i + 1 < eal.length) out.push(eal[++i]);
        continue;
      }
      if (a.startsWith(`--${long}=`)) {
        out.push(a.slice(long.length + 3));
        continue;
      }
    }
    if (short !== undefined) {
      if (a === `-${short}`) {
        if (i + 1 < eal.length) out.push(eal[++i]);
      } else if (a.startsWith(`-${short}`) && !a.startsWith("--")) {
        out.push(a.slice(2));
      }
    }
  }
  return out;
}

/** Whether the flag `--name` (no value) is in `eal`. */
export function hasFlag(eal: readonly string[], name: string): boolean {
  return eal.includes(`--${name}`);
}

/** The group's `--file-prefix` in `eal` (EAL's default: `rte`). */
export function filePrefixOf(eal: readonly string[]): string {
  return optionValues(eal, "file-prefix").at(-1) ?? "rte";
}

// ---- the group's memory layout -------------------------------------------------

/** An address range the primary uses, which a secondary maps too. */
export interface GroupRange {
  /**
   * What lives there: `runtime config`, `table memzone`, `table NAME` (a
   * memseg list's table) or `memory of NAME` (a memseg list's hugepages).
   */
  what: string;
  /** First address. */
  start: bigint;
  /** One past the last address. */
  end: bigint;
}

/** The primary's memory layout, as its runtime config tells it. */
export interface GroupLayout {
  /** Whether the primary finished its initialisation (`RTE_MAGIC`). */
  ready: boolean;
  /** The DPDK version number the primary wrote (`RTE_VERSION`). */
  version: number;
  /** The ranges a secondary must map at the same addresses. */
  ranges: GroupRange[];
}

/** The runtime config's layout does not match this shim's mirror of it. */
export class LayoutError extends Error {
  /**
   * An error naming what differs.
   *
   * @param message what differs
   */
  constructor(message: string) {
    super(message);
    this.name = "LayoutError";
  }
}

function readBytes(path: string, cap: number): Uint8Array {
  const buf = new Uint8Array(cap);
  const n = lib().shim_file_read(cbuf(path), buf, cap);
  if (n < 0) throw new DpdkError(`read ${path}`, n);
  return buf.subarray(0, n);
}

function fileSize(path: string): number {
  return lib().shim_file_size(cbuf(path));
}

const PAGE = 4096n;
const roundUp = (n: bigint, to: bigint) => (n + to - 1n) / to * to;

/**
 * Reads the memory layout of the group whose runtime folder is `dir` from
 * its `config` file (no EAL needed). The ranges: the config itself, the
 * memzone table, each memseg list's table and each memseg list's address
 * space.
 *
 * @throws LayoutError when the file does not look like this DPDK's
 *   `struct rte_mem_config` (another DPDK version)
 * @throws DpdkError when it cannot be read
 */
export function readGroupLayout(dir: string): GroupLayout {
  const path = `${dir}/config`;
  const want = fact("mcfg.size");
  const size = fileSize(path);
  if (size < 0) throw new DpdkError(`stat ${path}`, size);
  if (size !== want) {
    throw new LayoutError(
      `${path} is ${size} bytes where this DPDK's struct rte_mem_config ` +
        `is ${want} (a primary of another DPDK version?)`,
    );
  }
  const bytes = readBytes(path, want);
  if (bytes.length !== want) {
    throw new LayoutError(`${path}: read ${bytes.length} of ${want} bytes`);
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (o: number) => v.getUint32(o, true);
  const u64 = (o: number) => v.getBigUint64(o, true);
  const nameLen = fact("RTE_FBARRAY_NAME_LEN");
  const str = (o: number) => {
    const b = bytes.subarray(o, o + nameLen);
    const z = b.indexOf(0);
    return new TextDecoder().decode(z < 0 ? b : b.subarray(0, z));
  };
  const ready = u32(fact("mcfg.magic")) === fact("RTE_MAGIC");
  const version = u32(fact("mcfg.version"));
  const fb = {
    name: fact("fbarray.name"),
    len: fact("fbarray.len"),
    elt: fact("fbarray.elt_sz"),
    data: fact("fbarray.data"),
  };
  const ranges: GroupRange[] = [];
  const fbarray = (at: number) => {
    const name = str(at + fb.name);
    const data = u64(at + fb.data);
    if (data === 0n) return name;
    // its backing file's size is the length mapped (fallback: the elements)
    const file = fileSize(`${dir}/fbarray_${name}`);
    const len = file > 0
      ? BigInt(file)
      : roundUp(BigInt(u32(at + fb.len)) * BigInt(u32(at + fb.elt)), PAGE);
    ranges.push({ what: `table ${name}`, start: data, end: data + len });
    return name;
  };
  const cfgAddr = u64(fact("mcfg.mem_cfg_addr"));
  if (ready && cfgAddr !== 0n) {
    ranges.push({
      what: "runtime config",
      start: cfgAddr,
      end: cfgAddr + roundUp(BigInt(want), PAGE),
    });
  }
  const zones = fbarray(fact("mcfg.memzones"));
  if (ready && zones !== "memzone") {
    throw new LayoutError(
      `${path}: no memzone table where this DPDK has it (found ` +
        `"${zones}"): a primary of another DPDK version?`,
    );
  }
  const msl = {
    at: fact("mcfg.memsegs"),
    size: fact("msl.size"),
    base: fact("msl.base_va"),
    len: fact("msl.len"),
    external: fact("msl.external"),
    arr: fact("msl.memseg_arr"),
  };
  for (let i = 0; i < fact("RTE_MAX_MEMSEG_LISTS"); i++) {
    const o = msl.at + i * msl.size;
    const arr = o + msl.arr;
    if (u32(arr + fb.len) === 0 || u32(o + msl.external) !== 0) continue;
    const name = fbarray(arr);
    const base = u64(o + msl.base);
    const len = u64(o + msl.len);
    if (base !== 0n && len !== 0n) {
      ranges.push({
        what: `memory of ${name}`,
        start: base,
        end: base + len,
      });
    }
  }
  return { ready, version, ranges };
}

// ---- this process's mappings ----------------------------------------------------

/** One line of `/proc/PID/maps`. */
export interface Mapping {
  /** First address. */
  start: bigint;
  /** One past the last address. */
  end: bigint;
  /** Permissions, e.g. `r-xp`, `---p` (a reservation). */
  perms: string;
  /** The mapped file or `[heap]`, `[stack]`...; `""` when anonymous. */
  path: string;
}

/** Parses the text of `/proc/PID/maps`. */
export function parseMaps(text: string): Mapping[] {
  const out: Mapping[] = [];
  for (const line of text.split("\n")) {
    const m = line.match(
      /^([0-9a-f]+)-([0-9a-f]+)\s+(\S+)\s+\S+\s+\S+\s+\S+\s*(.*)$/,
    );
    if (m === null) continue;
    out.push({
      start: BigInt(`0x${m[1]}`),
      end: BigInt(`0x${m[2]}`),
      perms: m[3],
      path: m[4].trim(),
    });
  }
  return out;
}

/** This process's mappings, read through the shim (no Deno permission). */
export function selfMaps(): Mapping[] {
  for (let cap = 1 << 18; cap <= 1 << 26; cap *= 4) {
    const b = readBytes("/proc/self/maps", cap);
    if (b.length < cap) return parseMaps(new TextDecoder().decode(b));
  }
  throw new RangeError("/proc/self/maps is over 64 MiB");
}

/** A range of the group that this process has already mapped. */
export interface Clash {
  /** The group's range. */
  range: GroupRange;
  /** This process's mapping inside it. */
  mapping: Mapping;
}

/** Every pair of a group range and a mapping that overlap. */
export function findClashes(
  ranges: readonly GroupRange[],
  maps: readonly Mapping[],
): Clash[] {
  const out: Clash[] = [];
  for (const range of ranges) {
    for (const mapping of maps) {
      if (mapping.start < range.end && range.start < mapping.end) {
        out.push({ range, mapping });
      }
    }
  }
  return out;
}

const hex = (n: bigint) => `0x${n.toString(16)}`;

/** Describes a clash in a few words, e.g. for an error message. */
export function describeClash(c: Clash): string {
  const m = c.mapping;
  const owner = m.path === ""
    ? (m.perms.startsWith("---")
      ? "an address-space reservation, V8's as a rule"
      : "anonymous memory")
    : m.path;
  return `${hex(m.start)}-${hex(m.end)} (${owner}) lies in the primary's ` +
    `${c.range.what} at ${hex(c.range.start)}-${hex(c.range.end)}`;
}

// ---- errors -----------------------------------------------------------------------

/** No primary process runs under the group's prefix. */
export class NoPrimaryError extends DpdkError {
  /** The group's `--file-prefix`. */
  readonly prefix: string;
  /**
   * An error saying no primary runs, and what to do.
   *
   * @param prefix the group's prefix
   * @param why what was found (no config, a stale one)
   */
  constructor(prefix: string, why: string) {
    super(`attach to "${prefix}"`, RTE.ENOENT);
    this.name = "NoPrimaryError";
    this.prefix = prefix;
    this.message = `no DPDK primary process runs under --file-prefix=` +
      `${prefix} (${why}): start the primary first, with the same ` +
      `--file-prefix`;
  }
}

/** This process occupies addresses the primary's memory needs. */
export class AttachClashError extends DpdkError {
  /** The overlaps found. */
  readonly clashes: Clash[];
  /**
   * An error naming the first overlap and what to do.
   *
   * @param prefix the group's prefix
   * @param clashes the overlaps
   * @param reexecs fresh starts already tried
   * @param why extra reason (a failed re-exec)
   */
  constructor(prefix: string, clashes: Clash[], reexecs: number, why = "") {
    super(`attach to "${prefix}"`, RTE.EEXIST);
    this.name = "AttachClashError";
    this.clashes = clashes;
    this.message = `cannot attach to the DPDK group "${prefix}": this ` +
      `process's ${describeClash(clashes[0])}` +
      (clashes.length > 1 ? ` (and ${clashes.length - 1} more)` : "") +
      `; ${reexecs} fresh start(s) tried${why}. Start the primary with ` +
      `--base-virtaddr=${DEFAULT_BASE_VIRTADDR} (above the addresses V8 ` +
      `uses), or run this process again`;
  }
}

// ---- prepareAttach ----------------------------------------------------------------

/** Options of {@linkcode prepareAttach}. */
export interface AttachOptions {
  /**
   * On a clash, replace this process by a fresh run of the same command
   * (same PID and stdio) up to this many times (default 8; 0: never).
   */
  maxReexecs?: number;
  /** How long to wait for a primary that is still initialising (ms). */
  waitReadyMs?: number;
  /** The runtime folders' parent (default: `runtimeRoot()`). */
  runtimeRoot?: string;
  /**
   * Refuse at once when no primary runs (default true). False lets EAL
   * decide: a secondary may join a group whose primary died while other
   * secondaries still run it.
   */
  requirePrimary?: boolean;
  /**
   * Called between the check and `rte_eal_init` when `initEal` runs it
   * (the tests use it to map memory there, as a racing thread could).
   */
  afterCheck?: () => void;
}

/** What {@linkcode prepareAttach} found (for a secondary). */
export interface AttachReport {
  /** The group's `--file-prefix`. */
  prefix: string;
  /** The group's runtime folder. */
  runtimeDir: string;
  /** PID of the primary (holder of the config lock). */
  primaryPid: number;
  /** Fresh starts this process took before its addresses were free. */
  reexecs: number;
  /** Whether the layout was read and compared with this process's. */
  checked: boolean;
  /** Why not, when not checked. */
  note?: string;
  /** The primary's ranges that were compared. */
  ranges: GroupRange[];
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The fresh starts counted so far (read once, then removed from the env). */
let reexecsTaken: number | undefined;

/**
 * Number of times this process was started anew by {@linkcode
 * prepareAttach} to find its addresses free (0 for a first run).
 */
export function attachReexecs(): number {
  reexecsTaken ??= lib().shim_env_take(cbuf(ATTACH_REEXEC_ENV));
  return reexecsTaken;
}

/**
 * Call before `rte_eal_init` with the process's command line (EAL
 * arguments, optionally `--` and the application's). For a process that
 * will be a primary (no `--proc-type`, `primary`, or `auto` with no live
 * primary) it does nothing and returns undefined. For a secondary it:
 *  - refuses with {@linkcode NoPrimaryError} (one line, before EAL
 *    creates any file) when no primary runs under the prefix;
 *  - waits up to `waitReadyMs` for a primary still initialising;
 *  - compares the primary's memory layout with this process's mappings
 *    and, on a clash, replaces this process by a fresh run of the same
 *    command (does not return), or throws {@linkcode AttachClashError}
 *    once `maxReexecs` runs were tried.
 *
 * A layout it cannot read (another DPDK version) is not an error: the
 * report says it was not checked, and EAL decides.
 *
 * @example In a secondary, before initEal
 * ```ts
 * import { initEal, prepareAttach } from "./mod.ts";
 * prepareAttach(Deno.args);
 * using eal = initEal(Deno.args);
 * ```
 */
export function prepareAttach(
  argv: readonly string[],
  opts: AttachOptions = {},
): AttachReport | undefined {
  const reexecs = attachReexecs();
  const eal = ealPart(argv);
  const type = optionValues(eal, "proc-type").at(-1);
  if (type !== "secondary" && type !== "auto") return undefined;
  if (hasFlag(eal, "in-memory") || hasFlag(eal, "no-shconf")) return undefined;
  const prefix = filePrefixOf(eal);
  const root = opts.runtimeRoot ?? runtimeRoot();
  const dir = `${root}/${prefix}`;
  const config = `${dir}/config`;
  const s = lib();
  let pid = s.shim_file_lock_holder(cbuf(config));
  if (pid <= 0 && pid !== -RTE.EACCES) {
    if (type === "auto") return undefined; // it will be the primary
    if (opts.requirePrimary === false) return undefined;
    throw new NoPrimaryError(
      prefix,
      pid === 0
        ? `${config} is left from a primary that has exited`
        : pid === -RTE.ENOENT
        ? `no ${config}`
        : `${config}: ${strerror(-pid)}`,
    );
  }
  const report: AttachReport = {
    prefix,
    runtimeDir: dir,
    primaryPid: Math.max(pid, 0),
    reexecs,
    checked: false,
    ranges: [],
  };
  if (pid < 0) {
    report.note = `cannot test the lock on ${config}: ${strerror(-pid)}`;
    return report;
  }
  let layout: GroupLayout;
  const deadline = Date.now() + (opts.waitReadyMs ?? 10_000);
  try {
    for (;;) {
      layout = readGroupLayout(dir);
      if (layout.ready || Date.now() >= deadline) break;
      sleepSync(20);
      pid = s.shim_file_lock_holder(cbuf(config));
      if (pid === 0) {
        throw new NoPrimaryError(prefix, "its primary exited while starting");
      }
    }
  } catch (e) {
    if (!(e instanceof LayoutError)) throw e;
    report.note = e.message;
    return report;
  }
  report.ranges = layout.ranges;
  if (!layout.ready) {
    report.note = "the primary has not finished starting";
    return report;
  }
  report.checked = true;
  const clashes = findClashes(layout.ranges, selfMaps());
  if (clashes.length === 0) return report;
  startAnew(report, clashes, opts);
}

/** Replaces this process by a fresh run, or throws when none is left. */
function startAnew(
  report: AttachReport,
  clashes: Clash[],
  opts: AttachOptions,
): never {
  if (report.reexecs < (opts.maxReexecs ?? 8)) {
    const r = lib().shim_reexec(cbuf(ATTACH_REEXEC_ENV), report.reexecs + 1);
    // only returns when execv failed
    throw new AttachClashError(
      report.prefix,
      clashes,
      report.reexecs,
      ` (starting anew failed: ${strerror(-r)})`,
    );
  }
  throw new AttachClashError(report.prefix, clashes, report.reexecs);
}

/**
 * The clashes left after EAL tried to attach and failed: mappings inside
 * the primary's ranges that are not EAL's own (the group's files, or
 * EAL's reservation of a whole memseg list, possibly split by hugepages
 * mapped into it). What took an address between {@linkcode prepareAttach}
 * and EAL's own mapping of it shows up here.
 */
export function foreignClashes(
  ranges: readonly GroupRange[],
  maps: readonly Mapping[],
  prefix: string,
): Clash[] {
  const own = (m: Mapping) =>
    m.path.endsWith(`/${prefix}/config`) ||
    m.path.includes(`/${prefix}/fbarray_`) ||
    m.path.includes(`/${prefix}map_`);
  const out: Clash[] = [];
  for (const range of ranges) {
    const inside = maps.filter((m) =>
      m.start < range.end && range.start < m.end
    ).sort((a, b) => a.start < b.start ? -1 : a.start > b.start ? 1 : 0);
    if (inside.length === 0) continue;
    const tiles = inside[0].start === range.start &&
      inside.at(-1)!.end === range.end &&
      inside.every((m, i) => i === 0 || m.start === inside[i - 1].end) &&
      inside.every((m) => own(m) || (m.path === "" && m.perms[0] === "-"));
    if (tiles) continue; // EAL's own reservation of the whole range
    for (const mapping of inside) {
      if (!own(mapping)) out.push({ range, mapping });
    }
  }
  return out;
}

/**
 * Call when `rte_eal_init` failed in a process that {@linkcode
 * prepareAttach} prepared (`report`): removes what the failed attempt
 * left in the runtime folder and, when the failure was an address clash
 * that arose after the check (something mapped inside the primary's
 * ranges meanwhile), replaces this process by a fresh run (does not
 * return) or throws {@linkcode AttachClashError} when no fresh start is
 * left. Returns when the failure was something else: the caller reports
 * it.
 */
export function recoverFailedAttach(
  report: AttachReport,
  opts: AttachOptions = {},
): void {
  removeAttachLeftovers(report.runtimeDir, true);
  if (!report.checked) return;
  const clashes = foreignClashes(report.ranges, selfMaps(), report.prefix);
  if (clashes.length > 0) startAnew(report, clashes, opts);
}

/**
 * Removes what a failed attach of this process left in the group's
 * runtime folder (its multi-process socket `mp_socket_<pid>_*`), and the
 * folder itself when `groupExisted` is false (EAL created it for a group
 * that has no primary). Call it after `rte_eal_init` failed.
 */
export function removeAttachLeftovers(
  runtimeDir: string,
  groupExisted: boolean,
  pid: number = Deno.pid,
): void {
  try {
    if (!groupExisted) {
      Deno.removeSync(runtimeDir, { recursive: true });
      return;
    }
    for (const e of Deno.readDirSync(runtimeDir)) {
      if (e.name.startsWith(`mp_socket_${pid}_`)) {
        Deno.removeSync(`${runtimeDir}/${e.name}`);
      }
    }
  } catch {
    // already gone, or not ours to remove
  }
}
