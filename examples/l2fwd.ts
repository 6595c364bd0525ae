/**
 * Experiment 3: an L2 forwarder doing per-packet work in TypeScript.
 *
 * Ports are paired 0<->1 (2<->3, ...). One lcore receives a burst from each
 * port in turn, swaps the source and destination MAC of every frame and
 * counts frames by EtherType, in place, through the pool's zero-copy view;
 * then it sends the burst to the paired port. Per burst that is one FFI
 * crossing (`sendReceive`: send the burst worked on, receive and locate
 * the next); with `--no-work` one crossing for several passes over the
 * ports, nothing located (`forwardPaths`). Nothing is allocated per
 * packet. bench/l2fwd_c/l2fwd.c is the same program in C.
 *
 *   deno run -A examples/l2fwd.ts                # 5 s on two net_null ports
 *   deno run -A examples/l2fwd.ts -- -t 0        # until Ctrl-C
 *   deno run -A examples/l2fwd.ts -l 0,1 --file-prefix=me \
 *     --vdev=net_null0 --vdev=net_null1 -- -t 10 --no-work
 *
 * net_null's RX hands out pool mbufs without writing their data, so before
 * forwarding every mbuf of the pool gets a frame of a known EtherType
 * (7 IPv4 : 2 IPv6 : 1 ARP). Prints a line per second, then a JSON line.
 * `--dump N` prints a tcpdump-style line for each of the first N frames
 * received (`#1 port 0: IP 10.0.0.1.1024 > 10.0.0.2.9: UDP, length 18`),
 * read in place through the pool view; malformed frames are described as
 * such (`summarize` never throws on packet contents).
 *
 * @module
 */

import {
  defineLcore,
  ForwardPaths,
  intArg,
  type LcoreContext,
  MbufBurst,
  Mempool,
  type PktmbufPool,
  Port,
  runExperiment,
  type RxQueue,
  summarize,
  type TxQueue,
  workerLcores,
} from "../mod.ts";

const BURST = 32;
const NB_MBUF = 8191;
const NB_DESC = 1024;
const FRAME_LEN = 64;
/** Passes over the ports per FFI crossing when forwarding only. */
const ROUNDS = 8;

/** What the forwarding lcore gets: queue i belongs to port i. */
interface FwdData {
  rxqs: RxQueue[];
  txqs: TxQueue[];
  pool: PktmbufPool;
  work: boolean;
  /** Frames to print a summary of (the first received). */
  dump: number;
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

/**
 * Prints the summary of the first `n` frames of a received burst, until
 * `max` were printed in all (`done` so far); returns the new count. The
 * frames are read in place (`bytes[off[i] .. off[i] + len[i])`).
 */
export function dumpFrames(
  bytes: Uint8Array,
  off: Uint32Array,
  len: Uint16Array,
  n: number,
  port: number,
  done: number,
  max: number,
  print: (line: string) => void = console.log,
): number {
  for (let i = 0; i < n && done < max; i++) {
    print(`#${++done} port ${port}: ${summarize(bytes, off[i], len[i])}`);
  }
  return done;
}

/** The forwarding lcore (this module's default export runs in a worker). */
const forward = defineLcore((ctx: LcoreContext<FwdData>) => {
  const { rxqs, txqs, pool, work, dump } = ctx.data;
  const burst = new MbufBurst(pool, BURST);
  const dv = burst.view.data, off = burst.off;
  let dumped = 0;
  const rx = new Float64Array(rxqs.length);
  const tx = new Float64Array(rxqs.length);
  const dropped = new Float64Array(rxqs.length);
  const byType = new Float64Array(65536);
  if (!work && dump === 0) {
    // nothing reads the packets: the loop body runs in C, ROUNDS passes
    // over every port per FFI crossing, nothing located
    const fwd = new ForwardPaths(
      rxqs.map((rx, p) => ({ rx, tx: txqs[p ^ 1] })),
    );
    while (ctx.running()) burst.forwardPaths(fwd, ROUNDS);
    for (let p = 0; p < rxqs.length; p++) {
      rx[p] = fwd.received(p);
      tx[p ^ 1] = fwd.sent(p);
      dropped[p ^ 1] = fwd.received(p) - fwd.sent(p);
    }
  } else {
    // each crossing sends the burst worked on last and receives (and
    // locates) the next: one FFI call per burst
    let pending = 0, out = 0;
    while (ctx.running()) {
      for (let p = 0; p < rxqs.length; p++) {
        const r = burst.sendReceive(txqs[out], pending, rxqs[p]);
        const sent = r >>> 16;
        tx[out] += sent;
        dropped[out] += pending - sent;
        const n = pending = r & 0xffff;
        if (n === 0) continue;
        rx[p] += n;
        if (dumped < dump) {
          dumped = dumpFrames(
            burst.view.bytes,
            off,
            burst.len,
            n,
            p,
            dumped,
            dump,
          );
        }
        if (work) swapAndCount(dv, off, n, byType);
        out = p ^ 1;
      }
    }
    if (pending > 0) { // the last burst
      const sent = burst.send(txqs[out], pending);
      tx[out] += sent;
      dropped[out] += pending - sent;
    }
  }
  const etherTypes: Record<string, number> = {};
  byType.forEach((c, t) => {
    if (c > 0) etherTypes["0x" + t.toString(16).padStart(4, "0")] = c;
  });
  return { rx: [...rx], tx: [...tx], dropped: [...dropped], etherTypes };
});
export default forward;

/** Writes a frame of a known EtherType into every mbuf of the pool. */
function prefill(pool: PktmbufPool): void {
  const types = [...Array(7).fill(0x0800), 0x86dd, 0x86dd, 0x0806];
  const macs = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]; // dst, src
  const all = new MbufBurst(pool, pool.size);
  if (!all.alloc(pool.size)) throw new Error("cannot allocate the whole pool");
  const b = all.view.bytes, dv = all.view.data;
  for (let i = 0; i < pool.size; i++) {
    b.fill(0, all.off[i], all.off[i] + FRAME_LEN);
    b.set(macs, all.off[i]);
    dv.setUint16(all.off[i] + 12, types[i % 10]);
  }
  all.freeFirst(pool.size);
}

