/**
 * Processes and group files: liveness of a PID (through the shim, which
 * reads /proc without Deno permissions), and the one cleaner of a group's
 * runtime folder and hugepage files.
 *
 * @module
 */

import { lib } from "../ffi/lib.ts";

/**
 * When process `pid` started (clock ticks since boot, field 22 of
 * `/proc/PID/stat`), or -1 when no such process runs (gone, or a zombie).
 * Compared with a start time recorded earlier, it tells a live process from
 * a reused PID. Read through the shim: it needs no Deno permission beyond
 * FFI. Works before `initEal`.
 */
export function processStartTime(pid: number): number {
  if (!((pid | 0) === pid && pid > 0)) return -1;
  return lib().shim_proc_start_time(pid);
}

/**
 * Whether process `pid` runs and, when `start` (a
 * {@linkcode processStartTime} reading taken earlier) is given, is still
 * that same process rather than a later one that reused the PID.
 */
export function processAlive(pid: number, start = 0): boolean {
  if (pid <= 0) return false;
  const s = processStartTime(pid);
  return s >= 0 && (start === 0 || s === start);
}

/**
 * The folder under which EAL keeps each group's runtime files, as EAL
 * 22.11 computes it (in the shim: no Deno permission needed):
 * `/var/run/dpdk` for root, else `$XDG_RUNTIME_DIR/dpdk`, else
 * `/tmp/dpdk`.
 */
export function runtimeRoot(): string {
  const buf = new Uint8Array(4096);
  const n = lib().shim_runtime_root(buf, buf.length);
  if (n < 0) throw new RangeError("the runtime folder's path is too long");
  return new TextDecoder().decode(buf.subarray(0, n));
}

/**
 * {@linkcode runtimeRoot}, or, when the shim cannot load, the same computed
 * in TypeScript (a cleanup must still find the files): that needs the `sys`
 * (uid) and `env` permissions, else root's folder is assumed.
 */
function cleanupRoot(): string {
  try {
    return runtimeRoot();
  } catch {
    // the shim does not load
  }
  try {
    if (Deno.uid() === 0) return "/var/run/dpdk";
    return `${Deno.env.get("XDG_RUNTIME_DIR") ?? "/tmp"}/dpdk`;
  } catch {
    return "/var/run/dpdk";
  }
}

/** Options of {@linkcode removeGroupFiles}. */
export interface RemoveGroupOptions {
  /**
   * The runtime folder's parent (default: {@linkcode runtimeRoot}, computed
   * without the shim when it cannot load).
   */
  runtimeRoot?: string;
}

/**
 * Removes the files DPDK leaves behind for the group `prefix` (its
 * `--file-prefix`): the runtime folder (config, memory maps, sockets) and
 * the hugepage files `PREFIXmap_*` on every hugetlbfs mount. DPDK keeps
 * them after exit. Only for a group none of whose processes runs. Files
 * already gone, or not ours to remove, are skipped.
 */
export function removeGroupFiles(
  prefix: string,
  opts: RemoveGroupOptions = {},
): void {
  if (prefix === "" || prefix.includes("/")) {
    throw new RangeError(`removeGroupFiles: bad prefix "${prefix}"`);
  }
  const ignore = (f: () => void) => {
    try {
      f();
    } catch {
      // already gone, or not ours to read
    }
  };
  const root = opts.runtimeRoot ?? cleanupRoot();
  ignore(() => Deno.removeSync(`${root}/${prefix}`, { recursive: true }));
  ignore(() => {
    for (const line of Deno.readTextFileSync("/proc/mounts").split("\n")) {
      const [, mount, type] = line.split(" ");
      if (type !== "hugetlbfs") continue;
      for (const e of Deno.readDirSync(mount)) {
        if (e.name.startsWith(prefix + "map_")) {
          ignore(() => Deno.removeSync(`${mount}/${e.name}`));
        }
      }
    }
  });
}
