/**
 * Experiment 4: latency between two processes.
 *
 * The primary (this script) paces UDP frames at `--rate` pps (constant
 * gaps, or Poisson departures with `--poisson`) on the TSC, writes a
 * sequence number and the departure TSC into each payload, and sends them
 * through a ring to a reflector: this same script started again as a
 * secondary process on its own lcore ID (`latency_reflector.ts`), which
 * records each packet's one-way latency and sends it back. The primary
 * records the round trip. Both histograms live in one memzone, so the
 * primary reads the reflector's without any copy.
 *
 * Each second the counters (sent, received, reflected) go to standard
 * output (one updating line on a terminal, plain lines when piped, none
 * with `--quiet`), and with `--csv FILE` / `--json FILE` to files (the
 * schema of `STATS_COLUMNS`). At the end: one JSON line with the counts
 * and both latency summaries (ns), and with `--plot FILE` (.svg or .html)
 * a report with throughput over time and the round-trip CDF.
 *
 *   deno run -A examples/latency.ts -- --rate 100000 -t 3 --csv out.csv --plot out.svg
 *   deno run -A examples/latency.ts -- --rate 20000 --poisson --plot out.html
 *   deno run -A examples/latency.ts -l 0 --file-prefix=me -- --peer-lcores 1@1 -t 0
 *
 * The sender runs on the main lcore; the reflector by default on the next
 * free lcore ID, on the CPU after the main lcore's.
 *
 * @module
 */

import {
  currentCpu,
  defineLcore,
  fileSink,
  Histogram,
  intArg,
  type LcoreContext,
  type LcoreMain,
  mainLcore,
  MbufBurst,
  Mempool,
  Memzone,
  optionValues,
  type PktmbufPool,
  type RateReport,
  RateSchedule,
  type RawArgs,
  Ring,
  RTE,
  runExperiment,
  splitArgs,
  startSecondary,
  type StatsOutput,
  StatsReporter,
  stdoutSink,
  tscCycles,
  tscHz,
  UsageError,
} from "../mod.ts";
import { throughputFromRows, writeReport } from "../plot.ts";
import {
  BURST,
  COUNTER,
  COUNTER_NAMES,
  GO_AT,
  HISTOGRAM,
  latencyFrame,
  NAMES,
  ONE_WAY_AT,
  RTT_AT,
  runReflector,
  SEQ_AT,
  SHARED_BYTES,
  STAMPS_AT,
  TSC_AT,
} from "./latency_reflector.ts";

const RING_SIZE = 4096; // more than the pool: an enqueue never fails
const NB_MBUF = 4095;
const DRAIN_SECONDS = 3; // at the end, the longest wait for packets in flight

/** What the sending lcore gets. */
interface SendData {
  toReflector: Ring;
  fromReflector: Ring;
  pool: PktmbufPool;
  shared: Memzone;
  rate: number;
  poisson: boolean;
  seed: number;
  size: number;
}

/** What the sending lcore returns. */
interface SendResult {
  sent: number;
  received: number;
  reordered: number;
  noMbuf: number;
  rate: RateReport;
}

