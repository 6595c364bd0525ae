/**
 * Experiment 2: a packet generator, MoonGen style.
 *
 * UDP/IPv4 frames (10.0.0.1:10000.. -> 10.0.0.2:9) with valid IPv4 and UDP
 * checksums are built once (`udpFrame`) and stamped into every mbuf of the
 * pool before the run. Per burst, one lcore allocates mbufs (their frames
 * are already there), sets each packet's UDP source port, cycling through
 * `--flows` ports, fixing the UDP checksum incrementally (RFC 1624) or, with
 * `--checksum full`, recomputing both checksums; then sends the burst. The
 * pace is kept per burst with the TSC (`RateSchedule`): a constant rate or
 * Poisson departures. The main thread prints the port's TX counters each
 * second (`StatsReporter`: text, `--json` JSON Lines, `--csv FILE`), then a
 * JSON line with the totals and the rate achieved.
 *
 *   deno run -A examples/pktgen.ts                     # 1 Mpps for 5 s
 *   deno run -A examples/pktgen.ts -- --rate 0 -t 3    # as fast as it goes
 *   deno run -A examples/pktgen.ts -- --count 1000 --flows 100 --pcap out.pcap
 *   deno run -A examples/pktgen.ts -- --rate 100000 --poisson --csv s.csv
 *
 * `--pcap FILE` sends through a `net_pcap` port writing FILE (it replaces
 * the default `--vdev=net_null0`). Keep the path short and relative: a
 * secondary process re-reads device arguments from a 64-byte buffer.
 *
 * @module
 */

import {
  defineLcore,
  fileSink,
  intArg,
  Ipv4View,
  type LcoreContext,
  mainLcore,
  MbufBurst,
  Mempool,
  PacketTemplate,
  type PktmbufPool,
  Port,
  RateSchedule,
  type RawArgs,
  RTE,
  runExperiment,
  type StatsOutput,
  StatsReporter,
  stdoutSink,
  tscCycles,
  tscHz,
  type TxQueue,
  udpFrame,
  UdpView,
  UsageError,
  workerLcores,
} from "../mod.ts";

const BURST = 32;
const NB_MBUF = 8191;
const MIN_SIZE = 60; // Ethernet's minimum frame without FCS
const SPORT = 10000; // first UDP source port
const OPTIONS = {
  string: ["rate", "size", "count", "flows", "checksum", "pcap", "csv", "t"],
  boolean: ["poisson", "json", "quiet"],
};

/** The largest frame an mbuf of a default pool holds. */
const maxSize = () => RTE.RTE_MBUF_DEFAULT_BUF_SIZE - RTE.RTE_PKTMBUF_HEADROOM;

/** The frame every packet starts from: `size` bytes, source port SPORT. */
function frameOf(size: number): Uint8Array {
  return udpFrame({
    ipSrc: "10.0.0.1",
    ipDst: "10.0.0.2",
    sport: SPORT,
    dport: 9,
    payloadLength: size - 42, // Ethernet 14 + IPv4 20 + UDP 8
  });
}

/** What the generating lcore gets. */
interface GenData {
  txq: TxQueue;
  pool: PktmbufPool;
  rate: number;
  poisson: boolean;
  size: number;
  flows: number;
  count: number;
  full: boolean;
  /** Set to 1 by the main thread once its counters are read: start. */
  go: Int32Array<SharedArrayBuffer>;
}

