/**
 * The hot path stays on V8's fast-call route, and the main thread leaves
 * the CPU it lends to a worker.
 *
 * Fast calls: a child process loads a "spy" shim (support/bench.ts,
 * `buildSpyShim`) in place of the real one. For every hot symbol the spy
 * has a function of the same C signature that records the return address
 * of its caller, then calls the real shim. A V8 fast call returns into
 * code V8 generated (anonymous memory); the slow path returns into Deno's
 * own binary (libffi). The child runs a round that calls each hot symbol
 * through the library (`MbufBurst`, `ObjectBurst`, `Ring`, `Mempool`,
 * `PoolView`, queues, TX buffers) until a batch of rounds makes no slow
 * call (V8 runs the round in its interpreter and in Maglev first, whose
 * FFI calls all take the slow path; only TurboFan's code makes fast
 * calls), then runs more rounds and reports calls and slow calls per
 * symbol. Deterministic: no timing is involved. The test fails when a hot
 * symbol makes a slow call once warm (a wrong argument type, a parameter
 * type V8 cannot pass fast, a loop that deoptimizes) or is never called.
 * It is known to see a fallback: a control symbol called through
 * `Deno.UnsafeFnPointer` must count as slow, and with TurboFan turned off
 * (`--max-opt=2`) every hot symbol must.
 *
 *   deno test -A tests/fastcall_test.ts
 *
 * @module
 */

import { assert, assertEquals } from "@std/assert";
import {
  defineLcore,
  ForwardPaths,
  freeMbufs,
  initEal,
  launchLcores,
  type LcoreContext,
  MbufBurst,
  Mempool,
  ObjectBurst,
  Port,
  ptrArray,
  Ring,
  stridePtrs,
  tscCycles,
  TxBuffer,
  TxTable,
} from "../mod.ts";
import { lib } from "../ffi/lib.ts";
import { symbols } from "../ffi/symbols.ts";
import {
  buildSpyShim,
  hotSymbols,
  openSpy,
  type SpyCounts,
} from "../support/bench.ts";
import { ealArgs, ROOT, uniquePrefix } from "../support/proc.ts";

/** Called only through Deno.UnsafeFnPointer: the slow path, the control. */
const CONTROL = "shim_lcore_id";
/** Rounds per warm-up batch, and at most this many before measuring. */
const WARMUP_BATCH = 1_000;
const MAX_WARMUP_ROUNDS = Number(
  Deno.env.get("DTS_FASTCALL_MAX_WARMUP") ?? 300_000,
);
const ROUNDS = 2_000;
const BURST = 32;

// ------------------------------------------------------------- the child