/** The sending lcore: paces, stamps, sends; receives, records round trips. */
const send: LcoreMain<SendData, SendResult> = defineLcore((
  ctx: LcoreContext<SendData>,
) => {
  const { toReflector, fromReflector, pool, shared, size } = ctx.data;
  const hz = tscHz(), nsPerCycle = 1e9 / hz;
  const rtt = Histogram.attach(shared.buffer, RTT_AT);
  const counters = shared.counters(0, COUNTER_NAMES.length);
  const tpl = latencyFrame(size);
  const out = new MbufBurst(pool, BURST), back = new MbufBurst(pool, BURST);
  const odv = out.view.data, bdv = back.view.data;
  const seqAt = STAMPS_AT + SEQ_AT, tscAt = STAMPS_AT + TSC_AT;
  const sched = new RateSchedule({
    hz,
    pps: ctx.data.rate,
    poisson: ctx.data.poisson,
    seed: ctx.data.seed,
    frameBytes: size,
    burst: BURST,
    clock: tscCycles,
  });
  const go = new Int32Array(shared.buffer, GO_AT, 1);
  while (Atomics.load(go, 0) === 0 && ctx.running()) { /* the stats start */ }
  let seq = 0, received = 0, expected = 0, reordered = 0, noMbuf = 0;
  const receive = () => {
    const m = back.dequeue(fromReflector);
    if (m === 0) return;
    const now = tscCycles();
    back.locate(m);
    for (let i = 0; i < m; i++) {
      const o = back.off[i];
      const s = bdv.getUint32(o + seqAt, true);
      if (s !== expected) reordered++;
      expected = (s + 1) >>> 0; // u32 on the wire
      const sent = bdv.getUint32(o + tscAt, true) +
        bdv.getUint32(o + tscAt + 4, true) * 4294967296;
      rtt.record((now - sent) * nsPerCycle);
    }
    back.freeFirst(m);
    received += m;
    counters.add(COUNTER.received, m);
  };
  while (ctx.running()) {
    const n = sched.dueNow();
    if (n > 0) {
      if (out.alloc(n)) { // alloc + locate: one FFI call
        tpl.stampAll(out.view.bytes, out.off, n, out.len);
        out.applyLengths(n);
        const t = tscCycles(), lo = t >>> 0, hi = (t - lo) / 4294967296;
        for (let i = 0; i < n; i++) {
          const o = out.off[i];
          odv.setUint32(o + seqAt, seq + i, true);
          odv.setUint32(o + tscAt, lo, true);
          odv.setUint32(o + tscAt + 4, hi, true);
        }
        const went = out.enqueue(toReflector, n);
        if (went < n) out.free(went, n);
        seq += went;
        sched.advance(went, t);
        counters.add(COUNTER.sent, went);
      } else noMbuf++; // all in flight: the schedule catches up later
    }
    receive();
  }
  // stopped: wait for what is still in flight
  const end = tscCycles() + DRAIN_SECONDS * hz;
  while (received < seq && tscCycles() < end) receive();
  return { sent: seq, received, reordered, noMbuf, rate: sched.report() };
});
export default send;

/** The experiment's arguments. */
interface LatencyArgs {
  rate: number;
  poisson: boolean;
  seed: number;
  size: number;
  csv: string | undefined;
  json: string | undefined;
  plot: string | undefined;
  quiet: boolean;
  peerLcores: string | undefined;
}

function parse(raw: RawArgs): LatencyArgs {
  const path = (k: string) => raw[k] as string | undefined;
  const plot = path("plot");
  if (plot !== undefined && !/\.(svg|html?)$/i.test(plot)) {
    throw new UsageError(`--plot ${plot}: give a .svg or .html file`);
  }
  const peer = path("peer-lcores");
  if (peer !== undefined && !/^\d+(@\d+)?$/.test(peer)) {
    throw new UsageError(`--peer-lcores ${peer}: give ID or ID@CPU`);
  }
  const maxSize = RTE.RTE_MBUF_DEFAULT_BUF_SIZE - RTE.RTE_PKTMBUF_HEADROOM;
  const size = intArg(raw, "size", 64, 0, maxSize);
  latencyFrame(size); // RangeError (a usage error) when too small
  return {
    rate: intArg(raw, "rate", 100_000, 1, 10_000_000),
    poisson: raw.poisson === true,
    seed: intArg(raw, "seed", 1),
    size,
    csv: path("csv"),
    json: path("json"),
    plot,
    quiet: raw.quiet === true,
    peerLcores: peer,
  };
}

