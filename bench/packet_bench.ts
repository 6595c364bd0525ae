/**
 * lib/packet's per-packet costs, in TypeScript only (no EAL, no shim), as
 * paired comparisons that stay put on a busy machine:
 *
 * - header views (`at()` + setters) against the same writes through raw
 *   DataView offsets, in the same loop: 4 field writes per frame, and the
 *   generator's full per-packet work (UDP source port, UDP and IPv4
 *   checksums), raw offsets + `ipv4L4Checksum`/`ipv4Checksum` against the
 *   views' `updateChecksum()` (what examples/pktgen.ts does);
 * - a template field set with RFC 1624 (`TemplateField.set`) against the
 *   same by hand (DataView + `checksumAdjust`);
 * - alone: the two checksums, `fillChecksums` (parse + IPv4 + UDP), and
 *   stamping the template.
 *
 * ```sh
 * deno run -A bench/packet_bench.ts [--procs 3] [--samples 200] [--json]
 * ```
 *
 * How it stays stable. Each loop works on a burst of 32 frames at a
 * pool-like stride (2304 bytes), as the generator does (its pool's cache
 * hands the same few mbufs back): the frames stay in L1, so what is timed
 * is the code. The former layout, 1024 frames at a 2 KiB stride, put every
 * frame in the same few cache sets: each write missed L1 and L2, and the
 * time depended on how the stores of each variant overlapped those misses
 * (the same code, compiled twice, ran 2.0 or 3.4 ns a frame), so one run
 * said 1.42x and another "faster than raw". Each loop is its own
 * function, given its buffers as arguments (no closure constant folds one
 * side). Time is the thread's CPU time (time preempted by other load does
 * not count; wall-clock ratios are shown too). The two loops of a pair run
 * back to back, in an order that flips every sample, so load that comes
 * and goes hits both; a pair's ratio is taken within each sample, and the
 * table gives the median of those ratios with their p10-p90 (how much one
 * sample can be off). The whole measurement runs in `--procs` fresh
 * processes (each compiles its own code); each process's samples are cut
 * into 3 batches in a row, and "batches lo-hi" gives the lowest and highest
 * batch median. A pair meets its target when every batch median does,
 * misses it when none does; otherwise the median decides, unless the
 * batch medians are more than 10% apart: "too noisy to tell".
 *
 * What the views cost on the 4-write loop: each `at()` stores the offset in
 * the view object and each setter reads it back (a tagged small integer),
 * so a frame takes 2 more stores and about 15 more instructions than with
 * raw offsets (V8's code, seen with `perf` and `--perf-prof`); that loop is
 * bound by its stores, and 2 plain object stores added to the raw loop
 * alone cost 17%. About 0.8 ns a frame: +35% there, within 3% of the
 * generator's work.
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import { median } from "../support/bench.ts";
import {
  checksumAdjust,
  dataViewOf,
  fillChecksums,
  ipv4Checksum,
  ipv4ChecksumValid,
  ipv4L4Checksum,
  Ipv4View,
  PacketLayers,
  PacketTemplate,
  type TemplateField,
  udpFrame,
  UdpView,
} from "../lib/packet/mod.ts";

/** Frames per burst (as the generator's bursts). */
export const BURST = 32;
/** Bytes from one frame to the next: not a power of two, as in a pool. */
const STRIDE = 2304;
/** Where each frame starts in its slot (a headroom). */
const HEADROOM = 128;
/** Bursts per loop per sample (about 0.1 to 1 ms a sample). */
const REPS = 400;
/**
 * Above this spread of the batch medians (see {@linkcode summarize}) a row
 * is too noisy to tell.
 */
export const NOISY = 0.1;
/** Batches per process (consecutive runs of samples) for the spread. */
const BATCHES = 3;
/** The generator's flows (as bench/pktgen_bench.ts runs it). */
const FLOWS = 100;

/** What every loop gets: the frames, their offsets, views over them. */
interface Frames {
  bytes: Uint8Array;
  data: DataView;
  off: Uint32Array;
  udp: UdpView;
  ip: Ipv4View;
  tpl: PacketTemplate;
  sport: TemplateField;
  layers: PacketLayers;
}

