/**
 * Errors that carry DPDK's own message, and the checks every boundary uses.
 *
 * @module
 */

import { cstr, lib } from "../ffi/lib.ts";

/** DPDK's message for an errno value (`rte_strerror`). */
export function strerror(errno: number): string {
  return cstr(lib().rte_strerror(Math.abs(errno)));
}

/** The calling thread's `rte_errno`. */
export function rteErrno(): number {
  return lib().shim_errno();
}

/**
 * A failed DPDK call: what was attempted, the errno and DPDK's message.
 * `errno` is 0 when DPDK gave no reason (the message says so, rather than
 * repeating a stale `rte_errno` from an earlier call).
 */
export class DpdkError extends Error {
  /** Positive errno value (as in `rte_errno`); 0 when DPDK gave none. */
  readonly errno: number;
  /**
   * Builds the message from DPDK's text for `errno`.
   *
   * @param what what was attempted, e.g. `rte_ring_create("PRI_2_SEC")`
   * @param errno errno value, either sign; 0 when DPDK gave no reason
   */
  constructor(what: string, errno: number = 0) {
    const e = Math.abs(errno);
    super(
      e === 0
        ? `${what} failed (DPDK gave no reason)`
        : `${what} failed: ${strerror(e)} (errno ${e})`,
    );
    this.name = "DpdkError";
    this.errno = e;
  }
}

/**
 * A handle used after it was disposed (or after `cleanupEal()`): the
 * message names the object, e.g. `ring "PRI_2_SEC" is disposed`.
 */
export class DisposedError extends DpdkError {
  /**
   * An error naming the disposed object.
   *
   * @param what the object, e.g. `ring "PRI_2_SEC"`
   */
  constructor(what: string) {
    super(what);
    this.message = `${what} is disposed: it can no longer be used`;
    this.name = "DisposedError";
  }
}

/** Throws a DpdkError when `ret` is negative (a -errno return); else `ret`. */
export function check(what: string, ret: number): number {
  if (ret < 0) throw new DpdkError(what, ret);
  return ret;
}

/**
 * Calls `f` with `rte_errno` cleared first, and throws a DpdkError with the
 * errno it set when `f` returns NULL; else returns the pointer.
 */
export function callPtr(
  what: string,
  f: () => Deno.PointerValue,
): Deno.PointerObject {
  const s = lib();
  s.shim_set_errno(0);
  const p = f();
  if (p === null) throw new DpdkError(what, s.shim_errno());
  return p;
}

/**
 * Throws a RangeError naming `what` unless `n` is an integer in
 * `0 .. max`. One compare on the fast path; used for every count and
 * index before it reaches C.
 */
export function checkCount(what: string, n: number, max: number): void {
  if (!((n >>> 0) === n && n <= max)) {
    throw new RangeError(
      `${what}: ${n} is not an integer in 0..${max}`,
    );
  }
}
