/**
 * Memzones: named blocks of shared memory, for configuration and counters
 * that every process of the group sees.
 *
 * @module
 */

import { cbuf, lib } from "../ffi/lib.ts";
import { callPtr } from "./errors.ts";
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
import { checkName } from "./ring.ts";

/** Options of {@linkcode Memzone.reserve}. */
export interface MemzoneOptions {
  /** NUMA socket (default: the calling lcore's). */
  socket?: number;
  /** `RTE_MEMZONE_*` flags (default 0). */
  flags?: number;
}

/**
 * A named memzone (`rte_memzone`). Disposing it (or `cleanupEal()`)
 * detaches `buffer` and every view made of it: they then read as empty.
 */
export class Memzone {
  /** The memzone's name. */
  readonly name: string;
  /** Length in bytes. */
  readonly length: number;
  /** The zone's memory (zero-copy); detached once the handle is closed. */
  readonly buffer: ArrayBuffer;
  #ptr: Deno.PointerObject | null;
  #addr: Deno.PointerObject;
  #owned: boolean;

  private constructor(
    name: string,
    handle: Deno.PointerObject,
    owned: boolean,
  ) {
    this.name = name;
    this.#ptr = handle;
    this.#owned = owned;
    const s = lib();
    const addr = s.shim_memzone_addr(handle);
    if (addr === null) throw disposed(`memzone "${name}"`);
    this.#addr = addr;
    this.length = Number(s.shim_memzone_len(handle));
    this.buffer = Deno.UnsafePointerView.getArrayBuffer(addr, this.length);
    track(this);
  }

  /**
   * Reserves a zeroed memzone (`rte_memzone_reserve`).
   *
   * @throws RangeError for a bad name or a length below 1
   * @throws DpdkError when DPDK refuses (e.g. the name exists: EEXIST)
   */
  static reserve(
    name: string,
    length: number,
    opts: MemzoneOptions = {},
  ): Memzone {
    checkName("Memzone.reserve", name, RTE.RTE_MEMZONE_NAMESIZE);
    if (!(Number.isSafeInteger(length) && length >= 1)) {
      throw new RangeError(
        `Memzone.reserve("${name}"): length ${length} is not a positive integer`,
      );
    }
    const socket = opts.socket ?? socketId();
    const p = callPtr(
      `rte_memzone_reserve("${name}", ${length})`,
      () =>
        lib().rte_memzone_reserve(
          cbuf(name),
          BigInt(length),
          socket,
          opts.flags ?? 0,
        ),
    );
    const mz = new Memzone(name, p, true);
    new Uint8Array(mz.buffer).fill(0);
    return mz;
  }

  /** Finds a memzone by name (`rte_memzone_lookup`). */
  static lookup(name: string): Memzone {
    checkName("Memzone.lookup", name, RTE.RTE_MEMZONE_NAMESIZE);
    const p = callPtr(
      `rte_memzone_lookup("${name}")`,
      () => lib().rte_memzone_lookup(cbuf(name)),
    );
    return new Memzone(name, p, false);
  }

  /** The `struct rte_memzone *`. Unsafe: valid while the zone lives. */
  get unsafeHandle(): Deno.PointerObject {
    return this.#ptr ?? this.#closed();
  }

  /** Start of the zone's memory. Unsafe: valid while the zone lives. */
  get unsafeAddr(): Deno.PointerObject {
    this.#ptr ?? this.#closed();
    return this.#addr;
  }

  /** Whether this handle was disposed (or EAL cleaned up). */
  get disposed(): boolean {
    return this.#ptr === null;
  }

