/**
 * Experiment 1: ring ping-pong between two lcores of one process.
 *
 * "ping" (on the main lcore, lent to a worker) sends packets (mbufs)
 * through ring `to_pong`; "pong" (on the first worker lcore) sends each one
 * straight back through ring `to_ping`. Bursts move through `MbufBurst`
 * (one FFI call per ring operation, arrays passed as pointers). Two phases:
 *  1. latency: one mbuf goes round alone; every round trip is timed with
 *     the TSC (`tscCycles()`, one FFI fast call, its cost reported as
 *     "timer"); the whole phase is also timed as one batch, for a mean with
 *     no timer inside the loop;
 *  2. throughput: `--inflight` mbufs go round in bursts of up to 32 for
 *     `-t` seconds (ping sends back what returns); then all are drained and
 *     freed, so sent == echoed and the pool ends with nothing in use.
 *
 *   deno run -A examples/ring_pingpong.ts
 *   deno run -A examples/ring_pingpong.ts -- --samples 1000000 -t 5
 *   deno run -A examples/ring_pingpong.ts --lcores=2@0,3@1 --file-prefix=me
 *
 * Prints a table, then a JSON line.
 *
 * @module
 */

import {
  defineLcore,
  intArg,
  type LcoreContext,
  mainLcore,
  MbufBurst,
  Mempool,
  type PktmbufPool,
  Ring,
  runExperiment,
  tscCycles,
  tscHz,
  workerLcores,
} from "../mod.ts";

const BURST = 32;
const RING_SIZE = 4096; // more than anything in flight: enqueues never fail
const NB_MBUF = 4095;
const WARMUP = 10_000; // untimed round trips first (JIT, caches)

/** What each lcore gets. */
interface PingData {
  role: "ping" | "pong";
  toPong: Ring;
  toPing: Ring;
  pool: PktmbufPool;
  samples: number;
  seconds: number;
  inflight: number;
}

/** Each lcore's main function: ping or pong, by `ctx.data.role`. */
const pingPong = defineLcore((ctx: LcoreContext<PingData>) => {
  const { toPong, toPing, pool } = ctx.data;
  const burst = new MbufBurst(pool, BURST);
  if (ctx.data.role === "pong") return pong(ctx, burst, toPong, toPing);
  const result = ping(ctx, burst, toPong, toPing);
  ctx.post("done"); // the main thread then stops pong
  return result;
});
export default pingPong;

/** Echoes everything that arrives. */
function pong(ctx: LcoreContext, burst: MbufBurst, inp: Ring, out: Ring) {
  let echoed = 0;
  while (ctx.running()) {
    const n = burst.dequeue(inp);
    if (n > 0) echoed += burst.enqueue(out, n);
  }
  return { echoed };
}

function ping(
  ctx: LcoreContext<PingData>,
  burst: MbufBurst,
  out: Ring,
  inp: Ring,
) {
  const { samples, seconds, inflight } = ctx.data;
  const hz = tscHz();
  let sent = 0, received = 0;

  // 1. latency: one mbuf goes round alone
  const rtt = new Float64Array(samples);
  if (!burst.alloc(1)) throw new Error("no mbuf");
  let t = 0, timed = 0;
  for (let i = -WARMUP; i < samples && ctx.running(); i++) {
    if (i === 0) t = tscCycles(); // the batch starts after the warm-up
    const t0 = tscCycles();
    sent += burst.enqueue(out, 1);
    let got = 0;
    while ((got = burst.dequeue(inp, 1)) === 0 && ctx.running());
    if (got === 0) break; // stopped (SIGINT) with the mbuf out
    if (i >= 0) rtt[timed++] = tscCycles() - t0;
    received += got;
  }
  const batchNs = (tscCycles() - t) / hz * 1e9 / Math.max(1, timed);
  burst.freeFirst(received === sent ? 1 : 0);

  // the timer's own cost (warm now): back-to-back reads, the least seen
  let timer = Infinity;
  for (let i = 0; i < 10_000; i++) {
    const t0 = tscCycles();
    timer = Math.min(timer, tscCycles() - t0);
  }

  // 2. throughput: `inflight` mbufs go round; ping sends back what returns
  let out0 = 0;
  while (out0 < inflight) {
    const n = Math.min(BURST, inflight - out0);
    if (!burst.alloc(n)) throw new Error("pool too small");
    out0 += burst.enqueue(out, n);
  }
  sent += out0;
  const start = tscCycles(), end = start + seconds * hz;
  let rounds = 0;
  while (ctx.running() && tscCycles() < end) {
    const n = burst.dequeue(inp);
    if (n === 0) continue;
    rounds += n;
    sent += burst.enqueue(out, n);
  }
  const tpSeconds = (tscCycles() - start) / hz;
  received += rounds;
  for (let back = 0; back < out0 && ctx.running();) { // drain, free
    const n = burst.dequeue(inp);
    burst.freeFirst(n);
    back += n;
    received += n;
  }

  const sorted = rtt.slice(0, timed).sort();
  const pct = (q: number) =>
    timed ? sorted[Math.floor(q * (timed - 1))] / hz * 1e9 : 0;
  return {
    samples: timed,
    p50: pct(0.5),
    p90: pct(0.9),
    p99: pct(0.99),
    p999: pct(0.999),
    max: pct(1),
    meanBatch: batchNs,
    timer: timer / hz * 1e9,
    sent,
    received,
    throughput: { inflight: out0, rounds, seconds: tpSeconds },
  };
}

