// deno-test: own process (it starts EAL in the test process)
/**
 * Misuse of the library, in one process: every count, index, name and
 * size is checked before it reaches C, and a disposed handle refuses use.
 * Each case asserts the error class and what its message names (no crash,
 * no corruption: the pool counts stay whole afterwards).
 *
 * EAL runs with `--no-huge --no-shconf` (single process, no hugepages),
 * `--no-pci` and one `net_null` port; its files are removed at the end.
 */

import { assert, assertEquals, assertThrows } from "@std/assert";
import {
  DisposedError,
  DpdkError,
  ForwardPaths,
  freeMbufs,
  initEal,
  MbufBurst,
  Mempool,
  Memzone,
  type PktmbufPool,
  Port,
  ptrArray,
  removeGroupFiles,
  Ring,
  RTE,
  stridePtrs,
  TxBuffer,
  TxTable,
} from "../mod.ts";

const eal = initEal([
  "-l",
  "0",
  "--no-pci",
  "--no-huge",
  "--no-shconf",
  `--file-prefix=misuse_${Deno.pid}`,
  "-m",
  "256",
  "--vdev=net_null0",
  "--log-level=lib.eal:error",
], { claimLcores: false });

const pool = Mempool.create("mu_pool", 1023, 64);
const mbufs = Mempool.createPktmbuf("mu_mbufs", 1023, { cacheSize: 0 });
const port = new Port(0);
port.configure({ rxQueues: 1, txQueues: 1 });
port.setupRxQueue(0, 128, mbufs);
port.setupTxQueue(0, 128);
port.start();
const rxq = port.rxQueue(0);
const txq = port.txQueue(0);

Deno.test("burst counts past the array are RangeErrors naming the call", () => {
  const ring = Ring.create("mu_r1", 1024);
  assertThrows(
    () => pool.getBulk(ptrArray(1), 512),
    RangeError,
    "Mempool.getBulk",
  );
  assertThrows(
    () => pool.putBulk(ptrArray(1), 2),
    RangeError,
    "Mempool.putBulk",
  );
  assertThrows(
    () => ring.enqueueBurst(ptrArray(4), 512),
    RangeError,
    "Ring.enqueueBurst",
  );
  assertThrows(
    () => ring.enqueueBulk(ptrArray(4), 5),
    RangeError,
    "Ring.enqueueBulk",
  );
  assertThrows(
    () => ring.dequeueBurst(ptrArray(4), -1),
    RangeError,
    "Ring.dequeueBurst",
  );
  assertThrows(
    () => ring.dequeueBurst(ptrArray(4), 1.5),
    RangeError,
    "Ring.dequeueBurst",
  );
  assertThrows(
    () => rxq.rxBurst(ptrArray(2), 3),
    RangeError,
    "RxQueue.rxBurst",
  );
  assertThrows(
    () => txq.txBurst(ptrArray(2), 3),
    RangeError,
    "TxQueue.txBurst",
  );
  assertThrows(() => freeMbufs(ptrArray(2), 3), RangeError, "freeMbufs");
  assertThrows(
    () => stridePtrs(ptrArray(2), 3, 0, 1, ptrArray(2)),
    RangeError,
    "stridePtrs",
  );
  assertThrows(
    () => stridePtrs(ptrArray(2), 2, 0, 0, ptrArray(2)),
    RangeError,
    "stride",
  );
  // arrays that were not made by ptrArray() do not cross at all
  assertThrows(
    () =>
      ring.enqueueBurst(
        new BigUint64Array(4) as BigUint64Array<ArrayBuffer>,
        1,
      ),
    TypeError,
    "ptrArray",
  );
  assertEquals(ring.count(), 0);
  assertEquals(pool.availCount(), 1023);
  ring[Symbol.dispose]();
});