function exercise(prefix: string): SpyCounts {
  const spy = openSpy(Deno.env.get("DPDK_SHIM_PATH")!);
  using _eal = initEal(
    ["-l", "0", "--vdev=net_null0", ...ealArgs(prefix)],
    { progName: "fastcall_test", removeFilesOnCleanup: true },
  );
  using ring = Ring.create("fc_ring", 1024);
  using pool = Mempool.create("fc_pool", 1023, 64);
  using mbufs = Mempool.createPktmbuf("fc_mbufs", 4095);
  const port = new Port(0);
  port.configure({ rxQueues: 1, txQueues: 1 });
  port.setupRxQueue(0, 1024, mbufs);
  port.setupTxQueue(0, 1024);
  port.start();
  const rxq = port.rxQueue(0), txq = port.txQueue(0);
  using txb = TxBuffer.create(BURST);
  using table = TxTable.create().route(0, txq, txb);

  const objs = ptrArray(BURST), other = ptrArray(BURST);
  const off = new Uint32Array(new ArrayBuffer(4 * BURST));
  const view = pool.view();
  const ob = new ObjectBurst(pool, BURST);
  const burst = new MbufBurst(mbufs, BURST);
  const half = new MbufBurst(mbufs, BURST);
  const paths = new ForwardPaths([{ rx: rxq, tx: txq }]);

  // every hot symbol, through the library's own methods
  const round = (): number => {
    let sum = tscCycles() > 0 ? 1 : 0;
    // rings and pools: the plain API
    if (!pool.getBulk(objs, BURST)) throw new Error("fc_pool is empty");
    view.offsets(objs, BURST, off);
    view.pointers(off, BURST, objs);
    sum += ring.enqueueBurst(objs, BURST) + ring.count() + ring.freeCount();
    sum += ring.dequeueBurst(objs, BURST);
    sum += ring.enqueueBulk(objs, BURST) + ring.dequeueBurst(objs, BURST);
    sum += stridePtrs(objs, BURST, 1, 2, other);
    pool.putBulk(objs, BURST);
    // ObjectBurst: located in the same crossing
    if (!ob.get(BURST)) throw new Error("fc_pool is empty");
    ob.locate(BURST);
    sum += ob.enqueueBulk(ring, BURST) + ob.dequeue(ring);
    sum += ob.enqueue(ring, BURST) + ob.dequeue(ring);
    ob.put(BURST);
    // MbufBurst on a net_null port
    let n = burst.receive(rxq);
    sum += burst.send(txq, n);
    n = burst.receiveRaw(rxq);
    burst.locate(n);
    burst.applyLengths(n);
    sum += burst.enqueue(ring, n);
    n = burst.dequeue(ring);
    sum += burst.enqueueBulk(ring, n);
    n = burst.dequeue(ring);
    sum += half.takeEvery(burst, n, 0, 2);
    burst.freeFirst(n);
    sum += burst.forward(rxq, txq);
    sum += burst.forwardPaths(paths, 2);
    n = burst.sendReceive(txq, 0, rxq) & 0xffff;
    n = burst.sendReceive(txq, n, rxq) & 0xffff;
    burst.free(0, n);
    if (!burst.alloc(BURST)) throw new Error("fc_mbufs is empty");
    sum += burst.bufferByInputPort(table, BURST); // port unset: unroutable
    if (!burst.alloc(BURST)) throw new Error("fc_mbufs is empty");
    sum += txb.add(txq, burst.mbufs, BURST) + txb.flush(txq);
    // the queues' own bursts
    n = rxq.rxBurst(burst.mbufs, BURST);
    const sent = txq.txBurst(burst.mbufs, n);
    burst.free(sent, n);
    n = rxq.rxBurst(burst.mbufs, BURST);
    sum += txq.txBurstOrFree(burst.mbufs, n);
    n = rxq.rxBurst(burst.mbufs, BURST);
    freeMbufs(burst.mbufs, n);
    return sum;
  };

  // Warm up until a batch of rounds makes no slow call: V8 runs `round`
  // in its interpreter, then Maglev (whose code calls FFI symbols through
  // the slow path), and only TurboFan's code makes fast calls; compiling a
  // function this large takes TurboFan a while on a busy machine. A symbol
  // that never turns fast ends the warm-up at the bound and fails below.
  let total = 0, warmup = 0;
  const quiet = () => Object.values(spy.read()).every((c) => c.slow === 0);
  do {
    spy.reset();
    for (let i = 0; i < WARMUP_BATCH; i++) total += round();
    warmup += WARMUP_BATCH;
  } while (!quiet() && warmup < MAX_WARMUP_ROUNDS);
  spy.reset();
  for (let i = 0; i < ROUNDS; i++) total += round();

  // the control: the same kind of call through a function pointer
  const addr = Deno.dlopen(Deno.env.get("DPDK_SHIM_PATH")!, {
    [CONTROL]: { name: CONTROL, type: "pointer" },
  }).symbols[CONTROL] as Deno.PointerObject;
  const slow = new Deno.UnsafeFnPointer(
    addr as Deno.PointerObject<typeof symbols.shim_lcore_id>,
    symbols.shim_lcore_id,
  );
  for (let i = 0; i < ROUNDS; i++) total += slow.call() & 1;

  const counts = spy.read();
  port.stop();
  port.close();
  if (!(total > 0)) throw new Error("the rounds did nothing");
  console.error(`warm after ${warmup} rounds`);
  return counts;
}

// ------------------------------------------------- placement (lent main)

/** Runs on the lent main lcore: reports where it runs. */
export default defineLcore((_ctx: LcoreContext<null>) => {
  return { cpu: lib().shim_current_cpu() };
});

/** The CPUs of this (main) thread, from /proc (before EAL pins it). */
function allowedCpus(): number[] {
  const line = Deno.readTextFileSync("/proc/thread-self/status")
    .split("\n").find((l) => l.startsWith("Cpus_allowed_list:"))!;
  return line.split(":")[1].trim().split(",").flatMap((r) => {
    const [a, b = a] = r.split("-").map(Number);
    return Array.from({ length: b - a + 1 }, (_, i) => a + i);
  });
}

