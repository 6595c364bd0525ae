/**
 * Cost of crossing the FFI boundary: a shim call and a 32-object ring
 * burst (enqueue + dequeue), each through the library (whose symbols V8
 * compiles to fast calls) and through Deno's slow path
 * (`Deno.UnsafeFnPointer.call` on the same C functions with the same
 * definitions, from ffi/symbols.ts, which never takes the fast-call
 * route). The fast calls come three ways: through `lib()`, Deno's symbol
 * object, which holds every shim symbol and so is in V8's dictionary mode
 * (a hash lookup per call); through `hotLib()`, the hot symbols in a small
 * object (what `MbufBurst` and `ObjectBurst` use); and through `Ring`,
 * which calls `lib()`. Then a 32-packet `MbufBurst` step on a net_null
 * port: receive + send (two crossings, packets located), receiveRaw +
 * send (two crossings, nothing located), `forward` (one crossing), and
 * `sendReceive` (one crossing, located: the step of a loop that works on
 * every packet).
 *
 *   deno bench -A bench/ffi_bench.ts
 *
 * Single process, hugepages as in real runs (`--no-huge` is not used);
 * the group's files are removed at exit.
 *
 * @module
 */

import {
  cleanupEal,
  initEal,
  MbufBurst,
  Mempool,
  Port,
  ptrArray,
  Ring,
  shimCandidates,
} from "../mod.ts";
import { symbols } from "../ffi/symbols.ts";
import { lib } from "../ffi/lib.ts";
import { hotLib, ObjectBurst } from "../lib/ptr.ts";
import { ealArgs, uniquePrefix } from "../support/proc.ts";

const BURST = 32;

initEal(
  ["-l", "0", "--vdev=net_null0", ...ealArgs(uniquePrefix("ffi_bench"))],
  { progName: "ffi_bench", removeFilesOnCleanup: true },
);
// the port is stopped first; cleanupEal then removes the group's files
globalThis.addEventListener("unload", () => {
  burst.send(txq, pending);
  ob.put(BURST);
  port.stop();
  cleanupEal();
});

const ring = Ring.create("ffi_bench_ring", 1024);
const pool = Mempool.create("ffi_bench_pool", 1023, 64);
const objs = ptrArray(BURST);
if (!pool.getBulk(objs, BURST)) throw new Error("pool empty");

// One net_null port, one queue each way: RX allocates from `mbufs`, TX frees.
const mbufs = Mempool.createPktmbuf("ffi_bench_mbufs", 4095);
const port = new Port(0);
port.configure({ rxQueues: 1, txQueues: 1 });
const desc = port.adjustDescriptors(1024, 1024);
port.setupRxQueue(0, desc.rx, mbufs);
port.setupTxQueue(0, desc.tx);
port.start();
const rxq = port.rxQueue(0);
const txq = port.txQueue(0);
const burst = new MbufBurst(mbufs, BURST);

// The slow path: the same C functions called through function pointers,
// with the symbol table's own definitions. (A second, bench-only handle to
// the shim, for the symbols' addresses.)
const SLOW = [
  "shim_ring_count",
  "shim_ring_enqueue_burst",
  "shim_ring_dequeue_burst",
] as const;
const addrs = Deno.dlopen(
  shimCandidates()[0],
  Object.fromEntries(
    SLOW.map((name) => [name, { name, type: "pointer" }] as const),
  ) as Record<(typeof SLOW)[number], { name: string; type: "pointer" }>,
).symbols;
function fnPtr<D extends Deno.ForeignFunction>(p: Deno.PointerValue, def: D) {
  if (p === null) throw new Error("symbol address is NULL");
  return new Deno.UnsafeFnPointer(p as Deno.PointerObject<D>, def);
}
const slowCount = fnPtr(addrs.shim_ring_count, symbols.shim_ring_count);
const slowEnq = fnPtr(
  addrs.shim_ring_enqueue_burst,
  symbols.shim_ring_enqueue_burst,
);
const slowDeq = fnPtr(
  addrs.shim_ring_dequeue_burst,
  symbols.shim_ring_dequeue_burst,
);
const h = ring.unsafeHandle;
const objsPtr = Deno.UnsafePointer.of(objs);
const ob = new ObjectBurst(pool, BURST);
pool.putBulk(objs, BURST);
if (!ob.get(BURST)) throw new Error("pool empty");

Deno.bench("shim call (ring count), fast, hotLib()", {
  group: "call",
  baseline: true,
}, () => {
  hotLib().shim_ring_count(h);
});

Deno.bench("shim call (ring count), fast, lib() (dictionary mode)", {
  group: "call",
}, () => {
  lib().shim_ring_count(h);
});

Deno.bench("shim call (ring count), fast, Ring.count()", {
  group: "call",
}, () => {
  ring.count();
});

Deno.bench("shim call (ring count), slow path", { group: "call" }, () => {
  slowCount.call(h);
});

Deno.bench("32-object ring burst (enqueue+dequeue), ObjectBurst", {
  group: "burst",
  baseline: true,
}, () => {
  ob.enqueue(ring, BURST);
  ob.dequeue(ring); // and located
});

Deno.bench("32-object ring burst (enqueue+dequeue), Ring", {
  group: "burst",
}, () => {
  ring.enqueueBurst(ob.objs, BURST);
  ring.dequeueBurst(ob.objs, BURST);
});

Deno.bench("32-object ring burst (enqueue+dequeue), slow path", {
  group: "burst",
}, () => {
  slowEnq.call(h, objsPtr, BURST);
  slowDeq.call(h, objsPtr, BURST);
});

Deno.bench("32-packet MbufBurst receiveRaw+send on net_null", {
  group: "net_null",
}, () => {
  burst.send(txq, burst.receiveRaw(rxq));
});

let pending = 0;
Deno.bench("32-packet MbufBurst sendReceive on net_null (one crossing)", {
  group: "net_null",
}, () => {
  pending = burst.sendReceive(txq, pending, rxq) & 0xffff;
});

Deno.bench("32-packet MbufBurst receive+send on net_null", {
  group: "net_null",
  baseline: true,
}, () => {
  burst.send(txq, burst.receive(rxq));
});

Deno.bench("32-packet MbufBurst forward on net_null (one crossing)", {
  group: "net_null",
}, () => {
  burst.forward(rxq, txq);
});
