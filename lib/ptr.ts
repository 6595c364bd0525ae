/**
 * Pointer arrays for bursts.
 *
 * A burst is an array of C pointers (`void **`). In TypeScript it is a
 * `BigUint64Array`, made once with {@linkcode ptrArray} (which remembers
 * its address, so burst calls pass a plain pointer), and never read element
 * by element on a hot path (that would allocate BigInts): objects are
 * reached through offsets into a pool view instead (see `PoolView`).
 *
 * @module
 */

/*
 * The hot shim functions in an object of their own. `lib()` returns
 * Deno's symbol object, which holds every symbol of the shim (over a
 * hundred): V8 keeps an object with that many properties in dictionary
 * mode, so each `lib().shim_x` in optimized code is a hash lookup through
 * an inline-cache stub (about 45 instructions per call, measured with
 * callgrind: bench/README.md). A small object literal has fast properties:
 * the load is one instruction, and the call stays a V8 fast call.
 */
function pickHot(l: Symbols) {
  return {
    shim_ring_enqueue_burst: l.shim_ring_enqueue_burst,
    shim_ring_dequeue_burst: l.shim_ring_dequeue_burst,
    shim_ring_dequeue_locate: l.shim_ring_dequeue_locate,
    shim_ring_enqueue_bulk: l.shim_ring_enqueue_bulk,
    shim_ring_count: l.shim_ring_count,
    shim_ring_free_count: l.shim_ring_free_count,
    shim_mempool_get_bulk: l.shim_mempool_get_bulk,
    shim_mempool_get_locate: l.shim_mempool_get_locate,
    shim_mempool_put_bulk: l.shim_mempool_put_bulk,
    shim_pktmbuf_free_bulk: l.shim_pktmbuf_free_bulk,
    shim_pktmbuf_free_range: l.shim_pktmbuf_free_range,
    shim_ptr_offsets: l.shim_ptr_offsets,
    shim_offsets_to_ptrs: l.shim_offsets_to_ptrs,
    shim_ptr_stride: l.shim_ptr_stride,
    shim_mbuf_data: l.shim_mbuf_data,
    shim_mbuf_set_len: l.shim_mbuf_set_len,
    shim_pktmbuf_alloc_locate: l.shim_pktmbuf_alloc_locate,
    shim_eth_rx_burst: l.shim_eth_rx_burst,
    shim_eth_tx_burst: l.shim_eth_tx_burst,
    shim_eth_tx_burst_free: l.shim_eth_tx_burst_free,
    shim_eth_rx_locate: l.shim_eth_rx_locate,
    shim_eth_tx_rx_locate: l.shim_eth_tx_rx_locate,
    shim_eth_forward_burst: l.shim_eth_forward_burst,
    shim_eth_forward_paths: l.shim_eth_forward_paths,
    shim_tx_buffer_burst: l.shim_tx_buffer_burst,
    shim_tx_buffer_flush: l.shim_tx_buffer_flush,
    shim_tx_table_burst: l.shim_tx_table_burst,
    shim_tsc_cycles: l.shim_tsc_cycles,
  };
}

/** The hot shim functions (see {@linkcode hotLib}). */
export type HotSymbols = ReturnType<typeof pickHot>;

let hot: HotSymbols | undefined;

/**
 * @internal The shim's hot-path functions in an object with fast
 * properties (loads the shim on first use). Hot paths call
 * `hotLib().shim_x(...)`, not `lib().shim_x(...)`: the symbol object of
 * `lib()` is in dictionary mode, which costs a hash lookup per call.
 */
export function hotLib(): HotSymbols {
  return hot ??= pickHot(lib());
}

import { lib } from "../ffi/lib.ts";
import type { Symbols } from "../ffi/symbols.ts";
import { checkCount } from "./errors.ts";
import type { Mempool, PoolView } from "./mempool.ts";
import type { Ring } from "./ring.ts";

/** An array of C pointers: the storage of a burst (made by {@linkcode ptrArray}). */
export type PtrArray = BigUint64Array<ArrayBuffer>;

