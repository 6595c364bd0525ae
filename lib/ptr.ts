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
import { checkCount } from "./errors.ts";

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
  return lib().shim_ptr_stride(
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
