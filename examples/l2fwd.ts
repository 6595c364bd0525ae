/**
 * Experiment 3: an L2 forwarder doing per-packet work in TypeScript.
 *
 * Ports are paired 0<->1 (2<->3, ...). One lcore receives a burst from each
 * port in turn, swaps the source and destination MAC of every frame and
 * counts frames by EtherType, in place, through the pool's zero-copy view;
 * then it sends the burst to the paired port. Per burst that is one FFI call
 * to receive and locate the frames, and one to send; nothing is allocated
 * per packet. bench/l2fwd_c/l2fwd.c is the same program in C.
 *
 *   deno run -A examples/l2fwd.ts                # 5 s on two net_null ports
 *   deno run -A examples/l2fwd.ts -- -t 0        # until Ctrl-C
 *   deno run -A examples/l2fwd.ts -l 0,1 --no-pci --file-prefix=me \
 *     --vdev=net_null0 --vdev=net_null1 -- -t 10 --no-work
 *
 * net_null's RX hands out pool mbufs without writing their data, so before
 * forwarding every mbuf of the pool gets a frame of a known EtherType
 * (7 IPv4 : 2 IPv6 : 1 ARP). Prints a line per second, then a JSON line.
 *
 * @module
 */

import {
  cleanupEal,
  initEal,
  launchLcores,
  type LcoreContext,
  MbufBurst,
  Mempool,
  Port,
  removeRuntimeFiles,
  workerLcores,
} from "../mod.ts";

const DEFAULT_EAL = [
  "-l",
  "0,1",
  "--no-pci",
  `--file-prefix=ex_l2fwd_${Deno.pid}`,
  "--vdev=net_null0",
  "--vdev=net_null1",
  "--log-level=lib.eal:error",
];
const BURST = 32;
const NB_MBUF = 8191;
const NB_DESC = 1024;
const FRAME_LEN = 64;

/** What the forwarding lcore gets from the main thread. */
interface FwdData {
  ports: number[];
  pool: bigint;
  work: boolean;
}

/**
 * The per-packet work on `n` frames: swap MACs, count by EtherType. The
 * MACs move as 4 + 2 bytes in the CPU's byte order (`true`: little-endian),
 * which spares byte swaps; the EtherType is read in network order.
 */
export function swapAndCount(
  dv: DataView,
  off: Uint32Array,
  n: number,
  byType: Float64Array,
): void {
  for (let i = 0; i < n; i++) {
    const o = off[i];
    const dstHi = dv.getUint32(o, true), dstLo = dv.getUint16(o + 4, true);
    dv.setUint32(o, dv.getUint32(o + 6, true), true);
    dv.setUint16(o + 4, dv.getUint16(o + 10, true), true);
    dv.setUint32(o + 6, dstHi, true);
    dv.setUint16(o + 10, dstLo, true);
    byType[dv.getUint16(o + 12)]++; // EtherType, big-endian on the wire
  }
}

/** The forwarding lcore (this module's default export runs in a worker). */
export default function forward(ctx: LcoreContext<FwdData>) {
  const { ports, work } = ctx.data;
  const burst = new MbufBurst(Mempool.fromAddress(ctx.data.pool), BURST);
  const dv = burst.view.data, off = burst.off;
  const rx = new Float64Array(ports.length);
  const tx = new Float64Array(ports.length);
  const dropped = new Float64Array(ports.length);
  const byType = new Float64Array(65536);
  while (ctx.running()) {
    for (let p = 0; p < ports.length; p++) {
      const n = burst.receive(ports[p], 0); // rx burst + locate: one FFI call
      if (n === 0) continue;
      rx[p] += n;
      if (work) swapAndCount(dv, off, n, byType);
      const out = p ^ 1;
      const sent = burst.send(ports[out], 0, n); // frees what is not sent
      tx[out] += sent;
      dropped[out] += n - sent;
    }
  }
  const etherTypes: Record<string, number> = {};
  byType.forEach((c, t) => {
    if (c > 0) etherTypes["0x" + t.toString(16).padStart(4, "0")] = c;
  });
  return { rx: [...rx], tx: [...tx], dropped: [...dropped], etherTypes };
}

