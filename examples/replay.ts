/**
 * Experiment 5: replay a capture out of a port.
 *
 * One lcore streams a pcap or pcapng file (`PcapReader`: one record at a
 * time, never the whole file in memory) and sends its frames out of a port:
 * at their recorded timing (scaled by `--speed`), at a constant `--rate`, or
 * as fast as the port takes them (`--rate 0`). Each frame is copied once,
 * from the reader's buffer into an mbuf through the pool view; the pace is
 * kept per burst with the TSC. Ends at the end of the file.
 *
 *   deno run -A examples/replay.ts -- --in trace.pcapng              # net_null
 *   deno run -A examples/replay.ts -- --in trace.pcap --speed 10 --pcap out.pcap
 *   deno run -A examples/replay.ts -- --in trace.pcap --rate 0 --capture out.pcapng
 *
 * Where the frames go: the first port (default `--vdev=net_null0`); with
 * `--pcap FILE`, a `net_pcap` port writing FILE (keep the path short and
 * relative: a secondary re-reads device arguments from a 64-byte buffer);
 * with `--capture FILE`, a port on a pair of rings (`portFromRings`) whose
 * TX ring the same lcore drains into FILE with the library's
 * `PacketCapture` (pcapng for a `.pcapng` name), stamped when sent.
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
  PacketCapture,
  PcapReader,
  type PktmbufPool,
  Port,
  portFromRings,
  RateSchedule,
  type RawArgs,
  Ring,
  RTE,
  runExperiment,
  StatsReporter,
  stdoutSink,
  tscCycles,
  tscHz,
  type TxQueue,
  UsageError,
  workerLcores,
} from "../mod.ts";

const BURST = 32;
const NB_MBUF = 8191;
const RING_SIZE = 1024;
const LINKTYPE_ETHERNET = 1;
const OPTIONS = {
  string: ["in", "rate", "speed", "pcap", "capture", "t"],
  boolean: ["quiet"],
};

/** What the replaying lcore gets. */
interface ReplayData {
  txq: TxQueue;
  pool: PktmbufPool;
  input: string;
  /** Packets per second; -1: recorded timing; 0: as fast as possible. */
  rate: number;
  speed: number;
  /** The port's TX ring, drained into `capture` (or null). */
  ring: Ring | null;
  capture: string | null;
  /** Set to 1 by the main thread once its counters are read: start. */
  go: Int32Array<SharedArrayBuffer>;
}