if (import.meta.main) {
  Deno.exit(
    await runExperiment({
      name: "l2fwd",
      usage: "deno run -A examples/l2fwd.ts [EAL options] -- " +
        "[-t SECONDS] [--no-work] [--dump N]\n" +
        "  -t SECONDS  run time, whole seconds (default 5; 0: until Ctrl-C)\n" +
        "  --no-work   forward only: no MAC swap, no EtherType count\n" +
        "  --dump N    print a summary line of the first N frames received",
      eal: ["-l", "0,1", "--vdev=net_null0", "--vdev=net_null1"],
      options: {
        string: ["dump", "t"],
        boolean: ["work"],
        negatable: ["work"],
        default: { work: true },
      },
      parse: (raw) => ({
        work: raw.work === true,
        dump: intArg(raw, "dump", 0),
        seconds: intArg(raw, "t", 5),
      }),
      main: async (ctx) => {
        const { work, dump, seconds } = ctx.args;
        const ids = Port.ids();
        if (ids.length < 2 || ids.length % 2 !== 0) {
          throw new RangeError(
            `need an even number of ports, got ${ids.length}`,
          );
        }
        const lcore = workerLcores()[0];
        if (lcore === undefined) {
          throw new RangeError("need a worker lcore (-l 0,1)");
        }
        const pool = ctx.use(Mempool.createPktmbuf("l2fwd_pool", NB_MBUF));
        prefill(pool);
        const ports = ids.map((id) => {
          const port = new Port(id);
          port.configure({ rxQueues: 1, txQueues: 1 });
          port.setupRxQueue(0, NB_DESC, pool);
          port.setupTxQueue(0, NB_DESC);
          port.start();
          ctx.defer(() => {
            port.stop();
            port.close();
          });
          return port;
        });

        const start = performance.now();
        const group = ctx.launch<typeof forward>(new URL(import.meta.url), {
          lcores: [lcore],
          data: {
            rxqs: ports.map((p) => p.rxQueue(0)),
            txqs: ports.map((p) => p.txQueue(0)),
            pool,
            work,
            dump,
          },
        });
        await group.started;
        console.log(`forwarding on lcore ${lcore}, ${ids.length} ports`);
        const portTx = () => ports.reduce((n, p) => n + p.stats().opackets, 0);
        let last = performance.now(), lastTx = portTx();
        ctx.everySecond((s) => {
          const now = performance.now(), tx = portTx();
          const mpps = (tx - lastTx) / (now - last) / 1e3;
          console.log(`${s}s: ${mpps.toFixed(3)} Mpps forwarded`);
          [last, lastTx] = [now, tx];
          // -t: whole seconds once the lcore runs (not its start-up)
          if (seconds > 0 && s >= seconds) ctx.stop("time");
        });
        const [{ result }] = await group.join();
        const r = result as Awaited<ReturnType<typeof forward>>;
        const elapsed = (performance.now() - start) / 1000;
        const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
        return {
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
        };
      },
    }),
  );
}