/** Writes a frame of a known EtherType into every mbuf of the pool. */
function prefill(pool: Mempool): void {
  const types = [...Array(7).fill(0x0800), 0x86dd, 0x86dd, 0x0806];
  const macs = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]; // dst, src
  const all = new MbufBurst(pool, pool.size);
  let n = 0;
  while (n < pool.size && pool.allocMbufs(all.mbufs.subarray(n, n + 1), 1)) n++;
  all.locate(n);
  const b = all.view.bytes, dv = all.view.data;
  for (let i = 0; i < n; i++) {
    b.fill(0, all.off[i], all.off[i] + FRAME_LEN);
    b.set(macs, all.off[i]);
    dv.setUint16(all.off[i] + 12, types[i % 10]);
  }
  all.free(0, n);
}

/** Parses `-t SECONDS` and `--no-work` from the application arguments. */
function parseApp(args: string[]): { seconds: number; work: boolean } {
  const i = args.indexOf("-t");
  const seconds = i < 0 ? 5 : Number(args[i + 1]);
  if (!(seconds >= 0)) throw new Error(`-t wants seconds, got ${args[i + 1]}`);
  return { seconds, work: !args.includes("--no-work") };
}

async function main(): Promise<void> {
  const argv = Deno.args.length === 0 || Deno.args[0] === "--"
    ? [...DEFAULT_EAL, ...Deno.args]
    : Deno.args;
  const eal = initEal(argv, "l2fwd");
  const ports: Port[] = [];
  let pool: Mempool | undefined;
  try {
    const { seconds, work } = parseApp(eal.args);
    const ids = Port.ids();
    if (ids.length < 2 || ids.length % 2 !== 0) {
      throw new Error(`need an even number of ports, got ${ids.length}`);
    }
    const lcore = workerLcores()[0];
    if (lcore === undefined) throw new Error("need a worker lcore (-l 0,1)");
    pool = Mempool.createPktmbuf("l2fwd_pool", NB_MBUF);
    prefill(pool);
    for (const id of ids) {
      const port = new Port(id);
      port.configure({ rxQueues: 1, txQueues: 1 });
      port.setupRxQueue(0, NB_DESC, pool);
      port.setupTxQueue(0, NB_DESC);
      port.start();
      ports.push(port);
    }

    console.log(`forwarding on lcore ${lcore}, ${ids.length} ports`);
    const start = performance.now();
    const group = launchLcores<FwdData>(new URL(import.meta.url), {
      lcores: [lcore],
      data: { ports: ids, pool: pool.address, work },
    });
    const stop = () => group.stop();
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
    const portTx = () => ports.reduce((n, p) => n + p.stats().opackets, 0);
    let last = start, lastTx = 0, s = 0;
    const tick = setInterval(() => {
      const now = performance.now(), tx = portTx();
      const mpps = (tx - lastTx) / (now - last) / 1e3;
      console.log(`${++s}s: ${mpps.toFixed(3)} Mpps forwarded`);
      [last, lastTx] = [now, tx];
      if (seconds > 0 && s >= seconds) group.stop();
    }, 1000);
    const [{ result }] = await group.join().finally(() => {
      clearInterval(tick);
      Deno.removeSignalListener("SIGINT", stop);
      Deno.removeSignalListener("SIGTERM", stop);
    });
    const r = result as ReturnType<typeof forward>;
    const elapsed = (performance.now() - start) / 1000;
    const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
    console.log(JSON.stringify({
      example: "l2fwd",
      impl: "ts",
      work,
      seconds: Number(elapsed.toFixed(3)),
      ports: ids.map((port, i) => ({
        port,
        rx: r.rx[i],
        tx: r.tx[i],
        dropped: r.dropped[i],
      })),
      rx: sum(r.rx),
      tx: sum(r.tx),
      dropped: sum(r.dropped),
      mpps: Number((sum(r.tx) / elapsed / 1e6).toFixed(3)),
      portOpackets: portTx(), // the ports' own count: equals tx
      etherTypes: r.etherTypes,
    }));
  } finally {
    for (const port of ports) {
      port.stop();
      port.close();
    }
    pool?.[Symbol.dispose]();
    cleanupEal();
    removeRuntimeFiles();
  }
}

if (import.meta.main) {
  await main().catch((e) => {
    console.error(`l2fwd: ${e.message}`);
    Deno.exit(1);
  });
}