function frames(): Frames {
  const bytes = new Uint8Array(BURST * STRIDE);
  const data = dataViewOf(bytes);
  const off = Uint32Array.from(
    { length: BURST },
    (_, i) => i * STRIDE + HEADROOM,
  );
  // 60 bytes: Ethernet 14 + IPv4 20 + UDP 8 + 18 of payload
  const tpl = new PacketTemplate(udpFrame({
    ipSrc: "10.0.0.1",
    ipDst: "10.0.0.2",
    sport: 10000,
    dport: 9,
    payloadLength: 18,
  }));
  tpl.stampAll(bytes, off, BURST);
  return {
    bytes,
    data,
    off,
    udp: new UdpView(bytes, data),
    ip: new Ipv4View(bytes, data),
    tpl,
    sport: tpl.field("udp.srcPort"),
    layers: new PacketLayers(),
  };
}

// ---- the loops: one burst each; r varies the values ------------------------
// Each is a separate function (its own type feedback and compiled code).

function fieldsRaw(f: Frames, r: number): void {
  const data = f.data, off = f.off;
  for (let i = 0; i < BURST; i++) {
    const o = off[i];
    data.setUint16(o + 34, 10000 + ((i + r) & 1023)); // UDP source port
    data.setUint16(o + 36, 9); // UDP destination port
    data.setUint32(o + 26, 0x0a000001 + i); // IPv4 source
    data.setUint8(o + 22, 64); // TTL
  }
}

function fieldsViews(f: Frames, r: number): void {
  const udp = f.udp, ip = f.ip, off = f.off;
  for (let i = 0; i < BURST; i++) {
    const o = off[i];
    const u = udp.at(o + 34);
    u.srcPort = 10000 + ((i + r) & 1023);
    u.dstPort = 9;
    const v = ip.at(o + 14);
    v.srcValue = 0x0a000001 + i;
    v.ttl = 64;
  }
}

function generatorRaw(f: Frames, r: number): void {
  const bytes = f.bytes, data = f.data, off = f.off;
  for (let i = 0; i < BURST; i++) {
    const o = off[i];
    data.setUint16(o + 34, 10000 + ((i + r) % FLOWS));
    data.setUint16(o + 40, ipv4L4Checksum(bytes, o + 14, o + 34));
    data.setUint16(o + 24, ipv4Checksum(bytes, o + 14));
  }
}

function generatorViews(f: Frames, r: number): void {
  const udp = f.udp, ip = f.ip, off = f.off;
  for (let i = 0; i < BURST; i++) { // as examples/pktgen.ts --checksum full
    const o = off[i];
    const u = udp.at(o + 34);
    u.srcPort = 10000 + ((i + r) % FLOWS);
    u.updateChecksum(o + 14);
    ip.at(o + 14).updateChecksum();
  }
}

function incrementalRaw(f: Frames, r: number): void {
  const data = f.data, off = f.off;
  for (let i = 0; i < BURST; i++) {
    const o = off[i];
    const old = data.getUint16(o + 34), next = 10000 + ((i + r) % FLOWS);
    data.setUint16(o + 34, next);
    const c = data.getUint16(o + 40);
    if (c !== 0) data.setUint16(o + 40, checksumAdjust(c, old, next, true));
  }
}

function incrementalTemplate(f: Frames, r: number): void {
  const data = f.data, off = f.off, sport = f.sport;
  for (let i = 0; i < BURST; i++) {
    sport.set(data, off[i], 10000 + ((i + r) % FLOWS));
  }
}

function checksumsOnly(f: Frames, _r: number): void {
  const bytes = f.bytes, data = f.data, off = f.off;
  for (let i = 0; i < BURST; i++) {
    const o = off[i];
    data.setUint16(o + 40, ipv4L4Checksum(bytes, o + 14, o + 34));
    data.setUint16(o + 24, ipv4Checksum(bytes, o + 14));
  }
}

