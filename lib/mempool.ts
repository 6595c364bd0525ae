/**
 * Mempools (`rte_mempool`): fixed-size objects in shared memory, with
 * per-lcore caches. A {@linkcode PktmbufPool} holds packet buffers and is
 * the type the mbuf APIs require.
 *
 * @module
 */

import { cbuf, lib } from "../ffi/lib.ts";
import { hotLib } from "./ptr.ts";
import { callPtr, checkCount, DpdkError } from "./errors.ts";
import { RTE } from "./constants.ts";
import { socketId } from "./eal.ts";
import {
  DESCRIBE,
  type Descriptor,
  detach,
  disposed,
  registerKind,
  track,
} from "./handle.ts";
import { type PtrArray, unsafeArrayPointer, unsafePointerFrom } from "./ptr.ts";
import { checkName } from "./ring.ts";

/** Only this module makes PktmbufPools: one is a checked pktmbuf pool. */
const CHECKED: unique symbol = Symbol("dpdk.pktmbuf");

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
  /** Private area per mbuf (default 0; a multiple of 8). */
  privSize?: number;
  /** Data room per mbuf, headroom included (default `RTE_MBUF_DEFAULT_BUF_SIZE`). */
  dataRoomSize?: number;
  /** NUMA socket (default: the calling lcore's). */
  socket?: number;
}

function checkRange(what: string, v: number, min: number, max: number): void {
  if (!(Number.isInteger(v) && v >= min && v <= max)) {
    throw new RangeError(`${what}: ${v} is not an integer in ${min}..${max}`);
  }
}

/**
 * A zero-copy window on a pool's object memory: `bytes` and `data` index
 * that memory from `base`. Objects are reached by their offset from `base`
 * (see {@linkcode PoolView.offsets}), so per-object access in TypeScript
 * allocates nothing. Disposing the pool detaches the view: its arrays then
 * read as empty and its methods throw.
 */
export class PoolView {
  /** The pool's memory as bytes, from `unsafeBase`. */
  readonly bytes: Uint8Array<ArrayBuffer>;
  /** The same memory as a DataView (little-endian reads with `true`). */
  readonly data: DataView<ArrayBuffer>;
  #base: Deno.PointerObject | null;
  readonly #owner: string;

  /** @internal use {@linkcode Mempool.view} */
  constructor(base: Deno.PointerObject, length: number, owner: string) {
    this.#base = base;
    this.#owner = owner;
    const ab = Deno.UnsafePointerView.getArrayBuffer(base, length);
    this.bytes = new Uint8Array(ab);
    this.data = new DataView(ab);
  }

  /** Lowest address of the pool's memory. Unsafe: valid while the pool lives. */
  get unsafeBase(): Deno.PointerObject {
    return this.#base ?? this.#closed();
  }

  #closed(): never {
    throw disposed(`view of pool "${this.#owner}"`);
  }

  /**
   * Offsets from the base of the first `n` objects of `objs`, into `out`.
   *
   * @throws RangeError unless `n` fits both arrays
   */
  offsets(objs: PtrArray, n: number, out: Uint32Array<ArrayBuffer>): void {
    const base = this.#base ?? this.#closed();
    if (!((n >>> 0) === n && n <= objs.length && n <= out.length)) {
      checkCount("PoolView.offsets", n, Math.min(objs.length, out.length));
    }
    hotLib().shim_ptr_offsets(
      unsafeArrayPointer(objs, "PoolView.offsets"),
      n,
      base,
      out,
    );
  }

  /**
   * Pointers (base + `off[i]`) of the first `n` offsets, into `objs`.
   *
   * @throws RangeError unless `n` fits both arrays, or an offset lies
   *   outside the pool's memory
   */
  pointers(off: Uint32Array<ArrayBuffer>, n: number, objs: PtrArray): void {
    const base = this.#base ?? this.#closed();
    if (!((n >>> 0) === n && n <= objs.length && n <= off.length)) {
      checkCount("PoolView.pointers", n, Math.min(objs.length, off.length));
    }
    const len = this.bytes.length;
    for (let i = 0; i < n; i++) {
      if (off[i] >= len) {
        throw new RangeError(
          `PoolView.pointers: offset ${
            off[i]
          } is outside the pool's ${len} bytes`,
        );
      }
    }
    hotLib().shim_offsets_to_ptrs(
      off,
      n,
      base,
      unsafeArrayPointer(objs, "PoolView.pointers"),
    );
  }

  /** @internal detaches the view (its pool was freed). */
  invalidate(): void {
    this.#base = null;
    detach(this.bytes.buffer);
  }
}

/** A named mempool in shared memory. */
export class Mempool {
  /** The pool's name. */
  readonly name: string;
  /** @internal */
  protected ptr: Deno.PointerObject | null;
  #owned: boolean;
  #view: PoolView | undefined;

