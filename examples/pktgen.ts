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
 *   deno run -A examples/pktgen.ts -l 0,1 --no-pci --file-prefix=me \
 *     --vdev=net_null0 -- --rate 1000
 *
 * @module
 */

import {
  cleanupEal,
  initEal,
  launchLcores,
  type LcoreContext,
  mainLcore,
  MbufBurst,
  Mempool,
  Port,
  removeRuntimeFiles,
  tscCycles,
  tscHz,
  workerLcores,
} from "../mod.ts";

const DEFAULT_EAL = [
  "-l",
  "0,1",
  "--no-pci",
  `--file-prefix=ex_pktgen_${Deno.pid}`,
  "--vdev=net_null0",
  "--log-level=lib.eal:error",
];
const BURST = 32;
const NB_MBUF = 4095;
const SEQ_OFF = 42; // the UDP payload starts with a 32-bit sequence number

interface GenData {
  port: number;
  pool: bigint;
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

/** The generating lcore. */
export default function generate(ctx: LcoreContext<GenData>) {
  const { port, rate, size } = ctx.data;
  const burst = new MbufBurst(Mempool.fromAddress(ctx.data.pool), BURST);
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
    sent += burst.send(port, 0, n); // frees what the queue refuses
  }
  return { generated: seq, sent, noMbuf };
}

/** `--rate PPS`, `--size BYTES`, `-t SECONDS` from the app arguments. */
function parseApp(args: string[]) {
  const num = (name: string, def: number) => {
    const i = args.indexOf(name);
    const v = i < 0 ? def : Number(args[i + 1]);
    if (!Number.isInteger(v) || v < 0) {
      throw new Error(
        `${name} wants a non-negative integer, got ${args[i + 1]}`,
      );
    }
    return v;
  };
  const size = num("--size", 64);
  if (size < SEQ_OFF + 4 || size > 2048) {
    throw new Error(`--size must be in ${SEQ_OFF + 4}..2048, got ${size}`);
  }
  return { rate: num("--rate", 1_000_000), size, seconds: num("-t", 5) };
}

async function main(): Promise<void> {
  const argv = Deno.args.length === 0 || Deno.args[0] === "--"
    ? [...DEFAULT_EAL, ...Deno.args]
    : Deno.args;
  const eal = initEal(argv, "pktgen");
  let started: Port | undefined, pool: Mempool | undefined;
  try {
    const { rate, size, seconds } = parseApp(eal.args);
    if (Port.count() === 0) {
      throw new Error("no port: add one, e.g. --vdev=net_null0");
    }
    const port = new Port(Port.ids()[0]);
    pool = Mempool.createPktmbuf("pktgen_pool", NB_MBUF);
    port.configure({ rxQueues: 1, txQueues: 1 });
    port.setupRxQueue(0, 512, pool);
    port.setupTxQueue(0, 1024);
    port.start();
    started = port;
    const lcore = workerLcores()[0] ?? mainLcore();
    const group = launchLcores<GenData>(new URL(import.meta.url), {
      lcores: [lcore],
      data: { port: port.id, pool: pool.address, rate, size },
    });
    console.log(
      `generating ${size}-byte frames on port ${port.id} (${port.name}) ` +
        `at ${rate ? rate + " pps" : "full speed"}, lcore ${lcore}`,
    );
    const stop = () => group.stop();
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
    const perSecond: number[] = [];
    let last = performance.now(), lastTx = port.stats().opackets;
    const tick = setInterval(() => {
      const now = performance.now(), tx = port.stats().opackets;
      const pps = Math.round((tx - lastTx) / (now - last) * 1000);
      perSecond.push(pps);
      console.log(`${perSecond.length}s: ${pps} pps`);
      [last, lastTx] = [now, tx];
      if (seconds > 0 && perSecond.length >= seconds) group.stop();
    }, 1000);
    const [{ result }] = await group.join().finally(() => {
      clearInterval(tick);
      Deno.removeSignalListener("SIGINT", stop);
      Deno.removeSignalListener("SIGTERM", stop);
    });
    const r = result as ReturnType<typeof generate>;
    const st = port.stats();
    console.log(JSON.stringify({
      example: "pktgen",
      rate,
      size,
      perSecond,
      meanPps: Math.round(
        perSecond.reduce((a, b) => a + b, 0) / Math.max(1, perSecond.length),
      ),
      generated: r.generated,
      sent: r.sent,
      noMbuf: r.noMbuf,
      portOpackets: st.opackets,
    }));
  } finally {
    started?.stop();
    started?.close();
    pool?.[Symbol.dispose]();
    cleanupEal();
    removeRuntimeFiles();
  }
}

if (import.meta.main) {
  await main().catch((e) => {
    console.error(`pktgen: ${e.message}`);
    Deno.exit(1);
  });
}