const ADDRESS = Symbol("dpdk.ptrArray.address");

/**
 * Allocates a pointer array with room for `n` pointers. Its memory lives
 * off the V8 heap and never moves, and the array remembers its address:
 * burst calls pass that address (a cheap FFI argument).
 *
 * @throws RangeError when `n` is not an integer in 1..2^24
 */
export function ptrArray(n: number): PtrArray {
  if (!((n >>> 0) === n && n >= 1 && n <= 1 << 24)) {
    throw new RangeError(`ptrArray: ${n} is not an integer in 1..${1 << 24}`);
  }
  const a = new BigUint64Array(new ArrayBuffer(8 * n));
  Object.defineProperty(a, ADDRESS, { value: Deno.UnsafePointer.of(a) });
  return a;
}

/**
 * The address of an array made by {@linkcode ptrArray}. Hot path: a
 * property load and a compare.
 *
 * @throws TypeError for any other array (subarrays included)
 */
export function unsafeArrayPointer(
  a: PtrArray,
  what: string,
): Deno.PointerObject {
  const p = (a as unknown as { [ADDRESS]?: Deno.PointerObject })[ADDRESS];
  if (p === undefined) {
    throw new TypeError(`${what}: the array was not made by ptrArray()`);
  }
  return p;
}

/**
 * Copies every `stride`-th pointer of `src[0 .. n-1]`, starting at
 * `src[first]`, into `dst` from its start; returns how many were copied
 * (never more than `dst` holds). One FFI call: splits a burst round-robin
 * over `stride` consumers without reading pointers in TypeScript.
 *
 * @example Packet i of a burst goes to consumer i % 2
 * ```ts
 * const even = ptrArray(32), odd = ptrArray(32);
 * const nEven = stridePtrs(burst, n, 0, 2, even);
 * const nOdd = stridePtrs(burst, n, 1, 2, odd);
 * ```
 */
export function stridePtrs(
  src: PtrArray,
  n: number,
  first: number,
  stride: number,
  dst: PtrArray,
): number {
  checkCount("stridePtrs n", n, src.length);
  checkCount("stridePtrs first", first, n);
  if (!((stride >>> 0) === stride && stride >= 1)) {
    throw new RangeError(`stridePtrs: stride ${stride} is not an integer >= 1`);
  }
  return hotLib().shim_ptr_stride(
    unsafeArrayPointer(src, "stridePtrs"),
    n,
    first,
    stride,
    unsafeArrayPointer(dst, "stridePtrs"),
    dst.length,
  );
}

/** A pointer object from an address; throws on 0 (NULL). Unsafe: any address. */
export function unsafePointerFrom(
  address: bigint | number,
): Deno.PointerObject {
  const p = Deno.UnsafePointer.create(BigInt(address));
  if (p === null) throw new TypeError("NULL pointer");
  return p;
}

/** The address of a pointer object, as a BigInt (never on a hot path). */
export function unsafeAddressOf(p: Deno.PointerObject): bigint {
  return BigInt(Deno.UnsafePointer.value(p));
}

/**
 * A reusable burst of objects of one pool (messages, say): the pointer
 * array that pool and ring calls fill, and the offset of each object in
 * the pool's view, so TypeScript reads and writes the objects in place.
 * The cheap per-message path for small objects: taking objects from the
 * pool or a ring locates them in the same FFI crossing (`get`, `dequeue`),
 * nothing is allocated per burst, and every count is checked with one
 * compare (a count above the burst's size throws `RangeError`).
 *
 * @example Send a burst of messages, each a byte string
 * ```ts
 * const out = new ObjectBurst(pool, 32);
 * if (out.get(n)) {
 *   for (let i = 0; i < n; i++) out.bytes[out.off[i]] = 42;
 *   while (out.enqueueBulk(ring, n) === 0) {} // wait for room
 * }
 * // on the other side
 * const m = inb.dequeue(ring);
 * for (let i = 0; i < m; i++) use(inb.bytes, inb.off[i]);
 * inb.put(m);
 * ```
 */