/** The replaying lcore (this module's default export runs in a worker). */
const replay = defineLcore((ctx: LcoreContext<ReplayData>) => {
  const { txq, pool, input, rate, speed, ring, capture, go } = ctx.data;
  const reader = PcapReader.openSync(input, { copy: false });
  const burst = new MbufBurst(pool, BURST);
  const bytes = burst.view.bytes, off = burst.off, len = burst.len;
  const room = pool.dataRoomSize - RTE.RTE_PKTMBUF_HEADROOM;
  const hz = tscHz(), timed = rate < 0, ticksPerNs = hz / 1e9 / speed;
  const sched = rate > 0
    ? new RateSchedule({ pps: rate, hz, clock: tscCycles, burst: BURST })
    : undefined;
  const cap = capture === null ? undefined : PacketCapture.create(capture);
  const drain = new MbufBurst(pool, BURST);
  const drainRing = () => {
    if (ring === null || cap === undefined) return;
    let m;
    while ((m = cap.dequeue(ring, drain)) > 0) drain.freeFirst(m);
  };
  let rec = reader.nextSync();
  const sec0 = rec?.seconds ?? 0, ns0 = rec?.nanos ?? 0;
  let records = 0, sent = 0, tooLong = 0, noMbuf = 0;
  let lateSum = 0, lateMax = 0;
  while (ctx.running() && Atomics.load(go, 0) === 0) { /* wait for go */ }
  const t0 = tscCycles();
  while (rec !== null && ctx.running()) {
    const now = tscCycles();
    let want = sched === undefined ? BURST : sched.dueNow(now);
    if (timed) { // due: t0 + time since the first record, scaled
      const due = t0 + ((rec.seconds - sec0) * 1e9 + rec.nanos - ns0) *
          ticksPerNs;
      if (due > now) want = 0;
    }
    if (want === 0) {
      drainRing();
      continue;
    }
    if (!burst.alloc(want)) {
      noMbuf++;
      continue;
    }
    let k = 0;
    while (rec !== null && k < want) {
      if (timed) {
        const late = now - t0 -
          ((rec.seconds - sec0) * 1e9 + rec.nanos - ns0) * ticksPerNs;
        if (late < 0) break; // not due yet: the next burst
        lateSum += late;
        if (late > lateMax) lateMax = late;
      }
      const data = rec.data; // valid until the next record is read
      if (data.length <= room) {
        bytes.set(data, off[k]);
        len[k++] = data.length;
      } else tooLong++;
      records++;
      rec = reader.nextSync();
    }
    if (k < want) burst.free(k, want); // allocated, not needed
    burst.applyLengths(k);
    const s = burst.send(txq, k); // frees what the queue refuses
    sent += s;
    sched?.advance(s);
    drainRing();
  }
  const seconds = (tscCycles() - t0) / hz;
  const sr = sched?.report();
  drainRing();
  cap?.close();
  reader.close();
  return {
    records,
    sent,
    dropped: records - tooLong - sent,
    tooLong,
    noMbuf,
    complete: rec === null,
    seconds,
    lateMeanNs: timed
      ? (records > 0 ? lateSum / records / hz * 1e9 : 0)
      : sr?.lateMeanNs ?? null,
    lateMaxNs: timed ? lateMax / hz * 1e9 : sr?.lateMaxNs ?? null,
    achievedPps: seconds > 0 ? sent / seconds : 0,
    captured: cap?.packets ?? null,
  };
});
export default replay;

function parse(raw: RawArgs) {
  const input = raw.in as string | undefined;
  if (input === undefined) throw new UsageError("--in FILE is required");
  const num = (name: string, def: number) => {
    const v = raw[name];
    const x = typeof v === "string" ? Number(v) : def;
    if (!(Number.isFinite(x) && x >= 0)) {
      throw new UsageError(`--${name} must be a number >= 0, got "${v}"`);
    }
    return x;
  };
  const speed = num("speed", 1);
  if (speed === 0) throw new UsageError("--speed must be above 0");
  if (raw.speed !== undefined && raw.rate !== undefined) {
    throw new UsageError("--speed scales the recorded timing: not with --rate");
  }
  const pcap = raw.pcap as string | undefined;
  const capture = raw.capture as string | undefined;
  if (pcap !== undefined && capture !== undefined) {
    throw new UsageError("give --pcap or --capture, not both");
  }
  if (pcap !== undefined && /[,\s]/.test(pcap)) {
    throw new UsageError(`--pcap ${pcap}: no commas or spaces in the path`);
  }
  try { // a capture of Ethernet frames? (read its first record)
    const r = PcapReader.openSync(input);
    const first = r.nextSync();
    r.close();
    if (first !== null && first.linkType !== LINKTYPE_ETHERNET) {
      throw new Error(`link type ${first.linkType}, not Ethernet`);
    }
  } catch (e) {
    throw new UsageError(`--in ${input}: ${(e as Error).message}`);
  }
  return {
    input,
    rate: raw.rate === undefined ? -1 : num("rate", 0),
    speed,
    pcap,
    capture,
    quiet: raw.quiet === true,
    seconds: intArg(raw, "t", 0),
  };
}

