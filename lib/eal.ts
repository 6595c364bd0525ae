/**
 * The Environment Abstraction Layer: initialisation from a command line,
 * process type, lcores, cleanup.
 *
 * @module
 */

import { cbuf, cstr, lib } from "../ffi/lib.ts";
import { hotLib } from "./ptr.ts";
import { DpdkError, rteErrno } from "./errors.ts";
import { RTE } from "./constants.ts";
import { invalidateAll } from "./handle.ts";
import { ClaimTable } from "./claims.ts";
import { removeGroupFiles } from "./proc.ts";
import {
  type AttachOptions,
  type AttachReport,
  prepareAttach,
  recoverFailedAttach,
} from "./attach.ts";

export {
  processAlive,
  processStartTime,
  removeGroupFiles,
  type RemoveGroupOptions,
  runtimeRoot,
} from "./proc.ts";

/** The role of this process in its multi-process group. */
export type ProcessType = "primary" | "secondary";

/** What {@linkcode initEal} returns; disposing it cleans EAL up. */
export interface EalInit extends Disposable {
  /** The application's arguments: everything after the first `--`. */
  args: string[];
  /** Whether this process is the group's primary or a secondary. */
  processType: ProcessType;
  /** The main lcore: the ID the main thread runs as. */
  mainLcore: number;
  /** Every enabled lcore ID, main lcore included, ascending. */
  lcores: number[];
  /** The group's `--file-prefix` (runtime folder name). */
  filePrefix: string;
  /** What the attach check found, for a secondary (see `prepareAttach`). */
  attach?: AttachReport;
}

/** Options of {@linkcode initEal}. */
export interface EalOptions {
  /** argv[0] as EAL sees it (used in its log lines). */
  progName?: string;
  /**
   * Claim this process's lcore IDs in the group's lcore table
   * ({@linkcode LCORE_CLAIMS}), refusing to start when a running process
   * of the group holds one (default true). Processes not started by this
   * library (C ones) do not claim.
   */
  claimLcores?: boolean;
  /**
   * On dispose (or {@linkcode cleanupEal}) in a primary, also remove the
   * group's files (default false: secondaries may still need them).
   */
  removeFilesOnCleanup?: boolean;
  /**
   * Robust attach of a secondary (see `prepareAttach`): refuse at once
   * when no primary runs, and start the process anew when the primary's
   * memory lies where this process has mappings (default: up to 8 fresh
   * starts; `{ maxReexecs: 0 }` only reports; false: no check, EAL alone
   * decides).
   */
  attach?: AttachOptions | false;
}

/** Name of the memzone in which processes claim their lcore IDs. */
export const LCORE_CLAIMS = "dpdk_ts_lcore_claims";

/**
 * A process of the group holds an lcore ID this process was given
 * (per-lcore mempool caches in shared memory would be corrupted).
 */
export class LcoreClashError extends DpdkError {
  /** The lcore ID in use. */
  readonly lcore: number;
  /** The PID of the process using it. */
  readonly pid: number;
  /**
   * An error naming the lcore ID, its holder and free IDs.
   *
   * @param lcore the lcore ID
   * @param pid its holder
   * @param free lcore IDs no process of the group holds (for the hint)
   */
  constructor(lcore: number, pid: number, free: number[]) {
    super(`lcore ${lcore}`, RTE.EBUSY);
    this.name = "LcoreClashError";
    this.lcore = lcore;
    this.pid = pid;
    this.message = `lcore ID ${lcore} is used by process ${pid} of this ` +
      `group: give every process of a group its own lcore IDs` +
      (free.length > 0
        ? ` (free here: ${free.slice(0, 8).join(", ")}; e.g. --lcores=${
          free[0]
        }@0)`
        : "");
  }
}

// EAL keeps some argv strings: they must outlive the process.
const keepAlive: Uint8Array[] = [];
let initialised = false;

/**
 * Splits a command line the way the C samples do: EAL arguments, then `--`,
 * then the application's arguments.
 */
export function splitArgs(
  argv: readonly string[],
): { eal: string[]; app: string[] } {
  const i = argv.indexOf("--");
  return i < 0
    ? { eal: [...argv], app: [] }
    : { eal: argv.slice(0, i), app: argv.slice(i + 1) };
}