function fillAll(f: Frames, _r: number): void {
  const bytes = f.bytes, data = f.data, off = f.off, layers = f.layers;
  for (let i = 0; i < BURST; i++) {
    fillChecksums(bytes, off[i], 60, data, layers);
  }
}

function stamp(f: Frames, _r: number): void {
  f.tpl.stampAll(f.bytes, f.off, BURST);
}

type Loop = (f: Frames, r: number) => void;

/** Every loop, by name (the order of a sample, reversed every other one). */
const LOOPS: Record<string, Loop> = {
  fieldsRaw,
  fieldsViews,
  generatorRaw,
  generatorViews,
  incrementalRaw,
  incrementalTemplate,
  checksumsOnly,
  fillAll,
  stamp,
};

/** A comparison: `subject` over `base`, both timed in every sample. */
export interface Pair {
  /** What is compared (a table row). */
  name: string;
  /** The reference loop. */
  base: string;
  /** The loop compared with it. */
  subject: string;
  /** The subject/base ratio the issue asks for (at most). */
  target?: number;
}

/** The comparisons of the table. */
export const PAIRS: Pair[] = [
  {
    name: "4 field writes per frame: views / raw DataView",
    base: "fieldsRaw",
    subject: "fieldsViews",
    target: 1.1,
  },
  {
    name: "port + UDP and IPv4 checksums (pktgen full): views / raw",
    base: "generatorRaw",
    subject: "generatorViews",
    target: 1.1,
  },
  {
    name: "port, UDP checksum by RFC 1624: TemplateField / by hand",
    base: "incrementalRaw",
    subject: "incrementalTemplate",
  },
];

/** Loops timed alone (ns per packet), with what they do. */
const SINGLES: Record<string, string> = {
  checksumsOnly: "UDP + IPv4 checksums, computed and stored",
  fillAll: "fillChecksums (parse + IPv4 + UDP)",
  stamp: "stamp the 60-byte template",
};

/** Linux's clock of the calling thread's CPU time (linux/time.h). */
const CLOCK_THREAD_CPUTIME_ID = 3;

/**
 * A clock of this thread's CPU time in ns (libc's `clock_gettime`): time
 * the thread spends preempted does not count. Undefined where libc cannot
 * be opened.
 */
function threadClock(): (() => number) | undefined {
  try {
    const libc = Deno.dlopen("libc.so.6", {
      clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
    });
    const ts = new Uint32Array(4); // struct timespec: i64 sec, i64 nsec
    return () => {
      libc.symbols.clock_gettime(CLOCK_THREAD_CPUTIME_ID, ts);
      return (ts[0] + ts[1] * 2 ** 32) * 1e9 + ts[2];
    };
  } catch {
    return undefined;
  }
}

/** One process's samples of each loop, ns per packet, sample by sample. */
export interface Samples {
  /** Thread CPU time (wall-clock time where no thread clock). */
  cpu: Record<string, number[]>;
  /** Wall-clock time. */
  wall: Record<string, number[]>;
}

/**
 * Runs every loop `samples` times (after a warm-up that gets them
 * optimised); the two loops of a pair run back to back, in an order that
 * flips every sample. Returns ns per packet of each loop per sample, by
 * thread CPU time and by wall-clock time, and checks afterwards that the
 * frames carry valid checksums.
 */
export function measure(samples = 200): Samples {
  const f = frames();
  const names = Object.keys(LOOPS);
  for (let r = 0; r < 20 * REPS; r++) {
    for (const n of names) LOOPS[n](f, r);
  }
  const clock = threadClock() ?? (() => performance.now() * 1e6);
  const out: Samples = { cpu: {}, wall: {} };
  for (const n of names) {
    out.cpu[n] = [];
    out.wall[n] = [];
  }
  let r = 0;
  const time = (n: string) => {
    const loop = LOOPS[n];
    const w = performance.now(), c = clock();
    for (let k = 0; k < REPS; k++) loop(f, r + k);
    const dc = clock() - c, dw = performance.now() - w;
    out.cpu[n].push(dc / (REPS * BURST));
    out.wall[n].push(dw * 1e6 / (REPS * BURST));
  };
  for (let s = 0; s < samples; s++) {
    const flip = s % 2 === 1;
    for (const p of flip ? PAIRS.toReversed() : PAIRS) {
      time(flip ? p.subject : p.base);
      time(flip ? p.base : p.subject);
    }
    for (const n of Object.keys(SINGLES)) time(n);
    r += REPS;
  }
  generatorViews(f, r); // the last writer decides: a full computation
  for (let i = 0; i < BURST; i++) {
    const o = f.off[i];
    if (
      !ipv4ChecksumValid(f.bytes, o + 14) ||
      f.data.getUint16(o + 40) !== ipv4L4Checksum(f.bytes, o + 14, o + 34)
    ) throw new Error(`frame ${i}: a loop left a wrong checksum`);
  }
  return out;
}

