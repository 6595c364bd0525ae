/**
 * Memzones: named blocks of shared memory, for configuration and counters
 * that every process of the group sees.
 *
 * @module
 */

import { cbuf, lib } from "../ffi/lib.ts";
import { checkPtr } from "./errors.ts";
import { socketId } from "./eal.ts";

/** A named memzone (`rte_memzone`). */
export class Memzone {
  /** The memzone's name. */
  readonly name: string;
  /** The `struct rte_memzone *`. */
  readonly handle: Deno.PointerObject;
  /** Start of the zone's memory. */
  readonly addr: Deno.PointerObject;
  /** Length in bytes. */
  readonly length: number;
  /** The zone's memory (zero-copy). */
  readonly buffer: ArrayBuffer;
  #owned: boolean;

  private constructor(
    name: string,
    handle: Deno.PointerObject,
    owned: boolean,
  ) {
    this.name = name;
    this.handle = handle;
    this.#owned = owned;
    const s = lib();
    this.addr = checkPtr("memzone addr", s.shim_memzone_addr(handle));
    this.length = Number(s.shim_memzone_len(handle));
    this.buffer = Deno.UnsafePointerView.getArrayBuffer(this.addr, this.length);
  }

  /** Reserves a zeroed memzone (`rte_memzone_reserve`). */
  static reserve(
    name: string,
    length: number,
    opts: { socket?: number; flags?: number } = {},
  ): Memzone {
    const p = lib().rte_memzone_reserve(
      cbuf(name),
      BigInt(length),
      opts.socket ?? socketId(),
      opts.flags ?? 0,
    );
    const mz = new Memzone(
      name,
      checkPtr(`rte_memzone_reserve("${name}", ${length})`, p),
      true,
    );
    new Uint8Array(mz.buffer).fill(0);
    return mz;
  }

  /** Finds a memzone by name (`rte_memzone_lookup`). */
  static lookup(name: string): Memzone {
    const p = lib().rte_memzone_lookup(cbuf(name));
    return new Memzone(
      name,
      checkPtr(`rte_memzone_lookup("${name}")`, p),
      false,
    );
  }

  /** The zone as bytes. */
  bytes(): Uint8Array<ArrayBuffer> {
    return new Uint8Array(this.buffer);
  }

  /** The zone as a DataView (pass `true` for little-endian reads). */
  dataView(): DataView<ArrayBuffer> {
    return new DataView(this.buffer);
  }

  /** 64-bit counters starting at byte `offset` (see {@linkcode U64Counters}). */
  counters(offset: number, count: number): U64Counters {
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
    if (offset % 4 !== 0 || offset < 0 || offset + 4 > this.length) {
      throw new RangeError(
        `offset ${offset} is not an aligned u32 in memzone ${this.name}`,
      );
    }
    return lib().shim_atomic_cas_u32(
      Deno.UnsafePointer.offset(this.addr, offset),
      expected >>> 0,
      desired >>> 0,
    );
  }

  /** Frees the memzone if this handle reserved it; a no-op otherwise. */
  [Symbol.dispose](): void {
    if (this.#owned) {
      this.#owned = false;
      lib().rte_memzone_free(this.handle);
    }
  }
}

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
    if (offset % 8 !== 0) throw new RangeError("offset must be 8-aligned");
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
