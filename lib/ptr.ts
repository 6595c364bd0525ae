/**
 * Pointer arrays for bursts.
 *
 * A burst is an array of C pointers (`void **`). In TypeScript it is a
 * `BigUint64Array` that is passed to the shim as a buffer and never read
 * element by element on a hot path (that would allocate BigInts): objects
 * are reached through offsets into a pool view instead (see `PoolView`).
 *
 * @module
 */

/** An array of C pointers: the storage of a burst. */
export type PtrArray = BigUint64Array<ArrayBuffer>;

/** Allocates a pointer array with room for `n` pointers. */
export function ptrArray(n: number): PtrArray {
  return new BigUint64Array(n);
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