/** The generating lcore (this module's default export runs in a worker). */
const generate = defineLcore((ctx: LcoreContext<GenData>) => {
  const { txq, pool, rate, poisson, size, flows, count, full, go } = ctx.data;
  const burst = new MbufBurst(pool, BURST);
  const tpl = new PacketTemplate(frameOf(size));
  const sport = tpl.field("udp.srcPort");
  const l3 = tpl.layers.l3Offset, l4 = tpl.layers.l4Offset;
  const bytes = burst.view.bytes, dv = burst.view.data;
  const off = burst.off, len = burst.len;
  const ip = new Ipv4View(bytes, dv), udp = new UdpView(bytes, dv);
  const sched = rate > 0 // starts at its first dueNow, after the go
    ? new RateSchedule({
      pps: rate,
      poisson,
      hz: tscHz(),
      clock: tscCycles,
      burst: BURST,
      frameBytes: size,
    })
    : undefined;
  let sent = 0, generated = 0, noMbuf = 0;
  while (ctx.running() && Atomics.load(go, 0) === 0) { /* wait for go */ }
  while (ctx.running() && (count === 0 || sent < count)) {
    let n = sched === undefined ? BURST : sched.dueNow();
    if (n === 0) continue;
    if (count > 0 && count - sent < n) n = count - sent;
    if (!burst.alloc(n)) { // alloc bulk + locate: one FFI call
      noMbuf++;
      continue;
    }
    let flow = sent % flows; // packet k of the stream has port SPORT + k % F
    for (let i = 0; i < n; i++) {
      const o = off[i];
      if (full) { // the port, then both checksums from scratch
        udp.at(o + l4).srcPort = SPORT + flow;
        udp.updateChecksum(o + l3);
        ip.at(o + l3).updateChecksum();
      } else sport.set(dv, o, SPORT + flow); // + UDP checksum, incrementally
      if (++flow === flows) flow = 0;
      len[i] = size;
    }
    burst.applyLengths(n); // data_len = pkt_len = len[i]
    const k = burst.send(txq, n); // frees what the queue refuses
    sent += k;
    generated += n;
    sched?.advance(k);
  }
  return { generated, sent, noMbuf, schedule: sched?.report() };
});
export default generate;

/** Stamps the template into every mbuf of the pool, once. */
function fillPool(pool: PktmbufPool, frame: Uint8Array): void {
  const all = new MbufBurst(pool, pool.size);
  if (!all.alloc(pool.size)) throw new Error("cannot allocate the whole pool");
  new PacketTemplate(frame).stampAll(all.view.bytes, all.off, pool.size);
  all.freeFirst(pool.size);
}

function parse(raw: RawArgs) {
  const rate = intArg(raw, "rate", 1_000_000);
  const checksum = raw.checksum ?? "incremental";
  if (checksum !== "incremental" && checksum !== "full") {
    throw new UsageError(
      `--checksum must be incremental or full, got "${checksum}"`,
    );
  }
  if (raw.poisson && rate === 0) {
    throw new UsageError("--poisson needs a --rate above 0");
  }
  const pcap = raw.pcap as string | undefined;
  if (pcap !== undefined && /[,\s]/.test(pcap)) {
    throw new UsageError(`--pcap ${pcap}: no commas or spaces in the path`);
  }
  return {
    rate,
    poisson: raw.poisson === true,
    size: intArg(raw, "size", MIN_SIZE, MIN_SIZE, maxSize()),
    count: intArg(raw, "count", 0),
    flows: intArg(raw, "flows", 1, 1, 65536 - SPORT),
    full: checksum === "full",
    pcap,
    csv: raw.csv as string | undefined,
    json: raw.json === true,
    quiet: raw.quiet === true,
    seconds: intArg(raw, "t", 5),
  };
}