  #closed(): never {
    throw disposed(`memzone "${this.name}"`);
  }

  /** The zone as bytes. */
  bytes(): Uint8Array<ArrayBuffer> {
    this.#ptr ?? this.#closed();
    return new Uint8Array(this.buffer);
  }

  /** The zone as a DataView (pass `true` for little-endian reads). */
  dataView(): DataView<ArrayBuffer> {
    this.#ptr ?? this.#closed();
    return new DataView(this.buffer);
  }

  /** 64-bit counters starting at byte `offset` (see {@linkcode U64Counters}). */
  counters(offset: number, count: number): U64Counters {
    this.#ptr ?? this.#closed();
    return new U64Counters(this.buffer, offset, count);
  }

  /**
   * Atomic compare-and-swap of the u32 at byte `offset` (a multiple of 4),
   * safe against other threads and processes: if it holds `expected` it
   * becomes `desired`. Returns the value it held before, so the swap
   * happened iff the result equals `expected`. For claims (e.g. a slot
   * holding an owner's PID); not meant for hot loops.
   */
  compareExchangeU32(
    offset: number,
    expected: number,
    desired: number,
  ): number {
    this.#ptr ?? this.#closed();
    if (
      !Number.isInteger(offset) || offset % 4 !== 0 || offset < 0 ||
      offset + 4 > this.length
    ) {
      throw new RangeError(
        `offset ${offset} is not an aligned u32 in memzone ${this.name}`,
      );
    }
    return lib().shim_atomic_cas_u32(
      Deno.UnsafePointer.offset(this.#addr, offset),
      expected >>> 0,
      desired >>> 0,
    );
  }

  /** @internal closes the handle and detaches its memory, freeing nothing. */
  invalidate(): void {
    this.#ptr = null;
    detach(this.buffer);
  }

  /** @internal the descriptor an lcore worker rebuilds it from. */
  [DESCRIBE](): Descriptor {
    this.#ptr ?? this.#closed();
    return { "@dpdk": "Memzone", name: this.name };
  }

  /**
   * Frees the memzone if this handle reserved it, and closes the handle
   * either way (detaching its memory).
   */
  [Symbol.dispose](): void {
    const p = this.#ptr;
    this.invalidate();
    if (p !== null && this.#owned) {
      this.#owned = false;
      lib().rte_memzone_free(p);
    }
  }
}

registerKind("Memzone", (d) => Memzone.lookup(String(d.name)));

/**
 * Unsigned 64-bit counters in shared memory (as C `uint64_t`), updated
 * from TypeScript without BigInt: each counter is two 32-bit halves.
 * One writer per counter; readers in other processes may see a carry
 * late by one update. Exact below 2^53.
 */
export class U64Counters {
  /** The counters as 32-bit halves (low word first, little-endian). */
  readonly words: Uint32Array<ArrayBuffer>;

  /**
   * Counters over `count` 64-bit words of `buffer` from `offset`.
   *
   * @param buffer memory
   * @param offset byte offset (multiple of 8)
   * @param count number of counters
   */
  constructor(buffer: ArrayBuffer, offset: number, count: number) {
    if (!Number.isInteger(offset) || offset < 0 || offset % 8 !== 0) {
      throw new RangeError(`U64Counters: offset ${offset} is not 8-aligned`);
    }
    if (!Number.isInteger(count) || count < 0) {
      throw new RangeError(
        `U64Counters: count ${count} is not an integer >= 0`,
      );
    }
    if (offset + 8 * count > buffer.byteLength) {
      throw new RangeError(
        `U64Counters: ${count} counters at ${offset} exceed the ` +
          `${buffer.byteLength}-byte buffer`,
      );
    }
    this.words = new Uint32Array(buffer, offset, count * 2);
  }

  /** Adds `n` (a non-negative integer below 2^32) to counter `i`. */
  add(i: number, n: number): void {
    const w = this.words;
    const lo = w[2 * i] + n;
    if (lo > 0xffffffff) {
      w[2 * i] = lo - 0x100000000;
      w[2 * i + 1]++;
    } else {
      w[2 * i] = lo;
    }
  }

  /** Counter `i` as a number. */
  get(i: number): number {
    return this.words[2 * i + 1] * 0x100000000 + this.words[2 * i];
  }

  /** Sets counter `i`. */
  set(i: number, v: number): void {
    this.words[2 * i] = v % 0x100000000;
    this.words[2 * i + 1] = Math.floor(v / 0x100000000);
  }
}