const mask = (cpus: number[]) =>
  cpus.reduce((m, c) => c < 64 ? m | 1n << BigInt(c) : m, 0n);

async function placement(prefix: string): Promise<Record<string, unknown>> {
  const before = allowedCpus();
  const cpu = before[0];
  using _eal = initEal(
    [`--lcores=0@${cpu}`, ...ealArgs(prefix)],
    { progName: "fastcall_test", removeFilesOnCleanup: true },
  );
  const pinned = lib().shim_thread_cpus();
  const group = launchLcores<null>(import.meta.url, { includeMain: true });
  await group.started;
  const during = lib().shim_thread_cpus();
  const [r] = await group.join();
  const after = lib().shim_thread_cpus();
  return {
    before: String(mask(before)),
    lcoreCpu: cpu,
    pinned: String(pinned),
    during: String(during),
    after: String(after),
    workerCpu: (r.result as { cpu: number }).cpu,
  };
}

// ------------------------------------------------------------ the tests

async function child(
  mode: string,
  env: Record<string, string> = {},
  v8Flags: string[] = [],
): Promise<Record<string, unknown>> {
  const flags = v8Flags.length ? [`--v8-flags=${v8Flags.join(",")}`] : [];
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...flags, `${ROOT}tests/fastcall_test.ts`, mode],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) +
    new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, text);
  const m = text.match(/^RESULT (.*)$/m);
  if (m === null) throw new Error(`${mode}: no RESULT line:\n${text}`);
  return JSON.parse(m[1]);
}

Deno.test("every hot symbol is a V8 fast call once warm (spy shim)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dts_fastcall_" });
  try {
    const hot = hotSymbols();
    const spy = await buildSpyShim([...hot, CONTROL], dir);
    const counts = await child("spy", { DPDK_SHIM_PATH: spy }) as SpyCounts;
    // the detector sees the slow path
    const c = counts[CONTROL];
    assert(c.calls > 0 && c.slow === c.calls, `control: ${JSON.stringify(c)}`);
    const unused = hot.filter((s) => counts[s].calls === 0);
    assertEquals(unused, [], "hot symbols no round called");
    const slow = hot.filter((s) => counts[s].slow > 0)
      .map((s) => `${s}: ${counts[s].slow} of ${counts[s].calls} slow`);
    assertEquals(slow, [], "hot symbols on Deno's slow path after warm-up");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the check fails on the slow path: Maglev as V8's top tier", async () => {
  // Maglev (V8's mid tier) calls FFI symbols through Deno's slow path:
  // with TurboFan off, every hot symbol must be reported slow
  const dir = await Deno.makeTempDir({ prefix: "dts_fastcall_" });
  try {
    const hot = hotSymbols();
    const spy = await buildSpyShim([...hot, CONTROL], dir);
    const counts = await child(
      "spy",
      { DPDK_SHIM_PATH: spy, DTS_FASTCALL_MAX_WARMUP: "2000" },
      ["--max-opt=2"],
    ) as SpyCounts;
    const fast = hot.filter((s) => counts[s].slow !== counts[s].calls);
    assertEquals(fast, [], "symbols not reported slow without TurboFan");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the main thread leaves the CPU of the lcore it lends", async () => {
  const r = await child("placement");
  const lcoreCpu = BigInt(r.lcoreCpu as number);
  const cpuBit = 1n << lcoreCpu;
  // EAL pinned it to the main lcore's CPU; the worker runs there
  assertEquals(BigInt(r.pinned as string), cpuBit);
  assertEquals(r.workerCpu, r.lcoreCpu);
  // while lent: every CPU it had before EAL but the busy one (that one
  // only, when it had no other)
  const others = BigInt(r.before as string) & ~cpuBit;
  assertEquals(BigInt(r.during as string), others === 0n ? cpuBit : others);
  // joined: pinned back
  assertEquals(BigInt(r.after as string), cpuBit);
});

if (import.meta.main) {
  const mode = Deno.args[0];
  const prefix = uniquePrefix(`fastcall_${mode}`);
  const result = mode === "spy" ? exercise(prefix) : await placement(prefix);
  console.log("RESULT " + JSON.stringify(result));
}
