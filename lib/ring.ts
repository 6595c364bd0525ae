/**
 * Rings: named, lock-free FIFO queues of pointers in shared memory
 * (`rte_ring`). Bursts move arrays of pointers ({@linkcode PtrArray}).
 *
 * @module
 */

import { cbuf, lib } from "../ffi/lib.ts";
import { checkPtr } from "./errors.ts";
import { socketId } from "./eal.ts";
import { pointerFrom, type PtrArray, ptrArrayAddress } from "./ptr.ts";

/** Options of {@linkcode Ring.create}. */
export interface RingOptions {
  /** NUMA socket (default: the calling lcore's). */
  socket?: number;
  /** Single producer (`RING_F_SP_ENQ`). */
  singleProducer?: boolean;
  /** Single consumer (`RING_F_SC_DEQ`). */
  singleConsumer?: boolean;
  /** Capacity exactly `count` instead of `count - 1` (`RING_F_EXACT_SZ`). */
  exactSize?: boolean;
}

/** A named ring in shared memory, visible to every process of the group. */
export class Ring {
  /** The ring's name. */
  readonly name: string;
  /** The `struct rte_ring *`. */
  readonly handle: Deno.PointerObject;
  #owned: boolean;

  private constructor(
    name: string,
    handle: Deno.PointerObject,
    owned: boolean,
  ) {
    this.name = name;
    this.handle = handle;
    this.#owned = owned;
  }

  /**
   * Creates a ring (`rte_ring_create`). `count` must be a power of two
   * unless `exactSize` is set. Disposing the returned ring frees it.
   */
  static create(name: string, count: number, opts: RingOptions = {}): Ring {
    const flags = (opts.singleProducer ? 1 : 0) |
      (opts.singleConsumer ? 2 : 0) | (opts.exactSize ? 4 : 0);
    const p = lib().rte_ring_create(
      cbuf(name),
      count,
      opts.socket ?? socketId(),
      flags,
    );
    return new Ring(name, checkPtr(`rte_ring_create("${name}")`, p), true);
  }

  /** Finds a ring by name (`rte_ring_lookup`), e.g. one a primary made. */
  static lookup(name: string): Ring {
    const p = lib().rte_ring_lookup(cbuf(name));
    return new Ring(name, checkPtr(`rte_ring_lookup("${name}")`, p), false);
  }

  /**
   * Rebuilds a ring handle from {@linkcode Ring.address} (to pass a ring
   * to a worker thread). The result does not own the ring.
   */
  static fromAddress(address: bigint, name = ""): Ring {
    return new Ring(name, pointerFrom(address), false);
  }

  /** The ring's address, to hand to a worker (see `fromAddress`). */
  get address(): bigint {
    return BigInt(Deno.UnsafePointer.value(this.handle));
  }

  /**
   * Enqueues up to `n` pointers from `objs`; returns how many went in.
   * Hot path: one FFI fast call.
   */
  enqueueBurst(objs: PtrArray, n: number): number {
    const p = ptrArrayAddress(objs);
    return p !== undefined
      ? lib().shim_ring_enqueue_burst_ptr(this.handle, p, n)
      : lib().shim_ring_enqueue_burst(this.handle, objs, n);
  }

  /** Enqueues all `n` pointers or none; returns `n` or 0. */
  enqueueBulk(objs: PtrArray, n: number): number {
    const p = ptrArrayAddress(objs);
    return p !== undefined
      ? lib().shim_ring_enqueue_bulk_ptr(this.handle, p, n)
      : lib().shim_ring_enqueue_bulk(this.handle, objs, n);
  }

  /** Dequeues up to `n` pointers into `objs`; returns how many came. */
  dequeueBurst(objs: PtrArray, n: number): number {
    const p = ptrArrayAddress(objs);
    return p !== undefined
      ? lib().shim_ring_dequeue_burst_ptr(this.handle, p, n)
      : lib().shim_ring_dequeue_burst(this.handle, objs, n);
  }

  /** Entries in the ring now. */
  count(): number {
    return lib().shim_ring_count(this.handle);
  }

  /** Free slots in the ring now. */
  freeCount(): number {
    return lib().shim_ring_free_count(this.handle);
  }

  /** How many entries the ring can hold. */
  get capacity(): number {
    return lib().shim_ring_capacity(this.handle);
  }

  /** Frees the ring if this handle created it; a no-op otherwise. */
  [Symbol.dispose](): void {
    if (this.#owned) {
      this.#owned = false;
      lib().rte_ring_free(this.handle);
    }
  }
}
