/**
 * Errors that carry DPDK's own message.
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

/** A failed DPDK call: what was attempted, the errno and DPDK's message. */
export class DpdkError extends Error {
  /** Positive errno value (as in `rte_errno`). */
  readonly errno: number;
  /**
   * Builds the message from DPDK's text for `errno`.
   *
   * @param what what was attempted, e.g. `rte_ring_create("PRI_2_SEC")`
   * @param errno errno value, either sign; defaults to `rte_errno`
   */
  constructor(what: string, errno: number = rteErrno()) {
    const e = Math.abs(errno);
    super(`${what} failed: ${strerror(e)} (errno ${e})`);
    this.name = "DpdkError";
    this.errno = e;
  }
}

/** Throws a DpdkError when `ret` is negative (a -errno return); else `ret`. */
export function check(what: string, ret: number): number {
  if (ret < 0) throw new DpdkError(what, ret);
  return ret;
}

/** Throws a DpdkError (from `rte_errno`) when `p` is NULL; else `p`. */
export function checkPtr(
  what: string,
  p: Deno.PointerValue,
): Deno.PointerObject {
  if (p === null) throw new DpdkError(what);
  return p;
}