  /** @internal use `create`, `lookup` or {@linkcode PktmbufPool} */
  protected constructor(
    name: string,
    ptr: Deno.PointerObject,
    owned: boolean,
  ) {
    this.name = name;
    this.ptr = ptr;
    this.#owned = owned;
    track(this);
  }

  /**
   * Creates a pool of `n` objects of `eltSize` bytes (`rte_mempool_create`).
   *
   * @throws RangeError for a bad name, count, size or cache size
   * @throws DpdkError when DPDK refuses (e.g. no memory, name taken)
   */
  static create(
    name: string,
    n: number,
    eltSize: number,
    opts: MempoolOptions = {},
  ): Mempool {
    checkName("Mempool.create", name, RTE.RTE_MEMPOOL_NAMESIZE);
    checkRange(`Mempool.create("${name}") n`, n, 1, 0xffffffff);
    checkRange(`Mempool.create("${name}") eltSize`, eltSize, 1, 0xffffffff);
    const cache = opts.cacheSize ?? 0;
    checkRange(
      `Mempool.create("${name}") cacheSize`,
      cache,
      0,
      RTE.RTE_MEMPOOL_CACHE_MAX_SIZE,
    );
    const socket = opts.socket ?? socketId();
    const p = callPtr(
      `rte_mempool_create("${name}")`,
      () =>
        lib().rte_mempool_create(
          cbuf(name),
          n,
          eltSize,
          cache,
          opts.privateDataSize ?? 0,
          null,
          null,
          null,
          null,
          socket,
          opts.flags ?? 0,
        ),
    );
    return new Mempool(name, p, true);
  }

  /** Finds a pool by name (`rte_mempool_lookup`). */
  static lookup(name: string): Mempool {
    checkName("Mempool.lookup", name, RTE.RTE_MEMPOOL_NAMESIZE);
    const p = callPtr(
      `rte_mempool_lookup("${name}")`,
      () => lib().rte_mempool_lookup(cbuf(name)),
    );
    return new Mempool(name, p, false);
  }

  /**
   * Creates a packet-buffer pool of `n` mbufs (`rte_pktmbuf_pool_create`),
   * the pool type that `MbufBurst` and RX queues require.
   *
   * @throws RangeError for a bad name, count, data room (0..65535) or
   *   private size (0..65535, a multiple of 8)
   * @throws DpdkError when DPDK refuses (no memory, name taken)
   */
  static createPktmbuf(
    name: string,
    n: number,
    opts: PktmbufPoolOptions = {},
  ): PktmbufPool {
    checkName("PktmbufPool.create", name, RTE.RTE_MEMPOOL_NAMESIZE);
    checkRange(`Mempool.createPktmbuf("${name}") n`, n, 1, 0xffffffff);
    const room = opts.dataRoomSize ?? RTE.RTE_MBUF_DEFAULT_BUF_SIZE;
    const priv = opts.privSize ?? 0;
    const cache = opts.cacheSize ?? 256;
    checkRange(
      `Mempool.createPktmbuf("${name}") dataRoomSize`,
      room,
      0,
      RTE.UINT16_MAX,
    );
    checkRange(
      `Mempool.createPktmbuf("${name}") privSize`,
      priv,
      0,
      RTE.UINT16_MAX,
    );
    if (priv % 8 !== 0) {
      throw new RangeError(
        `Mempool.createPktmbuf("${name}") privSize: ${priv} is not a multiple of 8`,
      );
    }
    checkRange(
      `Mempool.createPktmbuf("${name}") cacheSize`,
      cache,
      0,
      RTE.RTE_MEMPOOL_CACHE_MAX_SIZE,
    );
    const socket = opts.socket ?? socketId();
    const p = callPtr(
      `rte_pktmbuf_pool_create("${name}")`,
      () =>
        lib().rte_pktmbuf_pool_create(
          cbuf(name),
          n,
          cache,
          priv,
          room,
          socket,
        ),
    );
    return new PktmbufPool(CHECKED, name, p, true, room);
  }

  /** The `struct rte_mempool *`. Unsafe: valid only while the pool lives. */
  get unsafeHandle(): Deno.PointerObject {
    return this.ptr ?? this.closed();
  }

  /** Whether this handle was disposed (or EAL cleaned up). */
  get disposed(): boolean {
    return this.ptr === null;
  }

  /** @internal */
  protected closed(): never {
    throw disposed(`pool "${this.name}"`);
  }

  /** Number of objects the pool was made with. */
  get size(): number {
    return lib().shim_mempool_size(this.ptr ?? this.closed());
  }

  /** Object size in bytes. */
  get eltSize(): number {
    return lib().shim_mempool_elt_size(this.ptr ?? this.closed());
  }

