/**
 * Rings: named, lock-free FIFO queues of pointers in shared memory
 * (`rte_ring`). Bursts move arrays of pointers ({@linkcode PtrArray}).
 *
 * @module
 */

import { cbuf, lib } from "../ffi/lib.ts";
import { hotLib } from "./ptr.ts";
import { callPtr, checkCount } from "./errors.ts";
import { RTE } from "./constants.ts";
import { socketId } from "./eal.ts";
import {
  DESCRIBE,
  type Descriptor,
  disposed,
  registerKind,
  track,
} from "./handle.ts";
import { type PtrArray, unsafeArrayPointer } from "./ptr.ts";

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

/**
 * Checks a DPDK object name: not empty, shorter than `size` bytes (the
 * NUL included).
 *
 * @throws RangeError naming `what`
 */
export function checkName(what: string, name: string, size: number): void {
  const bytes = new TextEncoder().encode(name).length;
  if (bytes === 0 || bytes >= size || name.includes("\0")) {
    throw new RangeError(
      `${what}: name "${name}" must be 1..${size - 1} bytes without NUL`,
    );
  }
}

/** A named ring in shared memory, visible to every process of the group. */
export class Ring {
  /** The ring's name. */
  readonly name: string;
  #ptr: Deno.PointerObject | null;
  #owned: boolean;

  private constructor(name: string, ptr: Deno.PointerObject, owned: boolean) {
    this.name = name;
    this.#ptr = ptr;
    this.#owned = owned;
    track(this);
  }

  /**
   * Creates a ring (`rte_ring_create`). `count` must be a power of two
   * unless `exactSize` is set. Disposing the returned ring frees it.
   *
   * @throws RangeError for an empty or too long name, or a bad count
   * @throws DpdkError when DPDK refuses (e.g. the name exists: EEXIST)
   */
  static create(name: string, count: number, opts: RingOptions = {}): Ring {
    checkName("Ring.create", name, RTE.RTE_RING_NAMESIZE);
    const max = RTE.RTE_RING_SZ_MASK;
    const pow2 = count > 0 && (count & (count - 1)) === 0;
    if (
      !((count >>> 0) === count && count >= 1 && count <= max) ||
      (!opts.exactSize && !pow2)
    ) {
      throw new RangeError(
        `Ring.create("${name}"): count ${count} must be ` +
          (opts.exactSize
            ? `an integer in 1..${max}`
            : `a power of two in 1..${max} (or set exactSize)`),
      );
    }
    const flags = (opts.singleProducer ? RTE.RING_F_SP_ENQ : 0) |
      (opts.singleConsumer ? RTE.RING_F_SC_DEQ : 0) |
      (opts.exactSize ? RTE.RING_F_EXACT_SZ : 0);
    const socket = opts.socket ?? socketId();
    const p = callPtr(
      `rte_ring_create("${name}", ${count})`,
      () => lib().rte_ring_create(cbuf(name), count, socket, flags),
    );
    return new Ring(name, p, true);
  }

  /** Finds a ring by name (`rte_ring_lookup`), e.g. one a primary made. */
  static lookup(name: string): Ring {
    checkName("Ring.lookup", name, RTE.RTE_RING_NAMESIZE);
    const p = callPtr(
      `rte_ring_lookup("${name}")`,
      () => lib().rte_ring_lookup(cbuf(name)),
    );
    return new Ring(name, p, false);
  }

  /** The `struct rte_ring *`. Unsafe: valid only while the ring lives. */
  get unsafeHandle(): Deno.PointerObject {
    return this.#ptr ?? this.#closed();
  }

  /** Whether this handle was disposed (or EAL cleaned up). */
  get disposed(): boolean {
    return this.#ptr === null;
  }

  #closed(): never {
    throw disposed(`ring "${this.name}"`);
  }

  /**
   * Enqueues up to `n` pointers from `objs`; returns how many went in.
   * Hot path: one FFI fast call.
   *
   * @throws RangeError unless `n` is an integer in 0..objs.length
   */
  enqueueBurst(objs: PtrArray, n: number): number {
    const r = this.#ptr ?? this.#closed();
    if (!((n >>> 0) === n && n <= objs.length)) {
      checkCount("Ring.enqueueBurst", n, objs.length);
    }
    return hotLib().shim_ring_enqueue_burst(
      r,
      unsafeArrayPointer(objs, "Ring.enqueueBurst"),
      n,
    );
  }

  /** Enqueues all `n` pointers or none; returns `n` or 0. */
  enqueueBulk(objs: PtrArray, n: number): number {
    const r = this.#ptr ?? this.#closed();
    if (!((n >>> 0) === n && n <= objs.length)) {
      checkCount("Ring.enqueueBulk", n, objs.length);
    }
    return hotLib().shim_ring_enqueue_bulk(
      r,
      unsafeArrayPointer(objs, "Ring.enqueueBulk"),
      n,
    );
  }

  /** Dequeues up to `n` pointers into `objs`; returns how many came. */
  dequeueBurst(objs: PtrArray, n: number): number {
    const r = this.#ptr ?? this.#closed();
    if (!((n >>> 0) === n && n <= objs.length)) {
      checkCount("Ring.dequeueBurst", n, objs.length);
    }
    return hotLib().shim_ring_dequeue_burst(
      r,
      unsafeArrayPointer(objs, "Ring.dequeueBurst"),
      n,
    );
  }

  /** Entries in the ring now. */
  count(): number {
    return hotLib().shim_ring_count(this.#ptr ?? this.#closed());
  }

  /** Free slots in the ring now. */
  freeCount(): number {
    return hotLib().shim_ring_free_count(this.#ptr ?? this.#closed());
  }

  /** How many entries the ring can hold. */
  get capacity(): number {
    return lib().shim_ring_capacity(this.#ptr ?? this.#closed());
  }

  /** @internal closes the handle without freeing (EAL cleanup). */
  invalidate(): void {
    this.#ptr = null;
  }

  /** @internal the descriptor an lcore worker rebuilds it from. */
  [DESCRIBE](): Descriptor {
    this.#ptr ?? this.#closed();
    return { "@dpdk": "Ring", name: this.name };
  }

  /**
   * Frees the ring if this handle created it (`rte_ring_free`), and closes
   * the handle either way: later use throws `DisposedError`.
   */
  [Symbol.dispose](): void {
    const r = this.#ptr;
    this.#ptr = null;
    if (r !== null && this.#owned) lib().rte_ring_free(r);
  }
}

registerKind("Ring", (d) => Ring.lookup(String(d.name)));
