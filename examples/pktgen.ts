/**
 * Experiment 2: a packet generator at a chosen rate.
 *
 * One lcore builds UDP/IPv4 frames and sends them on a port (net_null by
 * default: it counts and frees what it gets). Per burst: allocate mbufs in
 * bulk and locate their data in the pool's zero-copy view (one FFI call),
 * copy a frame template into each and stamp a sequence number, set the
 * lengths (one call), send (one call).
 * The rate is kept with the TSC: a burst goes out only once its packets
 * are due (a generator that falls behind catches up in full bursts). The
 * main thread reads the port's TX counter each second and prints the
 * achieved rate; at the end, a JSON line.
 *
 *   deno run -A examples/pktgen.ts                     # 1 Mpps for 5 s
 *   deno run -A examples/pktgen.ts -- --rate 0 -t 3    # as fast as it goes
 *   deno run -A examples/pktgen.ts -- --rate 250000 --size 128 -t 0  # Ctrl-C
 *   deno run -A examples/pktgen.ts -l 0,1 --file-prefix=me \
 *     --vdev=net_null0 -- --rate 1000
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
  Port,
  runExperiment,
  tscCycles,
  tscHz,
  type TxQueue,
  workerLcores,
} from "../mod.ts";

const BURST = 32;
const NB_MBUF = 4095;
const SEQ_OFF = 42; // the UDP payload starts with a 32-bit sequence number
const MAX_SIZE = 2048;

/** What the generating lcore gets. */
interface GenData {
  txq: TxQueue;
  pool: PktmbufPool;
  rate: number;
  size: number;
}

/** A UDP/IPv4 frame of `size` bytes, 10.0.0.1:1024 -> 10.0.0.2:1024. */
function udpFrame(size: number): Uint8Array {
  const f = new Uint8Array(size);
  const dv = new DataView(f.buffer);
  f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]); // dst MAC, src MAC
  dv.setUint16(12, 0x0800); // IPv4
  f.set([0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17], 14); // v4, DF, TTL 64, UDP
  dv.setUint16(16, size - 14); // IP total length
  f.set([10, 0, 0, 1, 10, 0, 0, 2], 26); // source, destination
  let sum = 0;
  for (let i = 14; i < 34; i += 2) sum += dv.getUint16(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  dv.setUint16(24, ~sum & 0xffff); // header checksum
  dv.setUint16(34, 1024); // UDP source port
  dv.setUint16(36, 1024); // UDP destination port
  dv.setUint16(38, size - 34); // UDP length (checksum 0: none)
  return f;
}

/** The generating lcore (this module's default export runs in a worker). */
const generate = defineLcore((ctx: LcoreContext<GenData>) => {
  const { txq, pool, rate, size } = ctx.data;
  const burst = new MbufBurst(pool, BURST);
  const frame = udpFrame(size);
  const bytes = burst.view.bytes, dv = burst.view.data;
  const off = burst.off, len = burst.len;
  const perCycle = rate / tscHz(), start = tscCycles();
  let sent = 0, seq = 0, noMbuf = 0;
  while (ctx.running()) {
    let n = BURST;
    if (rate > 0) { // packets due by now, at most a burst
      const due = Math.floor((tscCycles() - start) * perCycle) - seq;
      if (due <= 0) continue;
      if (due < n) n = due;
    }
    if (!burst.alloc(n)) { // alloc bulk + locate: one FFI call
      noMbuf++;
      continue;
    }
    for (let i = 0; i < n; i++) {
      bytes.set(frame, off[i]);
      dv.setUint32(off[i] + SEQ_OFF, seq++);
      len[i] = size;
    }
    burst.applyLengths(n); // data_len = pkt_len = len[i]
    sent += burst.send(txq, n); // frees what the queue refuses
  }
  return { generated: seq, sent, noMbuf };
});
export default generate;

if (import.meta.main) {
  Deno.exit(
    await runExperiment({
      name: "pktgen",
      usage: "deno run -A examples/pktgen.ts [EAL options] -- " +
        "[--rate PPS] [--size BYTES] [-t SECONDS]\n" +
        "  --rate PPS    packets per second (default 1000000; 0: full speed)\n" +
        `  --size BYTES  frame size, ${
          SEQ_OFF + 4
        }..${MAX_SIZE} (default 64)\n` +
        "  -t SECONDS    run time, whole seconds (default 5; 0: until Ctrl-C)",
      eal: ["-l", "0,1", "--vdev=net_null0"],
      seconds: 5,
      options: { string: ["rate", "size"] },
      parse: (raw) => ({
        rate: intArg(raw, "rate", 1_000_000),
        size: intArg(raw, "size", 64, SEQ_OFF + 4, MAX_SIZE),
      }),
      main: async (ctx) => {
        const { rate, size } = ctx.args;
        const id = Port.ids()[0];
        if (id === undefined) {
          throw new RangeError("no port: add one, e.g. --vdev=net_null0");
        }
        const pool = ctx.use(Mempool.createPktmbuf("pktgen_pool", NB_MBUF));
        const port = new Port(id);
        port.configure({ rxQueues: 1, txQueues: 1 });
        port.setupRxQueue(0, 512, pool);
        port.setupTxQueue(0, 1024);
        port.start();
        ctx.defer(() => {
          port.stop();
          port.close();
        });
        const lcore = workerLcores()[0] ?? mainLcore();
        const group = ctx.launch<typeof generate>(new URL(import.meta.url), {
          lcores: [lcore],
          data: { txq: port.txQueue(0), pool, rate, size },
        });
        await group.started;
        console.log(
          `generating ${size}-byte frames on port ${port.id} (${port.name}) ` +
            `at ${rate ? rate + " pps" : "full speed"}, lcore ${lcore}`,
        );
        const perSecond: number[] = [];
        let last = performance.now(), lastTx = port.stats().opackets;
        ctx.everySecond(() => {
          const now = performance.now(), tx = port.stats().opackets;
          const pps = Math.round((tx - lastTx) / (now - last) * 1000);
          perSecond.push(pps);
          console.log(`${perSecond.length}s: ${pps} pps`);
          [last, lastTx] = [now, tx];
        });
        const [{ result }] = await group.join();
        const r = result as Awaited<ReturnType<typeof generate>>;
        return {
          rate,
          size,
          perSecond,
          meanPps: Math.round(
            perSecond.reduce((a, b) => a + b, 0) /
              Math.max(1, perSecond.length),
          ),
          generated: r.generated,
          sent: r.sent,
          noMbuf: r.noMbuf,
          portOpackets: port.stats().opackets,
        };
      },
    }),
  );
}
