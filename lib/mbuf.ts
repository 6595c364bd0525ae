/**
 * Packet buffers (`rte_mbuf`) in bursts, with zero-copy access to their
 * data through a pool view.
 *
 * @module
 */

import { lib } from "../ffi/lib.ts";
import type { Mempool, PoolView } from "./mempool.ts";
import { type PtrArray, ptrArray } from "./ptr.ts";

let layout: Uint32Array | undefined;

/**
 * Field `i` of the shim's mbuf layout, asked for on first use rather than
 * at import: importing mod.ts must not load the shim, so that a missing
 * shim or DPDK library is reported by the app's EAL start-up (a readable
 * message and exit status 1), not as an uncaught import error.
 */
function layoutField(i: number): number {
  if (layout === undefined) {
    const out = new Uint32Array(6);
    lib().shim_mbuf_layout(out);
    layout = out;
  }
  return layout[i];
}

/** Byte offsets of `struct rte_mbuf` fields, for reads through a view. */
export const MBUF_LAYOUT: {
  readonly dataOff: number;
  readonly port: number;
  readonly pktLen: number;
  readonly dataLen: number;
  readonly bufAddr: number;
  readonly size: number;
} = Object.freeze({
  get dataOff() {
    return layoutField(0);
  },
  get port() {
    return layoutField(1);
  },
  get pktLen() {
    return layoutField(2);
  },
  get dataLen() {
    return layoutField(3);
  },
  get bufAddr() {
    return layoutField(4);
  },
  get size() {
    return layoutField(5);
  },
});

/** Frees `n` mbufs of `mbufs` back to their pools (`rte_pktmbuf_free_bulk`). */
export function freeMbufs(mbufs: PtrArray, n: number): void {
  lib().shim_pktmbuf_free_bulk(mbufs, n);
}

/**
 * A reusable burst of mbufs: the pointer array the burst calls fill, and
 * after {@linkcode MbufBurst.locate} the offset (into the pool view) and
 * length of each packet's data. Nothing here allocates per packet.
 *
 * @example Swap MACs of every packet in a burst
 * ```ts
 * const burst = new MbufBurst(pool, 32);
 * const n = port.rxBurst(0, burst.mbufs, 32);
 * burst.locate(n);
 * const b = burst.view.bytes;
 * for (let i = 0; i < n; i++) {
 *   const o = burst.off[i];
 *   for (let k = 0; k < 6; k++) {
 *     const t = b[o + k]; b[o + k] = b[o + 6 + k]; b[o + 6 + k] = t;
 *   }
 * }
 * ```
 */
export class MbufBurst {
  /** The mbuf pointers (filled by rx/dequeue/alloc calls). */
  readonly mbufs: PtrArray;
  /** Data offset of packet i in `view` (after `locate`). */
  readonly off: Uint32Array<ArrayBuffer>;
  /** Data length of packet i (after `locate`; set before `applyLengths`). */
  readonly len: Uint16Array<ArrayBuffer>;
  /** The pool view the offsets refer to. */
  readonly view: PoolView;
  /** Room: the largest burst. */
  readonly size: number;

  /**
   * Allocates the burst's arrays once.
   *
   * @param pool the pool the packets come from
   * @param size burst room
   */
  constructor(pool: Mempool, size = 32) {
    this.size = size;
    this.mbufs = ptrArray(size);
    this.off = new Uint32Array(size);
    this.len = new Uint16Array(size);
    this.view = pool.view();
  }

  /** Fills `off` and `len` for the first `n` mbufs (one FFI call). */
  locate(n: number): void {
    lib().shim_mbuf_data(this.mbufs, n, this.view.base, this.off, this.len);
  }

  /** Sets data and packet length of the first `n` mbufs from `len`. */
  applyLengths(n: number): void {
    lib().shim_mbuf_set_len(this.mbufs, n, this.len);
  }

  /** Frees mbufs `from` .. `to - 1` of the burst. */
  free(from: number, to: number): void {
    lib().shim_pktmbuf_free_range(this.mbufs, from, to);
  }
}