Deno.test("MbufBurst counts and ranges are checked", () => {
  const burst = new MbufBurst(mbufs, 8);
  const other = new MbufBurst(mbufs, 4);
  assertThrows(() => burst.receive(rxq, 9), RangeError, "MbufBurst.receive");
  assertThrows(() => burst.send(txq, 9), RangeError, "MbufBurst.send");
  assertThrows(
    () => burst.forward(rxq, txq, 100),
    RangeError,
    "MbufBurst.forward",
  );
  assertThrows(() => burst.alloc(9), RangeError, "MbufBurst.alloc");
  assertThrows(() => burst.free(2, 9), RangeError, "MbufBurst.free");
  assertThrows(() => burst.free(3, 2), RangeError, "MbufBurst.free");
  assertThrows(() => other.takeEvery(burst, 9, 0, 1), RangeError, "takeEvery");
  assertThrows(() => other.takeEvery(burst, 8, 0, 0), RangeError, "takeEvery");
  assertThrows(() => new MbufBurst(mbufs, 0), RangeError, "size");
  assertThrows(
    () => new MbufBurst(pool as unknown as PktmbufPool, 8),
    TypeError,
    "not a PktmbufPool",
  );
  // takeEvery never writes past the destination's room
  const before = mbufs.availCount();
  assert(burst.alloc(8));
  assertEquals(other.takeEvery(burst, 8, 0, 1), 4);
  // a length past the mbuf's room is refused, nothing changed
  burst.len.fill(60000);
  assertThrows(() => burst.applyLengths(8), DpdkError, "exceeds");
  burst.locate(8);
  assertEquals([...burst.len], new Array(8).fill(0));
  burst.freeFirst(8);
  assertEquals(mbufs.availCount(), before);
});

Deno.test("forward paths take checked queues only, and keep what the shim reads private", () => {
  const burst = new MbufBurst(mbufs, 8);
  assertThrows(() => new ForwardPaths([]), TypeError, "no path");
  assertThrows(
    () =>
      new ForwardPaths([
        { rx: rxq, tx: { port: 7, queue: 0 } as unknown as typeof txq },
      ]),
    TypeError,
    "path 0 is not",
  );
  const fwd = new ForwardPaths([{ rx: rxq, tx: txq }]);
  for (const rounds of [0, 1.5, 65536, -1]) {
    assertThrows(
      () => burst.forwardPaths(fwd, rounds),
      RangeError,
      "MbufBurst.forwardPaths: rounds",
    );
  }
  // a look-alike (what a script could forge) is refused before C
  const fake = { length: 1000 } as unknown as ForwardPaths;
  assertThrows(
    () => burst.forwardPaths(fake, 1),
    TypeError,
    "paths is not a ForwardPaths",
  );
  // the table and counters are not reachable: nothing to rewrite or free
  assertEquals(Object.keys(fwd), ["length"]);
  (fwd as { length: number }).length = 1000; // what the shim reads is not this
  const before = mbufs.availCount();
  const n = burst.forwardPaths(fwd, 4);
  assert(n > 0);
  assertEquals(fwd.received(0), n);
  assertEquals(fwd.sent(0), n); // net_null sends all it is given
  assertEquals(fwd.received(1), 0); // no such path
  assertEquals(mbufs.availCount(), before); // net_null frees what it sends
});

