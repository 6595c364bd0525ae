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

import { lib } from "../ffi/lib.ts";

/** An array of C pointers: the storage of a burst. */
export type PtrArray = BigUint64Array<ArrayBuffer>;

const ADDRESS = Symbol("dpdk.ptrArray.address");

/**
 * Allocates a pointer array with room for `n` pointers. Its memory lives
 * off the V8 heap and never moves, and the array remembers its address:
 * burst calls given such an array pass that address (a cheap FFI argument)
 * instead of the typed array (about 20 ns more per argument in Deno 2.9).
 */
export function ptrArray(n: number): PtrArray {
  const a = new BigUint64Array(new ArrayBuffer(8 * n));
  Object.defineProperty(a, ADDRESS, { value: Deno.UnsafePointer.of(a) });
  return a;
}

/**
 * The address of an array made by {@linkcode ptrArray} (undefined for
 * other arrays, subarrays included). Hot path: a property load.
 */
export function ptrArrayAddress(a: PtrArray): Deno.PointerValue | undefined {
  return (a as unknown as { [ADDRESS]?: Deno.PointerValue })[ADDRESS];
}

/**
 * Copies every `stride`-th pointer of `src[0 .. n-1]`, starting at
 * `src[first]`, into `dst` from its start; returns how many were copied
 * (`dst` needs room for them). One FFI call: splits a burst round-robin
 * over `stride` consumers without reading pointers in TypeScript. Hot path.
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
  return lib().shim_ptr_stride(src, n, first, stride, dst);
}

/** A pointer object from an address; throws on 0 (NULL). */
export function pointerFrom(address: bigint | number): Deno.PointerObject {
  const p = Deno.UnsafePointer.create(BigInt(address));
  if (p === null) throw new Error("NULL pointer");
  return p;
}

/** The address of a pointer object, as a BigInt (never on a hot path). */
export function addressOf(p: Deno.PointerObject): bigint {
  return BigInt(Deno.UnsafePointer.value(p));
}
