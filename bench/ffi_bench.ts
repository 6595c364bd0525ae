/**
 * Cost of crossing the FFI boundary: a shim call and a 32-object ring
 * burst (enqueue + dequeue), each through the normal symbol (which V8
 * compiles to a fast call) and through Deno's slow path
 * (`Deno.UnsafeFnPointer.call`, which never takes the fast-call route).
 *
 *   deno bench -A bench/ffi_bench.ts
 *
 * Single process, `--no-huge` is not used so the numbers match real runs:
 * the group's files are removed at exit.
 *
 * @module
 */

import {
  cleanupEal,
  initEal,
  Mempool,
  ptrArray,
  Ring,
  shimCandidates,
} from "../mod.ts";

const prefix = `ffi_bench_${Deno.pid}`;
initEal([
  "-l",
  "0",
  "--no-pci",
  `--file-prefix=${prefix}`,
  "--log-level=lib.eal:error",
]);
globalThis.addEventListener("unload", () => {
  cleanupEal();
  try {
    Deno.removeSync(`/var/run/dpdk/${prefix}`, { recursive: true });
    for (const e of Deno.readDirSync("/dev/hugepages")) {
      if (e.name.startsWith(prefix)) {
        Deno.removeSync(`/dev/hugepages/${e.name}`);
      }
    }
  } catch {
    // nothing left to remove
  }
});

const ring = Ring.create("ffi_bench_ring", 1024);
const pool = Mempool.create("ffi_bench_pool", 1023, 64);
const objs = ptrArray(32);
if (!pool.getBulk(objs, 32)) throw new Error("pool empty");

// The slow path: the same C functions called through function pointers.
// (A second, bench-only handle to the shim, for the symbols' addresses.)
const addrs = Deno.dlopen(shimCandidates()[0], {
  shim_ring_count: { name: "shim_ring_count", type: "pointer" },
  shim_ring_enqueue_burst: { name: "shim_ring_enqueue_burst", type: "pointer" },
  shim_ring_dequeue_burst: { name: "shim_ring_dequeue_burst", type: "pointer" },
}).symbols;
function fnPtr<D extends Deno.ForeignFunction>(p: Deno.PointerValue, def: D) {
  return new Deno.UnsafeFnPointer(p as Deno.PointerObject<D>, def);
}
const slowCount = fnPtr(
  addrs.shim_ring_count,
  {
    parameters: ["pointer"],
    result: "u32",
  } as const,
);
const slowEnq = fnPtr(
  addrs.shim_ring_enqueue_burst,
  {
    parameters: ["pointer", "buffer", "u32"],
    result: "u32",
  } as const,
);
const slowDeq = fnPtr(
  addrs.shim_ring_dequeue_burst,
  {
    parameters: ["pointer", "buffer", "u32"],
    result: "u32",
  } as const,
);
const h = ring.handle;

Deno.bench("shim call (ring count), fast path", {
  group: "call",
  baseline: true,
}, () => {
  ring.count();
});

Deno.bench("shim call (ring count), slow path", { group: "call" }, () => {
  slowCount.call(h);
});

Deno.bench("32-object ring burst (enqueue+dequeue), fast path", {
  group: "burst",
  baseline: true,
}, () => {
  ring.enqueueBurst(objs, 32);
  ring.dequeueBurst(objs, 32);
});

Deno.bench("32-object ring burst (enqueue+dequeue), slow path", {
  group: "burst",
}, () => {
  slowEnq.call(h, objs, 32);
  slowDeq.call(h, objs, 32);
});