if (import.meta.main) {
  const ealGiven = splitArgs(Deno.args).eal;
  if (optionValues(ealGiven, "proc-type").includes("secondary")) {
    Deno.exit(await runReflector(Deno.args)); // the reflector process
  }
  Deno.exit(
    await runExperiment({
      name: "latency",
      usage: "deno run -A examples/latency.ts [EAL options] -- [--rate PPS] " +
        "[--poisson] [-t SECONDS] [--csv FILE] [--json FILE] [--plot FILE]\n" +
        "  --rate PPS           packets per second, 1..1e7 (default 100000)\n" +
        "  --poisson            exponential gaps (Poisson departures)\n" +
        "  --seed N             seed of the Poisson gaps (default 1)\n" +
        "  --size BYTES         frame size without FCS (default 64)\n" +
        "  -t SECONDS           run time (default 5; 0: until Ctrl-C)\n" +
        "  --csv FILE           per-second counters as CSV\n" +
        "  --json FILE          the same as JSON Lines\n" +
        "  --plot FILE          report: .svg or .html\n" +
        "  --quiet              no per-second lines on standard output\n" +
        "  --peer-lcores ID@CPU the reflector's lcore (default: next ID, " +
        "next CPU)",
      eal: ["-l", "0"],
      seconds: 5,
      options: {
        string: ["rate", "seed", "size", "csv", "json", "plot", "peer-lcores"],
        boolean: ["poisson", "quiet"],
      },
      parse,
      main: async (ctx) => {
        const a = ctx.args;
        const ring = { singleProducer: true, singleConsumer: true };
        const toReflector = ctx.use(
          Ring.create(NAMES.toReflector, RING_SIZE, ring),
        );
        const fromReflector = ctx.use(
          Ring.create(NAMES.fromReflector, RING_SIZE, ring),
        );
        const pool = ctx.use(Mempool.createPktmbuf(NAMES.pool, NB_MBUF));
        const shared = ctx.use(Memzone.reserve(NAMES.shared, SHARED_BYTES));
        const rtt = new Histogram(HISTOGRAM, shared.buffer, RTT_AT);
        const oneWay = new Histogram(HISTOGRAM, shared.buffer, ONE_WAY_AT);
        const counters = shared.counters(0, COUNTER_NAMES.length);

        // the reflector: this script again, as a secondary of this group
        const nextCpu = (currentCpu() + 1) % navigator.hardwareConcurrency;
        const peerId = a.peerLcores ?? `${Math.max(...ctx.eal.lcores) + 1}`;
        const peerLcores = peerId.includes("@")
          ? peerId
          : `${peerId}@${nextCpu}`;
        const peer = await startSecondary(Deno.execPath(), [
          "run",
          "-A",
          new URL(import.meta.url).pathname,
          "--proc-type=secondary",
          `--file-prefix=${ctx.eal.filePrefix}`,
          `--lcores=${peerLcores}`,
          "--no-pci",
          "--log-level=lib.eal:error",
        ], { ready: /reflector: .* ready/, prefix: ctx.eal.filePrefix });
        ctx.defer(() => peer.stop("SIGTERM", 5000).then(() => {}));
        let peerGone: Deno.CommandStatus | undefined;
        peer.status.then((s) => {
          peerGone = s;
          ctx.stop("the reflector exited");
        });

        const outputs: StatsOutput[] = [
          { sink: stdoutSink(), quiet: a.quiet },
        ];
        if (a.csv) outputs.push({ sink: fileSink(a.csv), format: "csv" });
        if (a.json) outputs.push({ sink: fileSink(a.json), format: "jsonl" });
        const stats = new StatsReporter({
          sent: () => counters.get(COUNTER.sent),
          received: () => counters.get(COUNTER.received),
          reflected: () => counters.get(COUNTER.reflected),
        }, { outputs });

        const group = ctx.launch<typeof send>(new URL(import.meta.url), {
          lcores: [mainLcore()],
          data: {
            toReflector,
            fromReflector,
            pool,
            shared,
            rate: a.rate,
            poisson: a.poisson,
            seed: a.seed,
            size: a.size,
          },
        });
        await group.started;
        console.error(
          `latency: ${a.size}-byte frames at ${a.rate} pps` +
            `${a.poisson ? " (Poisson)" : ""}, sender lcore ${mainLcore()}, ` +
            `reflector pid ${peer.pid} on lcore ${peerLcores}`,
        );
        stats.start();
        Atomics.store(new Int32Array(shared.buffer, GO_AT, 1), 0, 1); // go
        ctx.everySecond(() => {
          if (ctx.running()) stats.sample(); // not while draining
        });
        const [{ result }] = await group.join(); // stopped, drained
        const r = result as SendResult;
        stats.finish();
        if (peerGone !== undefined) {
          throw new Error(
            `the reflector (pid ${peer.pid}) exited with ${peerGone.code} ` +
              `during the run; its output:\n${peer.output.trimEnd()}`,
          );
        }
        const peerExit = (await peer.stop("SIGTERM", 5000)).code;

        if (a.plot) {
          await writeReport(a.plot, {
            title: `latency.ts: ${a.size}-byte frames at ${a.rate} pps` +
              `${a.poisson ? " (Poisson)" : ""}, round trip through a ` +
              "secondary process",
            throughput: throughputFromRows(stats.series.rows),
            latency: rtt,
            latencyUnit: "ns",
          });
        }
        return {
          rate: a.rate,
          poisson: a.poisson,
          size: a.size,
          sent: r.sent,
          received: r.received,
          lost: r.sent - r.received,
          reflected: counters.get(COUNTER.reflected),
          reordered: r.reordered,
          noMbuf: r.noMbuf,
          clockSkew: counters.get(COUNTER.clockSkew),
          achievedPps: Math.round(r.rate.achievedPps),
          lateMeanNs: Math.round(r.rate.lateMeanNs),
          lateStddevNs: Math.round(r.rate.lateStddevNs),
          rttNs: rtt.toJSON(),
          oneWayNs: oneWay.toJSON(),
          reflector: { pid: peer.pid, lcores: peerLcores, exitCode: peerExit },
          plot: a.plot,
        };
      },
    }),
  );
}