if (import.meta.main) {
  Deno.exit(
    await runExperiment({
      name: "pktgen",
      usage: "deno run -A examples/pktgen.ts [EAL options] -- [--rate PPS] " +
        "[--poisson] [--size BYTES] [--count N] [--flows F] " +
        "[--checksum incremental|full] [--pcap FILE] [--csv FILE] [--json] " +
        "[--quiet] [-t SECONDS]\n" +
        "  --rate PPS      packets per second (default 1000000; 0: full speed)\n" +
        "  --poisson       Poisson departures at that mean rate\n" +
        `  --size BYTES    frame size without FCS, ${MIN_SIZE}..${maxSize()} ` +
        `(default ${MIN_SIZE})\n` +
        "  --count N       stop after N packets (default 0: no limit)\n" +
        `  --flows F       UDP source ports ${SPORT}..${SPORT}+F-1, cycling ` +
        "(default 1)\n" +
        "  --checksum M    incremental (RFC 1624, default) or full: " +
        "recompute IPv4 and UDP checksums per packet\n" +
        "  --pcap FILE     send through a net_pcap port writing FILE\n" +
        "  --csv FILE      per-second stats as CSV (time,kind,name,total," +
        "delta,rate)\n" +
        "  --json          per-second stats as JSON Lines on stdout\n" +
        "  --quiet         no per-second lines, only the totals\n" +
        "  -t SECONDS      run time, whole seconds (default 5; 0: until " +
        "Ctrl-C or the count)",
      // a net_pcap port writing `--pcap FILE`, else net_null
      eal: (raw) => [
        "-l",
        "0,1",
        typeof raw.pcap === "string"
          ? `--vdev=net_pcap0,tx_pcap=${raw.pcap}`
          : "--vdev=net_null0",
      ],
      options: OPTIONS,
      parse,
      main: async (ctx) => {
        const a = ctx.args;
        const ports = Port.ids().map((id) => new Port(id));
        const port = a.pcap === undefined
          ? ports[0]
          : ports.find((p) => p.info().driver === "net_pcap");
        if (port === undefined) {
          throw new RangeError(
            a.pcap === undefined
              ? "no port: add one, e.g. --vdev=net_null0"
              : `--pcap: no net_pcap port (with your own --vdev, add ` +
                `--vdev=net_pcap0,tx_pcap=${a.pcap})`,
          );
        }
        const pool = ctx.use(Mempool.createPktmbuf("pktgen_pool", NB_MBUF));
        fillPool(pool, frameOf(a.size));
        port.configure({ rxQueues: 1, txQueues: 1 });
        port.setupRxQueue(0, 512, pool);
        port.setupTxQueue(0, 1024);
        port.start();
        ctx.defer(() => { // net_pcap writes its file out on close
          port.stop();
          port.close();
        });

        const outputs: StatsOutput[] = [{
          sink: stdoutSink(),
          format: a.json ? "jsonl" : "text",
          quiet: a.quiet,
        }];
        if (a.csv !== undefined) {
          outputs.push({ sink: fileSink(a.csv), format: "csv" });
        }
        const stats = new StatsReporter({
          tx: () => {
            const s = port.stats();
            return { packets: s.opackets, bytes: s.obytes, errors: s.oerrors };
          },
        }, { outputs });

        const go = new Int32Array(new SharedArrayBuffer(4));
        const lcore = workerLcores()[0] ?? mainLcore();
        const group = ctx.launch<typeof generate>(new URL(import.meta.url), {
          lcores: [lcore],
          data: {
            txq: port.txQueue(0),
            pool,
            rate: a.rate,
            poisson: a.poisson,
            size: a.size,
            flows: a.flows,
            count: a.count,
            full: a.full,
            go,
          },
        });
        await group.started;
        console.error(
          `generating ${a.size}-byte frames, ${a.flows} flow(s), on port ` +
            `${port.id} (${port.name}) at ${
              a.rate
                ? `${a.rate} pps${a.poisson ? " (Poisson)" : ""}`
                : "full speed"
            }, lcore ${lcore}`,
        );
        stats.start(); // the baseline, then the first packet
        Atomics.store(go, 0, 1);
        ctx.everySecond((s) => { // -t: whole seconds from the go
          stats.sample();
          if (a.seconds > 0 && s >= a.seconds) ctx.stop("time");
        });
        const [{ result }] = await group.join(); // -t, a signal or the count
        ctx.stop();
        const totals = stats.finish();
        const r = result as Awaited<ReturnType<typeof generate>>;
        const perSecond = stats.series.rows
          .filter((row) => row.name === "tx.packets")
          .map((row) => Math.round(row.rate));
        const s = r.schedule;
        return {
          rate: a.rate,
          poisson: a.poisson,
          size: a.size,
          flows: a.flows,
          count: a.count,
          checksum: a.full ? "full" : "incremental",
          pcap: a.pcap ?? null,
          perSecond,
          meanPps: Math.round(
            perSecond.reduce((x, y) => x + y, 0) /
              Math.max(1, perSecond.length),
          ),
          generated: r.generated,
          sent: r.sent,
          noMbuf: r.noMbuf,
          portOpackets: totals.find((t) => t.name === "tx.packets")!.total,
          schedule: s === undefined ? null : {
            seconds: Number(s.seconds.toFixed(6)),
            achievedPps: Math.round(s.achievedPps),
            errorPct: Number(s.errorPct.toFixed(4)),
            lateMeanNs: Math.round(s.lateMeanNs),
            lateStddevNs: Math.round(s.lateStddevNs),
            lateMaxNs: Math.round(s.lateMaxNs),
          },
        };
      },
    }),
  );
}