/** The p-quantile (0..1) of `xs`, nearest rank. */
function quantile(xs: number[], p: number): number {
  const s = xs.toSorted((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.round(p * (s.length - 1)))];
}

/** Figures of each loop (ns per packet per sample), one record a process. */
export type Runs = Record<string, number[]>[];

/** A pair summarised over processes' samples. */
export interface PairSummary {
  /** The pair. */
  pair: Pair;
  /** Median ns per packet of the base loop (all samples). */
  base: number;
  /** Median ns per packet of the subject loop (all samples). */
  subject: number;
  /** Median of the per-sample ratios subject/base (all samples). */
  ratio: number;
  /** 10th percentile of the per-sample ratios. */
  p10: number;
  /** 90th percentile of the per-sample ratios. */
  p90: number;
  /** Lowest median ratio of a batch. */
  lo: number;
  /** Highest median ratio of a batch. */
  hi: number;
  /** (hi - lo) / ratio: how far the batches disagree. */
  spread: number;
  /** spread > {@linkcode NOISY}: too noisy to tell. */
  noisy: boolean;
}

/**
 * Summarises `pair` over the figures of each process: the median of all
 * per-sample ratios with their p10-p90 (how much single samples vary),
 * and the lowest and highest median of a batch, a third of a process's
 * samples in a row (whether fresh processes, and the same process over
 * time, agree on the median: the spread that decides "too noisy").
 * `batches` cuts each process's samples (default 3; 1: a batch a process).
 */
export function summarize(
  pair: Pair,
  runs: Runs,
  batches = BATCHES,
): PairSummary {
  const ratiosOf = (s: Record<string, number[]>) =>
    s[pair.subject].map((x, i) => x / s[pair.base][i]);
  const all = runs.flatMap(ratiosOf);
  const medians = runs.flatMap((s) => {
    const r = ratiosOf(s), n = Math.ceil(r.length / batches);
    return Array.from(
      { length: batches },
      (_, b) => median(r.slice(b * n, (b + 1) * n)),
    ).filter(Number.isFinite);
  });
  const ratio = median(all);
  const lo = Math.min(...medians), hi = Math.max(...medians);
  const spread = (hi - lo) / ratio;
  return {
    pair,
    base: median(runs.flatMap((s) => s[pair.base])),
    subject: median(runs.flatMap((s) => s[pair.subject])),
    ratio,
    p10: quantile(all, 0.1),
    p90: quantile(all, 0.9),
    lo,
    hi,
    spread,
    noisy: !(spread <= NOISY),
  };
}

/** A Markdown table. */
export function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => r[i].length))
  );
  const line = (cells: string[]) =>
    "| " + cells.map((c, i) => c.padEnd(w[i])).join(" | ") + " |";
  return [line(head), line(w.map((n) => "-".repeat(n))), ...rows.map(line)]
    .join("\n");
}

/**
 * The verdict of a pair: within its target when every batch median is,
 * not within when none is; otherwise the median decides, unless the
 * batches spread over {@linkcode NOISY}: too noisy to tell.
 */
function verdict(s: PairSummary): string {
  const t = s.pair.target;
  const noisy = `too noisy to tell (spread > ${NOISY * 100}%)`;
  if (t === undefined) return s.noisy ? noisy : "";
  const pct = Math.round((t - 1) * 100);
  if (s.hi <= t) return `within ${pct}%`;
  if (s.lo > t) return `NOT within ${pct}%`;
  if (s.noisy) return noisy;
  return s.ratio <= t
    ? `within ${pct}% (median)`
    : `NOT within ${pct}% (median)`;
}

