/**
 * Mempools (`rte_mempool`): fixed-size objects in shared memory, with
 * per-lcore caches. Pktmbuf pools hold packet buffers.
 *
 * @module
 */

import { cbuf, lib } from "../ffi/lib.ts";
import { checkPtr } from "./errors.ts";
import { socketId } from "./eal.ts";
import {
  addressOf,
  pointerFrom,
  type PtrArray,
  ptrArrayAddress,
} from "./ptr.ts";

/** Options of {@linkcode Mempool.create}. */
export interface MempoolOptions {
  /** Per-lcore cache size (default 0: no cache). */
  cacheSize?: number;
  /** Private data size in the pool header (default 0). */
  privateDataSize?: number;
  /** NUMA socket (default: the calling lcore's). */
  socket?: number;
  /** `MEMPOOL_F_*` flags (default 0). */
  flags?: number;
}

/** Options of {@linkcode Mempool.createPktmbuf}. */
export interface PktmbufPoolOptions {
  /** Per-lcore cache size (default 256, as the samples use). */
  cacheSize?: number;
  /** Private area per mbuf (default 0). */
  privSize?: number;
  /** Data room per mbuf, headroom included (default 2048 + 128). */
  dataRoomSize?: number;
  /** NUMA socket (default: the calling lcore's). */
  socket?: number;
}

/**
 * A zero-copy window on a pool's object memory: `bytes` and `data` index
 * that memory from `base`. Objects are reached by their offset from `base`
 * (see {@linkcode PoolView.offsets}), so per-object access in TypeScript
 * allocates nothing.
 */
export class PoolView {
  /** Lowest address of the pool's memory, as a pointer. */
  readonly base: Deno.PointerObject;
  /** The pool's memory as bytes, from `base`. */
  readonly bytes: Uint8Array<ArrayBuffer>;
  /** The same memory as a DataView (little-endian reads with `true`). */
  readonly data: DataView<ArrayBuffer>;

  /** A view of `length` bytes from `base` (see {@linkcode Mempool.view}). */
  constructor(base: Deno.PointerObject, length: number) {
    this.base = base;
    const ab = Deno.UnsafePointerView.getArrayBuffer(base, length);
    this.bytes = new Uint8Array(ab);
    this.data = new DataView(ab);
  }

  /** Offsets from `base` of the first `n` objects of `objs`, into `out`. */
  offsets(objs: PtrArray, n: number, out: Uint32Array<ArrayBuffer>): void {
    lib().shim_ptr_offsets(objs, n, this.base, out);
  }

  /** Pointers (`base + off[i]`) of the first `n` offsets, into `objs`. */
  pointers(off: Uint32Array<ArrayBuffer>, n: number, objs: PtrArray): void {
    lib().shim_offsets_to_ptrs(off, n, this.base, objs);
  }
}

/** A named mempool in shared memory. */
export class Mempool {
  /** The pool's name. */
  readonly name: string;
  /** The `struct rte_mempool *`. */
  readonly handle: Deno.PointerObject;
  #owned: boolean;
  #view: PoolView | undefined;

  /** Wraps a pool handle; use `create`, `createPktmbuf` or `lookup`. */
  protected constructor(
    name: string,
    handle: Deno.PointerObject,
    owned: boolean,
  ) {
    this.name = name;
    this.handle = handle;
    this.#owned = owned;
  }

  /** Creates a pool of `n` objects of `eltSize` bytes (`rte_mempool_create`). */
  static create(
    name: string,
    n: number,
    eltSize: number,
    opts: MempoolOptions = {},
  ): Mempool {
    const p = lib().rte_mempool_create(
      cbuf(name),
      n,
      eltSize,
      opts.cacheSize ?? 0,
      opts.privateDataSize ?? 0,
      null,
      null,
      null,
      null,
      opts.socket ?? socketId(),
      opts.flags ?? 0,
    );
    return new Mempool(
      name,
      checkPtr(`rte_mempool_create("${name}")`, p),
      true,
    );
  }

  /** Creates a packet-buffer pool (`rte_pktmbuf_pool_create`). */
  static createPktmbuf(
    name: string,
    n: number,
    opts: PktmbufPoolOptions = {},
  ): Mempool {
    const p = lib().rte_pktmbuf_pool_create(
      cbuf(name),
      n,
      opts.cacheSize ?? 256,
      opts.privSize ?? 0,
      opts.dataRoomSize ?? 2048 + 128,
      opts.socket ?? socketId(),
    );
    return new Mempool(
      name,
      checkPtr(`rte_pktmbuf_pool_create("${name}")`, p),
      true,
    );
  }

  /** Finds a pool by name (`rte_mempool_lookup`). */
  static lookup(name: string): Mempool {
    const p = lib().rte_mempool_lookup(cbuf(name));
    return new Mempool(
      name,
      checkPtr(`rte_mempool_lookup("${name}")`, p),
      false,
    );
  }

  /** Rebuilds a handle from {@linkcode Mempool.address} (for workers). */
  static fromAddress(address: bigint, name = ""): Mempool {
    return new Mempool(name, pointerFrom(address), false);
  }

  /** The pool's address, to hand to a worker (see `fromAddress`). */
  get address(): bigint {
    return addressOf(this.handle);
  }

  /** Number of objects the pool was made with. */
  get size(): number {
    return lib().shim_mempool_size(this.handle);
  }

  /** Object size in bytes. */
  get eltSize(): number {
    return lib().shim_mempool_elt_size(this.handle);
  }

  /**
   * Takes `n` objects into `objs`, all or none (`rte_mempool_get_bulk`).
   * Returns false when the pool has fewer than `n` available.
   */
  getBulk(objs: PtrArray, n: number): boolean {
    const p = ptrArrayAddress(objs);
    return (p !== undefined
      ? lib().shim_mempool_get_bulk_ptr(this.handle, p, n)
      : lib().shim_mempool_get_bulk(this.handle, objs, n)) === 0;
  }

  /** Returns `n` objects from `objs` to the pool (`rte_mempool_put_bulk`). */
  putBulk(objs: PtrArray, n: number): void {
    const p = ptrArrayAddress(objs);
    if (p !== undefined) lib().shim_mempool_put_bulk_ptr(this.handle, p, n);
    else lib().shim_mempool_put_bulk(this.handle, objs, n);
  }

  /**
   * Allocates `n` mbufs into `objs`, all or none (`rte_pktmbuf_alloc_bulk`);
   * for pktmbuf pools. Returns false when there are not enough.
   */
  allocMbufs(objs: PtrArray, n: number): boolean {
    return lib().shim_pktmbuf_alloc_bulk(this.handle, objs, n) === 0;
  }

  /** Objects available now (caches included). */
  availCount(): number {
    return lib().rte_mempool_avail_count(this.handle);
  }

  /** Objects in use now. */
  inUseCount(): number {
    return lib().rte_mempool_in_use_count(this.handle);
  }

  /** A zero-copy view of the pool's object memory (made once, then reused). */
  view(): PoolView {
    if (this.#view === undefined) {
      const span = new BigUint64Array(2);
      lib().shim_mempool_span(this.handle, span);
      this.#view = new PoolView(
        pointerFrom(span[0]),
        Number(span[1] - span[0]),
      );
    }
    return this.#view;
  }

  /** Frees the pool if this handle created it; a no-op otherwise. */
  [Symbol.dispose](): void {
    if (this.#owned) {
      this.#owned = false;
      lib().rte_mempool_free(this.handle);
    }
  }
}