  /**
   * Takes `n` objects into `objs`, all or none (`rte_mempool_get_bulk`).
   * Returns false when the pool has fewer than `n` available.
   *
   * @throws RangeError unless `n` is an integer in 0..objs.length
   */
  getBulk(objs: PtrArray, n: number): boolean {
    const p = this.ptr ?? this.closed();
    if (!((n >>> 0) === n && n <= objs.length)) {
      checkCount("Mempool.getBulk", n, objs.length);
    }
    return hotLib().shim_mempool_get_bulk(
      p,
      unsafeArrayPointer(objs, "Mempool.getBulk"),
      n,
    ) === 0;
  }

  /**
   * Returns `n` objects from `objs` to the pool (`rte_mempool_put_bulk`).
   *
   * @throws RangeError unless `n` is an integer in 0..objs.length
   */
  putBulk(objs: PtrArray, n: number): void {
    const p = this.ptr ?? this.closed();
    if (!((n >>> 0) === n && n <= objs.length)) {
      checkCount("Mempool.putBulk", n, objs.length);
    }
    hotLib().shim_mempool_put_bulk(
      p,
      unsafeArrayPointer(objs, "Mempool.putBulk"),
      n,
    );
  }

  /** Objects available now (caches included). */
  availCount(): number {
    return lib().rte_mempool_avail_count(this.ptr ?? this.closed());
  }

  /** Objects in use now. */
  inUseCount(): number {
    return lib().rte_mempool_in_use_count(this.ptr ?? this.closed());
  }

  /** A zero-copy view of the pool's object memory (made once, then reused). */
  view(): PoolView {
    const p = this.ptr ?? this.closed();
    if (this.#view === undefined) {
      const span = new BigUint64Array(2);
      lib().shim_mempool_span(p, span);
      this.#view = new PoolView(
        unsafePointerFrom(span[0]),
        Number(span[1] - span[0]),
        this.name,
      );
    }
    return this.#view;
  }

  /** @internal closes the handle and its view without freeing. */
  invalidate(): void {
    this.ptr = null;
    this.#view?.invalidate();
  }

  /** @internal the descriptor an lcore worker rebuilds it from. */
  [DESCRIBE](): Descriptor {
    this.ptr ?? this.closed();
    return { "@dpdk": "Mempool", name: this.name };
  }

  /**
   * Frees the pool if this handle created it (`rte_mempool_free`), and
   * closes the handle and its view either way.
   */
  [Symbol.dispose](): void {
    const p = this.ptr;
    this.invalidate();
    if (p !== null && this.#owned) {
      this.#owned = false;
      lib().rte_mempool_free(p);
    }
  }
}

/**
 * A pool of packet buffers, made by {@linkcode Mempool.createPktmbuf} or
 * found by {@linkcode PktmbufPool.lookup}: the pool type that `MbufBurst`
 * and the port RX queues require.
 */
export class PktmbufPool extends Mempool {
  /** Data room per mbuf (headroom included). */
  readonly dataRoomSize: number;

  /** @internal use {@linkcode Mempool.createPktmbuf} or `lookup` */
  constructor(
    token: typeof CHECKED,
    name: string,
    ptr: Deno.PointerObject,
    owned: boolean,
    dataRoom: number,
  ) {
    if (token !== CHECKED) {
      throw new TypeError(
        "make pktmbuf pools with Mempool.createPktmbuf or PktmbufPool.lookup",
      );
    }
    super(name, ptr, owned);
    this.dataRoomSize = dataRoom;
  }

  /**
   * Finds a packet-buffer pool by name.
   *
   * @throws DpdkError when there is none, or the pool of that name is not
   *   a pktmbuf pool
   */
  static override lookup(name: string): PktmbufPool {
    checkName("PktmbufPool.lookup", name, RTE.RTE_MEMPOOL_NAMESIZE);
    const p = callPtr(
      `rte_mempool_lookup("${name}")`,
      () => lib().rte_mempool_lookup(cbuf(name)),
    );
    const room = lib().shim_pktmbuf_data_room(p);
    if (room < 0) {
      throw new DpdkError(
        `PktmbufPool.lookup("${name}"): not a pktmbuf pool`,
        -room,
      );
    }
    return new PktmbufPool(CHECKED, name, p, false, room);
  }

  /** @internal the descriptor an lcore worker rebuilds it from. */
  override [DESCRIBE](): Descriptor {
    this.ptr ?? this.closed();
    return { "@dpdk": "PktmbufPool", name: this.name };
  }
}

registerKind("Mempool", (d) => Mempool.lookup(String(d.name)));
registerKind("PktmbufPool", (d) => PktmbufPool.lookup(String(d.name)));