if (import.meta.main) {
  Deno.exit(
    await runExperiment({
      name: "ring_pingpong",
      usage: "deno run -A examples/ring_pingpong.ts [EAL options] -- " +
        "[--samples N] [-t SECONDS] [--inflight N]\n" +
        "  --samples N    timed round trips of one mbuf (default 100000)\n" +
        "  -t SECONDS     length of the throughput phase (default 2)\n" +
        `  --inflight N   mbufs going round in it, ${BURST}..${RING_SIZE / 2}` +
        " (default 512)",
      eal: ["-l", "0,1"],
      options: { string: ["samples", "t", "inflight"] },
      parse: (raw) => ({
        samples: intArg(raw, "samples", 100_000),
        seconds: intArg(raw, "t", 2),
        inflight: intArg(raw, "inflight", 512, BURST, RING_SIZE / 2),
      }),
      main: async (ctx) => {
        const pongLcore = workerLcores()[0];
        if (pongLcore === undefined) {
          throw new RangeError("need two lcores (-l 0,1)");
        }
        const flags = { singleProducer: true, singleConsumer: true };
        const toPong = ctx.use(Ring.create("pp_to_pong", RING_SIZE, flags));
        const toPing = ctx.use(Ring.create("pp_to_ping", RING_SIZE, flags));
        const pool = ctx.use(Mempool.createPktmbuf("pp_pool", NB_MBUF));
        const group = ctx.launch<typeof pingPong>(new URL(import.meta.url), {
          lcores: [mainLcore(), pongLcore],
          data: (_, i) => ({
            role: i === 0 ? "ping" : "pong",
            toPong,
            toPing,
            pool,
            ...ctx.args,
          }),
          onMessage: () => group.stop(),
        });
        const [p, q] = await group.join();
        const r = p.result as ReturnType<typeof ping>;
        const { echoed } = q.result as ReturnType<typeof pong>;
        const mops = r.throughput.rounds / r.throughput.seconds / 1e6;
        console.log(
          `ring ping-pong, lcore ${mainLcore()} <-> lcore ${pongLcore}, ` +
            `${r.samples} timed round trips, ${ctx.args.inflight} in flight ` +
            "for throughput",
        );
        const rows: [string, number, string][] = [
          ["round trip p50", r.p50, "ns"],
          ["round trip p90", r.p90, "ns"],
          ["round trip p99", r.p99, "ns"],
          ["round trip p99.9", r.p999, "ns"],
          ["round trip max", r.max, "ns"],
          ["mean, batch-timed", r.meanBatch, "ns"],
          ["timer overhead", r.timer, "ns"],
          ["throughput", mops, "M round trips/s"],
        ];
        for (const [what, v, unit] of rows) {
          const num = v.toFixed(v < 100 ? 2 : 0).padStart(9);
          console.log(`  ${what.padEnd(18)} ${num} ${unit}`);
        }
        return {
          rttNs: {
            p50: r.p50,
            p90: r.p90,
            p99: r.p99,
            p999: r.p999,
            max: r.max,
          },
          meanBatchNs: r.meanBatch,
          timerNs: r.timer,
          samples: r.samples,
          throughputMops: mops,
          sent: r.sent,
          received: r.received,
          echoed,
          mbufsInUse: pool.inUseCount(), // 0: every mbuf came home
        };
      },
    }),
  );
}