/**
 * The pairs' table rows: by thread CPU time, ns per packet of each side,
 * the median of the per-sample ratios, their p10-p90, the lowest and
 * highest batch median (`batches` a process), their spread and the
 * verdict; then the median ratio by wall-clock time.
 */
export function pairRows(
  runs: Samples[],
  batches = BATCHES,
): string[][] {
  const cpu = runs.map((r) => r.cpu), wall = runs.map((r) => r.wall);
  return PAIRS.map((p) => {
    const s = summarize(p, cpu, batches);
    return [
      p.name,
      s.base.toFixed(2),
      s.subject.toFixed(2),
      s.ratio.toFixed(3),
      `${s.p10.toFixed(2)}-${s.p90.toFixed(2)}`,
      `${s.lo.toFixed(3)}-${s.hi.toFixed(3)}`,
      `${(s.spread * 100).toFixed(0)}%`,
      verdict(s),
      summarize(p, wall, batches).ratio.toFixed(3),
    ];
  });
}

/** Head of {@linkcode pairRows}' table. */
export const PAIR_HEAD = [
  "comparison",
  "base ns/pkt",
  "subject ns/pkt",
  "subject/base",
  "samples p10-p90",
  "batches lo-hi",
  "spread",
  "verdict",
  "wall-clock ratio",
];

/** Runs {@linkcode measure} in a fresh process; its samples. */
async function measureInChild(samples: number): Promise<Samples> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      import.meta.filename!,
      "--child",
      "--samples",
      String(samples),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`a measuring process failed (${out.code})`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

async function main(): Promise<void> {
  const a = parseArgs(Deno.args, {
    string: ["procs", "samples"],
    boolean: ["child", "json"],
    default: { procs: "3", samples: "200" },
  });
  const procs = Number(a.procs), samples = Number(a.samples);
  if (!(procs >= 1 && samples >= 10 && Number.isInteger(procs + samples))) {
    console.error(
      "usage: deno run -A bench/packet_bench.ts [--procs N] [--samples N] " +
        "[--json]",
    );
    Deno.exit(2);
  }
  if (a.child) {
    console.log(JSON.stringify(measure(samples)));
    return;
  }
  const runs: Samples[] = [];
  for (let p = 0; p < procs; p++) runs.push(await measureInChild(samples));
  if (a.json) {
    console.log(JSON.stringify({
      pairs: PAIRS.map((p) => summarize(p, runs.map((r) => r.cpu))),
      wallClock: PAIRS.map((p) => summarize(p, runs.map((r) => r.wall))),
      singles: Object.fromEntries(
        Object.keys(SINGLES).map((
          n,
        ) => [n, median(runs.flatMap((s) => s.cpu[n]))]),
      ),
    }));
    return;
  }
  console.log(
    `lib/packet per packet: bursts of ${BURST} 60-byte UDP/IPv4 frames at a ` +
      `${STRIDE}-byte stride; ${procs} processes x ${samples} interleaved ` +
      `samples of ${REPS} bursts per loop, timed by thread CPU time; ` +
      `ratios taken within each sample (median, p10-p90), and the lowest ` +
      `and highest median of ${BATCHES} batches a process; spread = ` +
      `(highest - lowest) / median, too noisy to tell above ` +
      `${NOISY * 100}%\n`,
  );
  console.log(table(PAIR_HEAD, pairRows(runs)));
  console.log();
  console.log(table(
    ["alone", "ns/pkt (median)", "p10-p90"],
    Object.entries(SINGLES).map(([n, what]) => {
      const all = runs.flatMap((s) => s.cpu[n]);
      return [
        what,
        median(all).toFixed(2),
        `${quantile(all, 0.1).toFixed(2)}-${quantile(all, 0.9).toFixed(2)}`,
      ];
    }),
  ));
}

if (import.meta.main) await main();