export class ObjectBurst {
  /** The object pointers (filled by `get` and `dequeue`). */
  readonly objs: PtrArray;
  /** Offset of object i in `view` (after `get`, `dequeue` or `locate`). */
  readonly off: Uint32Array<ArrayBuffer>;
  /** The pool view the offsets refer to. */
  readonly view: PoolView;
  /** The pool's memory (`view.bytes`): object i starts at `off[i]`. */
  readonly bytes: Uint8Array<ArrayBuffer>;
  /** Room: the largest burst. */
  readonly size: number;
  readonly #pool: Mempool;
  readonly #objsPtr: Deno.PointerObject;
  readonly #offPtr: Deno.PointerObject;

  /**
   * Allocates the burst's arrays once.
   *
   * @param pool the pool the objects belong to
   * @param size burst room (1..65535)
   */
  constructor(pool: Mempool, size = 32) {
    if (!((size >>> 0) === size && size >= 1 && size <= 0xffff)) {
      throw new RangeError(`ObjectBurst: size ${size} is not in 1..65535`);
    }
    this.size = size;
    this.objs = ptrArray(size);
    this.off = new Uint32Array(new ArrayBuffer(4 * size));
    this.view = pool.view();
    this.bytes = this.view.bytes;
    this.#pool = pool;
    this.#objsPtr = unsafeArrayPointer(this.objs, "ObjectBurst");
    this.#offPtr = Deno.UnsafePointer.of(this.off)!;
  }

  #range(what: string, n: number): never {
    checkCount(`ObjectBurst.${what}`, n, this.size);
    throw new RangeError(`ObjectBurst.${what}: bad count ${n}`);
  }

  /**
   * Takes `n` objects from the pool, all or none, and locates them, in
   * one FFI crossing. Returns false when the pool has fewer than `n`.
   * Hot path.
   */
  get(n: number): boolean {
    const pool = this.#pool.unsafeHandle, base = this.view.unsafeBase;
    if (!((n >>> 0) === n && n <= this.size)) this.#range("get", n);
    return hotLib().shim_mempool_get_locate(
      pool,
      this.#objsPtr,
      n,
      base,
      this.#offPtr,
    ) === 0;
  }

  /** Returns the first `n` objects to the pool. Hot path. */
  put(n: number): void {
    const pool = this.#pool.unsafeHandle;
    if (!((n >>> 0) === n && n <= this.size)) this.#range("put", n);
    hotLib().shim_mempool_put_bulk(pool, this.#objsPtr, n);
  }

  /**
   * Dequeues up to `n` objects (default: the burst's size) from `ring`
   * and locates them, in one FFI crossing; returns how many came. Hot
   * path.
   */
  dequeue(ring: Ring, n: number = this.size): number {
    const r = ring.unsafeHandle, base = this.view.unsafeBase;
    if (!((n >>> 0) === n && n <= this.size)) this.#range("dequeue", n);
    return hotLib().shim_ring_dequeue_locate(
      r,
      this.#objsPtr,
      n,
      base,
      this.#offPtr,
    );
  }

  /** Enqueues up to the first `n` objects on `ring`; returns how many went. */
  enqueue(ring: Ring, n: number): number {
    const r = ring.unsafeHandle;
    if (!((n >>> 0) === n && n <= this.size)) this.#range("enqueue", n);
    return hotLib().shim_ring_enqueue_burst(r, this.#objsPtr, n);
  }

  /** Enqueues the first `n` objects on `ring`, all or none; returns `n` or 0. */
  enqueueBulk(ring: Ring, n: number): number {
    const r = ring.unsafeHandle;
    if (!((n >>> 0) === n && n <= this.size)) this.#range("enqueueBulk", n);
    return hotLib().shim_ring_enqueue_bulk(r, this.#objsPtr, n);
  }

  /** Fills `off` for the first `n` objects of `objs` (one FFI call). */
  locate(n: number): void {
    const base = this.view.unsafeBase;
    if (!((n >>> 0) === n && n <= this.size)) this.#range("locate", n);
    hotLib().shim_ptr_offsets(this.#objsPtr, n, base, this.off);
  }
}
