/**
 * The Environment Abstraction Layer: initialisation from a command line,
 * process type, lcores, cleanup.
 *
 * @module
 */

import { cbuf, cstr, lib } from "../ffi/lib.ts";
import { DpdkError, rteErrno } from "./errors.ts";

/** The role of this process in its multi-process group. */
export type ProcessType = "primary" | "secondary";

/** What {@linkcode initEal} returns. */
export interface EalInit {
  /** The application's arguments: everything after the first `--`. */
  args: string[];
  /** Whether this process is the group's primary or a secondary. */
  processType: ProcessType;
  /** The main lcore: the ID the main thread runs as. */
  mainLcore: number;
  /** Every enabled lcore ID, main lcore included, ascending. */
  lcores: number[];
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
export function initEal(argv: readonly string[], progName = "deno"): EalInit {
  if (initialised) {
    throw new DpdkError("rte_eal_init: already initialised", 114);
  }
  const { eal: given, app } = splitArgs(argv);
  const eal = given.some((a) => a.startsWith("--base-virtaddr"))
    ? given
    : [...given, `--base-virtaddr=${DEFAULT_BASE_VIRTADDR}`];
  const strings = [progName, ...eal].map(cbuf);
  const ptrs = new BigUint64Array(strings.length + 1);
  strings.forEach((s, i) => {
    ptrs[i] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(s)));
  });
  keepAlive.push(...strings, new Uint8Array(ptrs.buffer));
  const ret = lib().rte_eal_init(strings.length, new Uint8Array(ptrs.buffer));
  if (ret < 0) {
    throw new DpdkError(
      `rte_eal_init(${given.join(" ")})`,
      rteErrno() || 22,
    );
  }
  initialised = true;
  return {
    args: app,
    processType: processType(),
    mainLcore: mainLcore(),
    lcores: lcores(),
  };
}

/** Whether {@linkcode initEal} has succeeded in this process. */
export function ealInitialised(): boolean {
  return initialised;
}

/** This process's type (`rte_eal_process_type`). */
export function processType(): ProcessType {
  return lib().rte_eal_process_type() === 1 ? "secondary" : "primary";
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

/**
 * When process `pid` started (clock ticks since boot, field 22 of
 * `/proc/PID/stat`), or -1 when no such process runs (gone, or a zombie).
 * Compared with a start time recorded earlier, it tells a live process from
 * a reused PID. Read through the shim: it needs no Deno permission beyond
 * FFI, where Deno's own file API reads `/proc` only with `--allow-all`
 * (which compiled apps are not granted, see tools/compile_config.ts).
 * Works before {@linkcode initEal}.
 */
export function processStartTime(pid: number): number {
  return lib().shim_proc_start_time(pid);
}

/**
 * Whether process `pid` runs and, when `start` (a
 * {@linkcode processStartTime} reading taken earlier) is given, is still
 * that same process rather than a later one that reused the PID.
 */
export function processAlive(pid: number, start?: number): boolean {
  if (pid <= 0) return false;
  const s = processStartTime(pid);
  return s >= 0 && (start === undefined || start === 0 || s === start);
}

/** The main lcore's ID. */
export function mainLcore(): number {
  return lib().rte_get_main_lcore();
}

/** Every enabled lcore ID, ascending (`RTE_LCORE_FOREACH`). */
export function lcores(): number[] {
  const out: number[] = [];
  const s = lib();
  const max = 128; // RTE_MAX_LCORE in Debian's build
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
 * {@linkcode LCORE_ID_ANY} for a thread that is not an lcore.
 */
export function lcoreId(): number {
  return lib().shim_lcore_id();
}

/** `LCORE_ID_ANY`: the lcore ID of threads that are not lcores. */
export const LCORE_ID_ANY = 0xffffffff;

/** The CPU the calling thread runs on now (`sched_getcpu`). */
export function currentCpu(): number {
  return lib().shim_current_cpu();
}

/** The NUMA socket of the calling lcore (`rte_socket_id`). */
export function socketId(): number {
  return lib().rte_socket_id();
}

/**
 * Releases EAL resources (`rte_eal_cleanup`). Call it last, after every
 * worker is joined and every port of this process stopped.
 */
export function cleanupEal(): void {
  if (!initialised) return;
  initialised = false;
  lib().rte_eal_cleanup();
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
  return lib().shim_tsc_cycles();
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
 * Removes the files DPDK leaves behind for this process's group (its
 * `--file-prefix`): the runtime directory ({@linkcode runtimeDir}: config,
 * memory maps, sockets) and the hugepage files `PREFIXmap_*` on every
 * hugetlbfs mount. DPDK keeps them after exit; a script that is done with
 * its group calls this after {@linkcode cleanupEal}. Only the primary may,
 * and only once no secondary of the group runs. Files already gone are
 * skipped.
 *
 * @throws Error in a secondary process
 */
export function removeRuntimeFiles(): void {
  const dir = runtimeDir();
  if (dir === "") return;
  if (processType() !== "primary") {
    throw new Error("removeRuntimeFiles() is for the primary process only");
  }
  const hugeFile = dir.slice(dir.lastIndexOf("/") + 1) + "map_";
  const ignore = (f: () => void) => {
    try {
      f();
    } catch {
      // already gone, or not ours to read
    }
  };
  ignore(() => Deno.removeSync(dir, { recursive: true }));
  ignore(() => {
    for (const line of Deno.readTextFileSync("/proc/mounts").split("\n")) {
      const [, mount, type] = line.split(" ");
      if (type !== "hugetlbfs") continue;
      for (const e of Deno.readDirSync(mount)) {
        if (e.name.startsWith(hugeFile)) {
          ignore(() => Deno.removeSync(`${mount}/${e.name}`));
        }
      }
    }
  });
}