/**
 * Where EAL maps its shared memory when the command line names no
 * `--base-virtaddr`. A secondary must map the primary's memory at the very
 * same addresses; V8 scatters its own reservations at random addresses
 * below 64 TiB, which includes EAL's default area (from 4 GiB up), so a
 * Deno secondary whose heap happens to sit there cannot attach ("Cannot get a virtual area at requested address": about 1 in 25
 * attaches measured here). Above V8's range, every attach worked (100/100).
 * Processes of one group share the primary's layout, so a C secondary of
 * our primary maps the same addresses.
 */
export const DEFAULT_BASE_VIRTADDR = "0x500000000000";

/**
 * Initialises the EAL (`rte_eal_init`) with the EAL arguments of `argv`
 * (those before `--`, passed through untouched, plus
 * `--base-virtaddr=`{@linkcode DEFAULT_BASE_VIRTADDR} when they have none)
 * and returns the rest. Call it once per process, from the main thread.
 *
 * @param argv the command line without the program name, e.g. `Deno.args`
 * @param progName argv[0] as EAL sees it (used in its log lines)
 * @throws DpdkError with DPDK's message when EAL refuses the arguments or
 *   cannot start (no hugepages, no primary for a secondary, ...)
 *
 * @example
 * ```ts
 * const { args, processType } = initEal(Deno.args);
 * ```
 */
export function initEal(
  argv: readonly string[],
  opts: EalOptions = {},
): EalInit {
  const progName = opts.progName ?? "deno";
  if (initialised) {
    throw new DpdkError("rte_eal_init: already initialised", RTE.EALREADY);
  }
  const { eal: given, app } = splitArgs(argv);
  // a secondary: no primary -> one line; its memory where we have mappings
  // -> a fresh start of this process (see attach.ts)
  const attachOpts = opts.attach === false ? undefined : opts.attach;
  const attach = opts.attach === false
    ? undefined
    : prepareAttach(given, attachOpts);
  attachOpts?.afterCheck?.();
  const eal = given.some((a) => a.startsWith("--base-virtaddr"))
    ? given
    : [...given, `--base-virtaddr=${DEFAULT_BASE_VIRTADDR}`];
  const strings = [progName, ...eal].map(cbuf);
  const ptrs = new BigUint64Array(strings.length + 1);
  strings.forEach((s, i) => {
    ptrs[i] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(s)));
  });
  keepAlive.push(...strings, new Uint8Array(ptrs.buffer));
  lib().shim_set_errno(0);
  const ret = lib().rte_eal_init(strings.length, new Uint8Array(ptrs.buffer));
  if (ret < 0) {
    const errno = rteErrno();
    // a late clash restarts the process; the failed attempt's files go
    if (attach !== undefined) recoverFailedAttach(attach, attachOpts);
    throw new DpdkError(`rte_eal_init(${given.join(" ")})`, errno);
  }
  initialised = true;
  removeFiles = opts.removeFilesOnCleanup ?? false;
  const mine = lcores();
  if (opts.claimLcores ?? true) {
    try {
      const table = ClaimTable.open(LCORE_CLAIMS, RTE.RTE_MAX_LCORE);
      const clash = table.claimAll(mine);
      if (clash !== undefined) {
        const held = new Set(table.heldByOthers());
        const free = [];
        for (let i = 0; i < RTE.RTE_MAX_LCORE && free.length < 8; i++) {
          if (!held.has(i) && !mine.includes(i)) free.push(i);
        }
        throw new LcoreClashError(clash.slot, clash.holder.pid, free);
      }
      claims = { table, lcores: mine };
    } catch (e) {
      removeFiles = false;
      cleanupEal();
      throw e;
    }
  }
  const dir = runtimeDir();
  return {
    args: app,
    processType: processType(),
    mainLcore: mainLcore(),
    lcores: mine,
    filePrefix: dir.slice(dir.lastIndexOf("/") + 1),
    attach,
    [Symbol.dispose]: cleanupEal,
  };
}

let claims: { table: ClaimTable; lcores: number[] } | undefined;
let removeFiles = false;

/** Whether {@linkcode initEal} has succeeded in this process. */
export function ealInitialised(): boolean {
  return initialised;
}

/** This process's type (`rte_eal_process_type`). */
export function processType(): ProcessType {
  return lib().rte_eal_process_type() === RTE.RTE_PROC_SECONDARY
    ? "secondary"
    : "primary";
}