if (import.meta.main) {
  Deno.exit(
    await runExperiment({
      name: "replay",
      usage: "deno run -A examples/replay.ts [EAL options] -- --in FILE " +
        "[--speed X | --rate PPS] [--pcap FILE | --capture FILE] [--quiet] " +
        "[-t SECONDS]\n" +
        "  --in FILE       the capture to replay (pcap or pcapng, Ethernet)\n" +
        "  --speed X       recorded timing, X times faster (default 1)\n" +
        "  --rate PPS      a constant rate instead (0: as fast as possible)\n" +
        "  --pcap FILE     send through a net_pcap port writing FILE\n" +
        "  --capture FILE  send into a port on rings, captured into FILE " +
        "(.pcapng: pcapng)\n" +
        "  --quiet         no per-second lines, only the totals\n" +
        "  -t SECONDS      stop after that long (default 0: the file's end)",
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
        const pool = ctx.use(Mempool.createPktmbuf("replay_pool", NB_MBUF));
        let port: Port | undefined, ring: Ring | null = null;
        if (a.capture !== undefined) {
          const rx = ctx.use(Ring.create("replay_rx", RING_SIZE));
          ring = ctx.use(Ring.create("replay_tx", RING_SIZE));
          port = portFromRings("replay_ring", [rx], [ring]);
        } else {
          const ports = Port.ids().map((id) => new Port(id));
          port = a.pcap === undefined
            ? ports[0]
            : ports.find((p) => p.info().driver === "net_pcap");
        }
        if (port === undefined) {
          throw new RangeError(
            a.pcap === undefined
              ? "no port: add one, e.g. --vdev=net_null0"
              : `--pcap: no net_pcap port (with your own --vdev, add ` +
                `--vdev=net_pcap0,tx_pcap=${a.pcap})`,
          );
        }
        const out = port;
        out.configure({ rxQueues: 1, txQueues: 1 });
        out.setupRxQueue(0, 512, pool);
        out.setupTxQueue(0, 1024);
        out.start();
        ctx.defer(() => { // net_pcap writes its file out on close
          out.stop();
          out.close();
        });

        const stats = new StatsReporter({
          tx: () => {
            const s = out.stats();
            return { packets: s.opackets, bytes: s.obytes, errors: s.oerrors };
          },
        }, { outputs: [{ sink: stdoutSink(), quiet: a.quiet }] });
        const go = new Int32Array(new SharedArrayBuffer(4));
        const lcore = workerLcores()[0] ?? mainLcore();
        const group = ctx.launch<typeof replay>(new URL(import.meta.url), {
          lcores: [lcore],
          data: {
            txq: out.txQueue(0),
            pool,
            input: a.input,
            rate: a.rate,
            speed: a.speed,
            ring,
            capture: a.capture ?? null,
            go,
          },
        });
        await group.started;
        console.error(
          `replaying ${a.input} on port ${out.id} (${out.name}) ` +
            (a.rate < 0
              ? `at ${a.speed}x its recorded timing`
              : a.rate === 0
              ? "as fast as possible"
              : `at ${a.rate} pps`) +
            `, lcore ${lcore}`,
        );
        stats.start();
        Atomics.store(go, 0, 1);
        ctx.everySecond((s) => { // -t: whole seconds from the go
          stats.sample();
          if (a.seconds > 0 && s >= a.seconds) ctx.stop("time");
        });
        const [{ result }] = await group.join(); // the file's end, -t, a signal
        ctx.stop();
        const totals = stats.finish();
        const r = result as Awaited<ReturnType<typeof replay>>;
        const round = (x: number | null) => x === null ? null : Math.round(x);
        return {
          input: a.input,
          timing: a.rate < 0 ? "recorded" : "rate",
          speed: a.rate < 0 ? a.speed : null,
          rate: a.rate < 0 ? null : a.rate,
          records: r.records,
          sent: r.sent,
          dropped: r.dropped,
          tooLong: r.tooLong,
          noMbuf: r.noMbuf,
          complete: r.complete,
          seconds: Number(r.seconds.toFixed(6)),
          achievedPps: Math.round(r.achievedPps),
          lateMeanNs: round(r.lateMeanNs),
          lateMaxNs: round(r.lateMaxNs),
          portOpackets: totals.find((t) => t.name === "tx.packets")!.total,
          pcap: a.pcap ?? null,
          capture: a.capture ?? null,
          captured: r.captured,
        };
      },
    }),
  );
}
