/**
 * What every handle shares: a closed state checked on use, invalidation of
 * every live handle by `cleanupEal()`, and descriptors that carry a handle
 * to an lcore worker by identity (a name, or an address the shim checks)
 * rather than as a raw pointer.
 *
 * @module
 */

import { DisposedError } from "./errors.ts";

/** Something `cleanupEal()` must close: a handle into DPDK's memory. */
export interface Invalidatable {
  /** Marks the handle closed without freeing anything. */
  invalidate(): void;
}

const live = new Set<WeakRef<Invalidatable>>();

/** Registers a handle, to be closed by {@linkcode invalidateAll}. */
export function track(h: Invalidatable): void {
  live.add(new WeakRef(h));
}

/** Closes every live handle of this thread (after `rte_eal_cleanup`). */
export function invalidateAll(): void {
  for (const r of live) r.deref()?.invalidate();
  live.clear();
}

/** The error for a handle used after dispose. */
export function disposed(what: string): DisposedError {
  return new DisposedError(what);
}

/**
 * Detaches `buffer` so every view of it reads as empty: memory that was
 * freed can no longer be reached through it.
 */
export function detach(buffer: ArrayBuffer): void {
  if (!buffer.detached) buffer.transfer(0);
}

// ---- descriptors for lcore workers ----

/** Key of the method that describes a handle for a worker. */
export const DESCRIBE: unique symbol = Symbol("dpdk.describe");

/** A handle as it crosses to a worker: its kind and what finds it again. */
export interface Descriptor {
  /** The handle's class, e.g. `"Ring"`. */
  "@dpdk": string;
  /** What the kind's reviver needs (a name, a port, an address string). */
  [key: string]: string | number;
}

/** A handle that can be sent to a worker. */
export interface Describable {
  /** The descriptor that rebuilds it in a worker. */
  [DESCRIBE](): Descriptor;
}

const revivers = new Map<string, (d: Descriptor) => unknown>();

/** Registers how a worker rebuilds handles of `kind` from a descriptor. */
export function registerKind(
  kind: string,
  revive: (d: Descriptor) => unknown,
): void {
  revivers.set(kind, revive);
}

function isPlain(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Replaces every handle in `value` (plain objects and arrays, any depth)
 * by its descriptor, so it survives `postMessage`.
 *
 * @throws TypeError for a class instance that is neither a handle nor
 *   cloneable as data (naming where it is)
 */
export function toWire(value: unknown, path = "data"): unknown {
  if (value === null || typeof value !== "object") return value;
  if (DESCRIBE in value) return (value as Describable)[DESCRIBE]();
  if (Array.isArray(value)) {
    return value.map((v, i) => toWire(v, `${path}[${i}]`));
  }
  if (
    ArrayBuffer.isView(value) || value instanceof ArrayBuffer ||
    value instanceof SharedArrayBuffer || value instanceof Map ||
    value instanceof Set || value instanceof Date || value instanceof RegExp
  ) return value;
  if (!isPlain(value)) {
    throw new TypeError(
      `${path}: a ${value.constructor?.name ?? "class instance"} cannot be ` +
        `sent to an lcore worker (only data and DPDK handles can)`,
    );
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = toWire(v, `${path}.${k}`);
  }
  return out;
}

/** Rebuilds the handles {@linkcode toWire} described (in the worker). */
export function fromWire(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(fromWire);
  if (!isPlain(value)) return value;
  const kind = (value as Partial<Descriptor>)["@dpdk"];
  if (typeof kind === "string") {
    const revive = revivers.get(kind);
    if (revive === undefined) {
      throw new TypeError(`no reviver for a ${kind} handle in this worker`);
    }
    return revive(value as Descriptor);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = fromWire(v);
  return out;
}
