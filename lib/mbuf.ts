/**
 * Packet buffers (`rte_mbuf`) in bursts, with zero-copy access to their
 * data through a pool view.
 *
 * @module
 */

import { lib } from "../ffi/lib.ts";
import type { Mempool, PoolView } from "./mempool.ts";
import type { PtrArray } from "./ptr.ts";
import type { Ring } from "./ring.ts";

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
 * length of each packet's data. Nothing here allocates per packet. In hot
 * loops prefer the burst's own {@linkcode MbufBurst.receive},
 * {@linkcode MbufBurst.send}, {@linkcode MbufBurst.dequeue} and
 * {@linkcode MbufBurst.enqueue}: fewer FFI crossings, and the arrays cross
 * as pointers, several times cheaper than typed-array arguments.
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
    // explicit ArrayBuffers: their memory is off the V8 heap and never
    // moves, so receive/send can pass it as plain pointers
    this.mbufs = new BigUint64Array(new ArrayBuffer(8 * size));
    this.off = new Uint32Array(new ArrayBuffer(4 * size));
    this.len = new Uint16Array(new ArrayBuffer(2 * size));
    this.view = pool.view();
    this.#pool = pool.handle;
    this.#mbufsPtr = Deno.UnsafePointer.of(this.mbufs);
    this.#offPtr = Deno.UnsafePointer.of(this.off);
    this.#lenPtr = Deno.UnsafePointer.of(this.len);
  }

  #pool: Deno.PointerObject;
  #mbufsPtr: Deno.PointerValue;
  #offPtr: Deno.PointerValue;
  #lenPtr: Deno.PointerValue;

  /**
   * Receives up to `n` packets (default: the burst's size) from queue
   * `queue` of port `port` into `mbufs` and locates them (fills `off` and
   * `len`), in one FFI crossing: `rxBurst` + {@linkcode MbufBurst.locate}.
   * `n` is capped at the burst's size. Returns how many came. Hot path:
   * the fastest way in.
   *
   * @example The loop of a forwarder
   * ```ts
   * const n = burst.receive(0, 0);
   * for (let i = 0; i < n; i++) work(burst.view.data, burst.off[i]);
   * burst.send(1, 0, n);
   * ```
   */
  receive(port: number, queue: number, n: number = this.size): number {
    return lib().shim_eth_rx_locate(
      port,
      queue,
      this.#mbufsPtr,
      n < this.size ? n : this.size,
      this.view.base,
      this.#offPtr,
      this.#lenPtr,
    );
  }

  /**
   * Transmits the first `n` mbufs on queue `queue` of port `port`, and
   * frees those the queue did not take (`Port.txBurstOrFree`); `n` is
   * capped at the burst's size. Returns how many went. Hot path.
   */
  send(port: number, queue: number, n: number): number {
    return lib().shim_eth_tx_burst_free_ptr(
      port,
      queue,
      this.#mbufsPtr,
      n < this.size ? n : this.size,
    );
  }

  /**
   * Forwards one burst without looking at the packets: receives up to `n`
   * (default: the burst's size, and never more) from queue `queue` of port
   * `port` and transmits them on queue `dstQueue` of port `dstPort`,
   * freeing those that queue did not take, in one FFI crossing (`rxBurst`
   * then {@linkcode MbufBurst.send}, without locating). Returns
   * `rx + tx * 0x10000`: received `r & 0xffff`, sent `r >>> 16`. Hot path,
   * for forwarders that leave packets as they are (symmetric_mp).
   *
   * @example
   * ```ts
   * const r = burst.forward(0, q, 1, q);
   * const rx = r & 0xffff, tx = r >>> 16; // dropped: rx - tx
   * ```
   */
  forward(
    port: number,
    queue: number,
    dstPort: number,
    dstQueue: number,
    n: number = this.size,
  ): number {
    return lib().shim_eth_forward_burst(
      port,
      queue,
      dstPort,
      dstQueue,
      this.#mbufsPtr,
      n < this.size ? n : this.size,
    );
  }

  /**
   * Dequeues up to `n` mbufs (default: the burst's size, and never more)
   * from `ring` into `mbufs`; returns how many came. Like
   * `ring.dequeueBurst(burst.mbufs, n)`, but the array crosses as a
   * pointer, which is cheaper. Does not locate. Hot path.
   */
  dequeue(ring: Ring, n: number = this.size): number {
    return lib().shim_ring_dequeue_burst_ptr(
      ring.handle,
      this.#mbufsPtr,
      n < this.size ? n : this.size,
    );
  }

  /**
   * Enqueues the first `n` mbufs on `ring` (`n` capped at the burst's
   * size); returns how many went in. Like `ring.enqueueBurst`, with the
   * array crossing as a pointer. Hot path.
   */
  enqueue(ring: Ring, n: number): number {
    return lib().shim_ring_enqueue_burst_ptr(
      ring.handle,
      this.#mbufsPtr,
      n < this.size ? n : this.size,
    );
  }

  /**
   * Enqueues the first `n` mbufs on `ring` all or none (`n` capped at the
   * burst's size); returns `n` or 0. Like `ring.enqueueBulk`, with the
   * array crossing as a pointer. Hot path.
   */
  enqueueBulk(ring: Ring, n: number): number {
    return lib().shim_ring_enqueue_bulk_ptr(
      ring.handle,
      this.#mbufsPtr,
      n < this.size ? n : this.size,
    );
  }

  /**
   * Receives up to `n` mbufs (default: the burst's size, and never more)
   * from queue `queue` of port `port`, without locating them (no packet
   * data is touched); returns how many came. Like `port.rxBurst`, with the
   * array crossing as a pointer. Hot path, for code that only passes
   * packets on.
   */
  receiveRaw(port: number, queue: number, n: number = this.size): number {
    return lib().shim_eth_rx_burst_ptr(
      port,
      queue,
      this.#mbufsPtr,
      n < this.size ? n : this.size,
    );
  }

  /**
   * Frees the first `n` mbufs (`n` capped at the burst's size), like
   * {@linkcode freeMbufs} with the array crossing as a pointer. Hot path.
   */
  freeFirst(n: number): void {
    lib().shim_pktmbuf_free_bulk_ptr(
      this.#mbufsPtr,
      n < this.size ? n : this.size,
    );
  }

  /**
   * Fills this burst with every `stride`-th mbuf of `src`'s first `n`,
   * starting at `src.mbufs[first]` (see `stridePtrs`); returns how many
   * were taken. Hot path: splits a burst round-robin over `stride`
   * consumers in one FFI crossing. This burst needs room for them.
   */
  takeEvery(src: MbufBurst, n: number, first: number, stride: number): number {
    return lib().shim_ptr_stride_ptr(
      src.#mbufsPtr,
      n < src.size ? n : src.size,
      first,
      stride,
      this.#mbufsPtr,
    );
  }

  /**
   * Buffers each of the first `n` mbufs for the port paired with the one
   * it arrived on (`txByInputPort`), on `queue`; returns packets sent.
   * `table` (from `txTable`) is read on first use and remembered: build it
   * once, before the loop. Hot path, with every array crossing as a
   * pointer.
   */
  bufferByInputPort(
    queue: number,
    table: { buffers: Uint8Array<ArrayBuffer>; map: Uint16Array<ArrayBuffer> },
    n: number,
  ): number {
    if (table !== this.#table) this.#useTable(table);
    return lib().shim_tx_buffer_by_port_ptr(
      queue,
      this.#tableBuffers,
      this.#tableMap,
      this.#mbufsPtr,
      n < this.size ? n : this.size,
    );
  }

  #table: object | undefined;
  #tableBuffers: Deno.PointerValue = null;
  #tableMap: Deno.PointerValue = null;

  /** Copies a TX table off the V8 heap (small arrays may live on it). */
  #useTable(
    table: { buffers: Uint8Array<ArrayBuffer>; map: Uint16Array<ArrayBuffer> },
  ): void {
    const buffers = new Uint8Array(new ArrayBuffer(table.buffers.length));
    const map = new Uint16Array(new ArrayBuffer(2 * table.map.length));
    buffers.set(table.buffers);
    map.set(table.map);
    this.#keep = [buffers, map];
    this.#tableBuffers = Deno.UnsafePointer.of(buffers);
    this.#tableMap = Deno.UnsafePointer.of(map);
    this.#table = table;
  }

  #keep: unknown[] = [];

  /** Fills `off` and `len` for the first `n` mbufs (one FFI call). */
  locate(n: number): void {
    lib().shim_mbuf_data_ptr(
      this.#mbufsPtr,
      n < this.size ? n : this.size,
      this.view.base,
      this.#offPtr,
      this.#lenPtr,
    );
  }

  /** Sets data and packet length of the first `n` mbufs from `len`. */
  applyLengths(n: number): void {
    lib().shim_mbuf_set_len_ptr(
      this.#mbufsPtr,
      n < this.size ? n : this.size,
      this.#lenPtr,
    );
  }

  /**
   * Allocates `n` mbufs (capped at the burst's size) from the burst's pool
   * into `mbufs` and locates them, all or none, in one FFI crossing
   * (`rte_pktmbuf_alloc_bulk` + {@linkcode MbufBurst.locate}). Returns
   * false when the pool has too few. Hot path, for generators.
   */
  alloc(n: number): boolean {
    return lib().shim_pktmbuf_alloc_locate(
      this.#pool,
      this.#mbufsPtr,
      n < this.size ? n : this.size,
      this.view.base,
      this.#offPtr,
      this.#lenPtr,
    ) === 0;
  }

  /** Frees mbufs `from` .. `to - 1` of the burst. */
  free(from: number, to: number): void {
    lib().shim_pktmbuf_free_range(this.mbufs, from, to);
  }
}