/**
 * Whether the group's primary process is alive. Call it only in a
 * secondary: in the primary it drops the primary's own lock (DPDK quirk),
 * so this function refuses to run there.
 */
export function primaryAlive(): boolean {
  if (processType() === "primary") {
    throw new Error("primaryAlive() must not be called in the primary");
  }
  return lib().rte_eal_primary_proc_alive(null) !== 0;
}

/** The main lcore's ID. */
export function mainLcore(): number {
  return lib().rte_get_main_lcore();
}

/** Every enabled lcore ID, ascending (`RTE_LCORE_FOREACH`). */
export function lcores(): number[] {
  const out: number[] = [];
  const s = lib();
  const max = RTE.RTE_MAX_LCORE;
  for (let i = s.rte_get_next_lcore(-1 >>> 0, 0, 0); i < max;) {
    out.push(i);
    i = s.rte_get_next_lcore(i, 0, 0);
  }
  return out;
}

/** Worker lcore IDs: every enabled lcore but the main one. */
export function workerLcores(): number[] {
  const main = mainLcore();
  return lcores().filter((l) => l !== main);
}

/**
 * The lcore ID of the calling thread (`rte_lcore_id()`), or
 * `RTE.LCORE_ID_ANY` for a thread that is not an lcore.
 */
export function lcoreId(): number {
  return lib().shim_lcore_id();
}

/** The CPU the calling thread runs on now (`sched_getcpu`). */
export function currentCpu(): number {
  return lib().shim_current_cpu();
}

/** The NUMA socket of the calling lcore (`rte_socket_id`). */
export function socketId(): number {
  return lib().rte_socket_id();
}

/**
 * Releases EAL resources (`rte_eal_cleanup`) and closes every handle of
 * this thread (later use throws `DisposedError`); releases this process's
 * lcore claims; in a primary started with `removeFilesOnCleanup`, removes
 * the group's files. Call it last, after every worker is joined and every
 * port of this process stopped. Idempotent.
 */
export function cleanupEal(): void {
  if (!initialised) return;
  const primary = processType() === "primary";
  const dir = runtimeDir();
  if (claims !== undefined) {
    for (const l of claims.lcores) claims.table.release(l);
    claims = undefined;
  }
  invalidateAll();
  initialised = false;
  lib().rte_eal_cleanup();
  if (removeFiles && primary && dir !== "") {
    removeGroupFiles(dir.slice(dir.lastIndexOf("/") + 1), {
      runtimeRoot: dir.slice(0, dir.lastIndexOf("/")),
    });
  }
}

/**
 * The time-stamp counter (`rte_get_tsc_cycles`), in cycles, as a number:
 * a high-resolution clock that costs one FFI fast call (a few ns, where
 * `performance.now()` costs over 100 ns). Divide differences by
 * {@linkcode tscHz} for seconds.
 *
 * @example Time a loop
 * ```ts
 * const hz = tscHz();
 * const t0 = tscCycles();
 * // ... work ...
 * const ns = (tscCycles() - t0) / hz * 1e9;
 * ```
 */
export function tscCycles(): number {
  return hotLib().shim_tsc_cycles();
}

/** TSC cycles per second (`rte_get_tsc_hz`); needs an initialised EAL. */
export function tscHz(): number {
  return Number(lib().rte_get_tsc_hz());
}

/**
 * This group's runtime directory (`rte_eal_get_runtime_dir`), e.g.
 * `/var/run/dpdk/PREFIX`; `""` before {@linkcode initEal}.
 */
export function runtimeDir(): string {
  return cstr(lib().rte_eal_get_runtime_dir());
}

/**
 * Removes the files DPDK leaves behind for this process's group (see
 * {@linkcode removeGroupFiles}); call it after {@linkcode cleanupEal},
 * in the primary, once no secondary of the group runs.
 *
 * @throws Error in a secondary process
 */
export function removeRuntimeFiles(dir: string = runtimeDir()): void {
  if (dir === "") return;
  if (initialised && processType() !== "primary") {
    throw new Error("removeRuntimeFiles() is for the primary process only");
  }
  removeGroupFiles(dir.slice(dir.lastIndexOf("/") + 1), {
    runtimeRoot: dir.slice(0, dir.lastIndexOf("/")),
  });
}