Deno.test("creation arguments are checked", () => {
  assertThrows(() => Ring.create("x", 0), RangeError, "count 0");
  assertThrows(() => Ring.create("x", 1000), RangeError, "power of two");
  assertThrows(() => Ring.create("", 1024), RangeError, "name");
  assertThrows(() => Ring.create("x".repeat(40), 1024), RangeError, "name");
  assertThrows(
    () => Mempool.createPktmbuf("p", 100, { dataRoomSize: 70000 }),
    RangeError,
    "dataRoomSize",
  );
  assertThrows(() => Mempool.create("p", 0, 64), RangeError, "n");
  assertThrows(() => TxBuffer.create(0), RangeError, "TxBuffer.create");
  assertThrows(() => TxBuffer.create(70000), RangeError, "TxBuffer.create");
  assertThrows(() => Memzone.reserve("z", 0), RangeError, "length");
  assertThrows(() => ptrArray(0), RangeError, "ptrArray");
  assertThrows(
    () => new Port(RTE.RTE_MAX_ETHPORTS),
    RangeError,
    "does not exist",
  );
  assertThrows(() => new Port(3), RangeError, "does not exist");
  assertThrows(() => port.rxQueue(1), RangeError, "no RX queue 1");
  assertThrows(() => port.txQueue(-1), RangeError, "no TX queue");
  assertThrows(
    () => port.stats(RTE.RTE_ETHDEV_QUEUE_STAT_CNTRS + 1),
    RangeError,
  );
  // DPDK's own refusal carries its errno, not a stale one
  using r = Ring.create("mu_dup", 64);
  const e = assertThrows(() => Ring.create("mu_dup", 64), DpdkError);
  assertEquals(e.errno, RTE.EEXIST);
  assertThrows(() => Ring.lookup("mu_nothing"), DpdkError, "No such file");
  assert(!r.disposed);
});

Deno.test("a disposed handle refuses use, naming the object", () => {
  const ring = Ring.create("mu_r2", 64);
  ring[Symbol.dispose]();
  assertThrows(() => ring.count(), DisposedError, 'ring "mu_r2" is disposed');
  assertThrows(() => ring.enqueueBurst(ptrArray(1), 1), DisposedError, "mu_r2");
  ring[Symbol.dispose](); // idempotent

  const p = Mempool.createPktmbuf("mu_p2", 255, { cacheSize: 0 });
  const view = p.view();
  const burst = new MbufBurst(p, 4);
  p[Symbol.dispose]();
  assertThrows(() => p.availCount(), DisposedError, 'pool "mu_p2"');
  assertThrows(() => burst.alloc(1), DisposedError, "mu_p2");
  assertThrows(() => burst.send(txq, 1), DisposedError, "mu_p2");
  assertThrows(() => view.unsafeBase, DisposedError, "mu_p2");
  // its memory can no longer be reached through the view
  assertEquals(view.bytes.length, 0);
  assertEquals(view.bytes[0], undefined);

  const mz = Memzone.reserve("mu_z", 4096);
  const bytes = mz.bytes();
  mz[Symbol.dispose]();
  assertEquals(bytes.length, 0);
  assertEquals(mz.buffer.byteLength, 0);
  assertThrows(() => mz.dataView(), DisposedError, 'memzone "mu_z"');
  assertThrows(() => mz.compareExchangeU32(0, 0, 1), DisposedError);

  const tb = TxBuffer.create(8);
  tb[Symbol.dispose]();
  assertThrows(() => tb.flush(txq), DisposedError, "TX buffer");
  const table = TxTable.create();
  table[Symbol.dispose]();
  assertThrows(() => table.unroutable, DisposedError, "TX table");
});

Deno.test("a TX table frees and counts packets from ports it does not route", () => {
  using table = TxTable.create();
  using buf = TxBuffer.create(4);
  const burst = new MbufBurst(mbufs, 8);
  const before = mbufs.availCount();
  assert(burst.alloc(8)); // allocated mbufs have port 0xffff: no route
  assertEquals(burst.bufferByInputPort(table, 8), 0);
  assertEquals(table.unroutable, 8);
  assertEquals(mbufs.availCount(), before);
  table.route(0, txq, buf);
  assertThrows(() => table.route(RTE.RTE_MAX_ETHPORTS, txq, buf), RangeError);
});

Deno.test("cleanupEal closes every handle; a second init is refused", () => {
  const ring = Ring.create("mu_last", 64);
  assertThrows(() => initEal(["-l", "0"]), DpdkError, "already initialised");
  port.stop();
  eal[Symbol.dispose]();
  assertThrows(() => ring.count(), DisposedError, 'ring "mu_last"');
  assertThrows(() => pool.getBulk(ptrArray(1), 1), DisposedError, "mu_pool");
  assertThrows(() => mbufs.view().unsafeBase, DisposedError);
  removeGroupFiles(eal.filePrefix);
});
