/**
 * Pure tests of lib/measure: histogram against exact percentiles, rate
 * schedules against their distributions, stats output per schema, plots
 * parsed as XML. No root, no shim, no permissions:
 *
 *   deno test tests/unit/measure_test.ts
 */
import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertRejects,
  assertThrows,
} from "@std/assert";
import { XMLValidator } from "fast-xml-parser";
import {
  exactPercentile,
  Histogram,
  type HistogramBucket,
  portCounters,
  RateSchedule,
  SeededRng,
  STATS_COLUMNS,
  StatsReporter,
  type StatsRow,
  StatsSeries,
  type TextSink,
  wireBits,
} from "../../lib/measure/mod.ts";
import { renderReport, throughputFromRows, writeReport } from "../../plot.ts";

const PS = [0, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100];

/** Seeded sample sets of different shapes. */
function distributions(n: number): Record<string, number[]> {
  const r = new SeededRng(42);
  const normal = () => {
    const u = 1 - r.next(), v = r.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const gen = (f: () => number) => Array.from({ length: n }, f);
  return {
    uniform: gen(() => r.next() * 1e6),
    exponential: gen(() => r.exponential(5_000)),
    lognormal: gen(() => Math.exp(8 + 1.5 * normal())),
    bimodal: gen(() =>
      r.next() < 0.9 ? 800 + 50 * normal() ** 2 : 2e5 * r.next()
    ),
    smallIntegers: gen(() => Math.floor(r.next() * 300)),
    cycles: gen(() =>
      Math.round(3000 + r.exponential(400) + (r.next() < 0.001 ? 1e7 : 0))
    ),
  };
}

/**
 * The error bound the histogram states for a sample `x`: x/S at or above
 * S·unit, one unit below, none for a multiple of the unit below S·unit.
 */
function bound(h: Histogram, x: number): number {
  const S = 1 / h.maxRelativeError;
  if (x >= S * h.unit) return x * h.maxRelativeError;
  return x % h.unit === 0 ? 0 : h.unit;
}

function assertWithinBound(h: Histogram, samples: number[], label: string) {
  const sorted = Float64Array.from(samples).sort();
  const got = h.percentiles(PS);
  PS.forEach((p, i) => {
    const exact = exactPercentile(sorted, p);
    const err = Math.abs(got[i] - exact);
    assert(
      err <= bound(h, exact) * (1 + 1e-12) + 1e-12,
      `${label} p${p}: ${got[i]} vs exact ${exact}, error ${err} > ${
        bound(h, exact)
      }`,
    );
    assertEquals(h.percentile(p), got[i]);
  });
  assertEquals(h.count, samples.length);
  assertEquals(h.min, sorted[0]);
  assertEquals(h.max, sorted[sorted.length - 1]);
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  assertAlmostEquals(h.mean, mean, Math.abs(mean) * 1e-9);
}

Deno.test("histogram: percentiles within the stated error of exact ones", () => {
  for (const digits of [1, 2, 3]) {
    for (const [name, samples] of Object.entries(distributions(50_000))) {
      const h = new Histogram({ significantDigits: digits, highest: 1e9 });
      assert(h.maxRelativeError <= 0.5 * 10 ** -digits);
      assertEquals(h.maxRelativeError, 2 ** -h.subBucketBits);
      for (const v of samples) h.record(v);
      assertEquals(h.overflow, 0);
      assertWithinBound(h, samples, `${name}/${digits} digits`);
    }
  }
});

Deno.test("histogram: a fractional unit; integers below S·unit are exact", () => {
  const h = new Histogram({
    significantDigits: 2,
    lowest: 1 / 16,
    highest: 1e4,
  });
  assertEquals(h.unit, 1 / 16);
  const samples = distributions(20_000).exponential.map((v) => v / 1000);
  for (const v of samples) h.record(v);
  assertWithinBound(h, samples, "fractional");
  // unit 1: every integer below S has a slot of its own, percentiles exact
  const g = new Histogram({ significantDigits: 3 });
  const ints = distributions(10_000).smallIntegers;
  for (const v of ints) g.record(v);
  const sorted = Float64Array.from(ints).sort();
  for (const p of PS) assertEquals(g.percentile(p), exactPercentile(sorted, p));
});

Deno.test("histogram: recordN equals n records", () => {
  const a = new Histogram(), b = new Histogram();
  a.recordN(1234.5, 7);
  a.recordN(99, 0);
  for (let i = 0; i < 7; i++) b.record(1234.5);
  assertEquals([...a.buckets()], [...b.buckets()]);
  assertEquals(a.toJSON(), b.toJSON());
});

function bucketsOf(h: Histogram): HistogramBucket[] {
  return [...h.buckets()];
}

Deno.test("histogram: merge equals the histogram of the union", () => {
  const d = distributions(30_000);
  const union = new Histogram({ highest: 1e8 });
  const parts = [
    new Histogram({ highest: 1e8 }),
    new Histogram({ highest: 1e8 }),
    new Histogram({ highest: 1e8 }),
  ];
  const all = [...d.lognormal, ...d.bimodal, ...d.cycles];
  all.forEach((v, i) => {
    union.record(v);
    parts[i % 3].record(v);
  });
  const merged = new Histogram({ highest: 1e8 });
  for (const p of parts) merged.merge(p);
  assertEquals(bucketsOf(merged), bucketsOf(union));
  assertEquals(merged.count, union.count);
  assertEquals(merged.min, union.min);
  assertEquals(merged.max, union.max);
  assertEquals(merged.overflow, union.overflow);
  assertAlmostEquals(merged.mean, union.mean, union.mean * 1e-9);
  assertEquals(merged.percentiles(PS), union.percentiles(PS));
  // a smaller range: slots past its top become overflow, max stays exact
  const small = new Histogram({ highest: 1e5 }).merge(union);
  assertEquals(small.count, union.count);
  assertEquals(
    small.overflow,
    all.filter((v) => v >= small.highestTrackable).length,
  );
  assertEquals(small.max, union.max);
  // another layout: placed by slot midpoints, within both errors
  const coarse = new Histogram({ significantDigits: 2, highest: 1e8 }).merge(
    union,
  );
  const sorted = Float64Array.from(all).sort();
  for (const p of PS) {
    const exact = exactPercentile(sorted, p);
    const err = Math.abs(coarse.percentile(p) - exact);
    assert(err <= bound(coarse, exact) + bound(union, exact), `coarse p${p}`);
  }
});

Deno.test("histogram: empty, one sample, past the top bucket, bad values", () => {
  const h = new Histogram({ highest: 1e6 });
  assertEquals(h.count, 0);
  assertEquals(h.percentiles([0, 50, 100]), [0, 0, 0]);
  assertEquals(h.toJSON(), {
    count: 0,
    min: 0,
    mean: 0,
    stddev: 0,
    p50: 0,
    p90: 0,
    p99: 0,
    p99_9: 0,
    max: 0,
    overflow: 0,
  });
  assertEquals(bucketsOf(h), []);
  assertEquals(h.cdf(), []);

  h.record(123_456.7);
  for (const p of PS) assertEquals(h.percentile(p), 123_456.7);
  assertEquals(h.toJSON().p99_9, 123_456.7);
  assertEquals(h.stddev, 0);

  assert(h.highestTrackable > 1e6);
  h.reset();
  const over = h.highestTrackable * 5 + 0.5;
  for (let i = 0; i < 9; i++) h.record(100);
  h.record(over);
  assertEquals(h.count, 10);
  assertEquals(h.overflow, 1);
  assertEquals(h.max, over);
  assertEquals(h.percentile(90), 100);
  assertEquals(h.percentile(95), over); // the rank falls among the overflow
  assertEquals(h.percentile(100), over);
  const last = bucketsOf(h).at(-1)!;
  assertEquals([last.overflow, last.count, last.cumulative, last.upper], [
    true,
    1,
    10,
    over,
  ]);
  h.record(h.highestTrackable); // the top itself overflows
  assertEquals(h.overflow, 2);

  for (const bad of [-1, NaN, Infinity, -Infinity]) {
    assertThrows(() => h.record(bad), RangeError, "finite and >= 0");
  }
  assertThrows(() => h.percentile(101), RangeError, "from 0 to 100");
  assertThrows(
    () => new Histogram({ significantDigits: 6 }),
    RangeError,
    "significantDigits",
  );
  assertThrows(() => new Histogram({ highest: 0.5 }), RangeError, "highest");
  assertEquals(h.count, 11);
});

Deno.test("histogram: buckets and cdf cover every sample in order", () => {
  const h = new Histogram({ significantDigits: 2 });
  const s = distributions(5_000).lognormal;
  for (const v of s) h.record(v);
  const b = bucketsOf(h);
  assertEquals(b.reduce((a, x) => a + x.count, 0), s.length);
  assertEquals(b.at(-1)!.cumulative, s.length);
  for (let i = 1; i < b.length; i++) assert(b[i].lower >= b[i - 1].upper);
  for (const x of b) {
    const inside = s.filter((v) => v >= x.lower && v < x.upper).length;
    assertEquals(inside, x.count, `slot [${x.lower}, ${x.upper})`);
  }
  const cdf = h.cdf();
  assertEquals(cdf[0], { value: h.min, fraction: 0 });
  assertEquals(cdf.at(-1), { value: h.max, fraction: 1 });
  assertEquals(bucketsOf(h).length, b.length);
  assertEquals([...h.buckets(true)].length, h.slots);
});

Deno.test("histogram: lives in a buffer at an offset, as in a memzone", () => {
  const opts = { significantDigits: 2, highest: 1e7 };
  const need = Histogram.bytesNeeded(opts);
  const offset = 40;
  // a memzone is zeroed on reserve; guard bytes around the histogram
  const buffer = new ArrayBuffer(offset + need + 16);
  const bytes = new Uint8Array(buffer);
  bytes.fill(0xab, 0, offset);
  bytes.fill(0xcd, offset + need);
  const writer = new Histogram(opts, buffer, offset);
  const local = new Histogram(opts);
  const samples = distributions(20_000).exponential;
  for (const v of samples) {
    writer.record(v);
    local.record(v);
  }
  assert(bytes.subarray(0, offset).every((b) => b === 0xab), "bytes before");
  assert(bytes.subarray(offset + need).every((b) => b === 0xcd), "bytes after");
  // another process attaches by the header; another constructor keeps counts
  const reader = Histogram.attach(buffer, offset);
  assertEquals(reader.toJSON(), local.toJSON());
  assertEquals(bucketsOf(reader), bucketsOf(local));
  assertEquals(new Histogram(opts, buffer, offset).count, samples.length);
  // a view of the same memory (what getArrayBuffer gives a second process)
  const copyView = new Uint8Array(buffer, offset, need).slice().buffer;
  assertEquals(Histogram.attach(copyView).toJSON(), local.toJSON());
  assertThrows(
    () => new Histogram({ significantDigits: 3, highest: 1e7 }, buffer, offset),
    RangeError,
    "another layout",
  );
  assertThrows(
    () => new Histogram(opts, buffer, 4),
    RangeError,
    "multiple of 8",
  );
  assertThrows(
    () => new Histogram(opts, buffer, offset + 24),
    RangeError,
    `needs ${need} bytes`,
  );
  assertThrows(() => Histogram.attach(buffer, 0), RangeError, "no histogram");
  writer.reset();
  assertEquals(reader.count, 0);
  assertEquals(bucketsOf(reader), []);
});

// A Worker's module needs read permission: this one runs under `deno test -A`
// (CI), and is reported as ignored in a run without permissions.
const WORKER = new URL("./_measure_worker.ts", import.meta.url);
const canRead =
  (await Deno.permissions.query({ name: "read", path: WORKER })).state ===
    "granted";

Deno.test({
  name: "histogram: a worker fills a shared buffer, the main thread reads it",
  ignore: !canRead,
}, async () => {
  const opts = { significantDigits: 3, highest: 1e9 };
  const offset = 64;
  const buffer = new SharedArrayBuffer(offset + Histogram.bytesNeeded(opts));
  new Histogram(opts, buffer, offset); // the primary creates it
  const w = new Worker(WORKER, { type: "module" });
  try {
    const done = new Promise((resolve, reject) => {
      w.onmessage = (e) => resolve(e.data);
      w.onerror = (e) => {
        e.preventDefault();
        reject(new Error(e.message));
      };
    });
    w.postMessage({ buffer, offset, n: 100_000, seed: 7 });
    assertEquals(await done, "done");
  } finally {
    w.terminate();
  }
  const expected = new Histogram(opts);
  const rng = new SeededRng(7);
  for (let i = 0; i < 100_000; i++) expected.record(rng.exponential(20_000));
  const got = Histogram.attach(buffer, offset);
  assertEquals(got.count, 100_000);
  assertEquals(bucketsOf(got), bucketsOf(expected));
  assertEquals(got.toJSON(), expected.toJSON());
});

// ---------------------------------------------------------------- rate

Deno.test("rng: seeded, reproducible, uniform", () => {
  const a = new SeededRng(123), b = new SeededRng(123), c = new SeededRng(124);
  let same = 0, sum = 0;
  for (let i = 0; i < 100_000; i++) {
    const x = a.next();
    assert(x >= 0 && x < 1);
    assertEquals(x, b.next());
    if (x === c.next()) same++;
    sum += x;
  }
  assertEquals(same, 0);
  assertAlmostEquals(sum / 100_000, 0.5, 0.005);
});

/** The due times of the first n packets of a schedule. */
function sendTimes(s: RateSchedule, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    out.push(s.nextAt);
    s.advance(1);
  }
  return out;
}

Deno.test("rate: constant packet rate gives exact gaps", () => {
  const s = new RateSchedule({ pps: 1e6, hz: 2.5e9, start: 1000, burst: 8 });
  assertEquals(s.gap, 2500);
  const t = sendTimes(s, 10_000);
  t.forEach((x, i) => assertEquals(x, 1000 + i * 2500));
  // due counts, bounded by the burst
  const d = new RateSchedule({ pps: 1e6, hz: 2.5e9, start: 1000, burst: 8 });
  assertEquals(d.dueNow(999), 0);
  assertEquals(d.dueNow(1000), 1);
  assertEquals(d.dueNow(1000 + 2500 * 5), 6);
  assertEquals(d.dueNow(1e12), 8);
  d.advance(6);
  assertEquals(d.dueNow(1000 + 2500 * 5), 0);
  assertEquals(d.dueNow(1000 + 2500 * 6), 1);
  assertEquals(d.nextAt, 1000 + 2500 * 6);
});

Deno.test("rate: constant bit rate gap from wire bits", () => {
  assertEquals(wireBits(60), 672); // 60 B + 4 B FCS + 20 B preamble/SFD/IFG
  const s = new RateSchedule({
    bitsPerSecond: 10e9,
    frameBytes: 60,
    hz: 1e9,
    start: 0,
  });
  assertAlmostEquals(s.pps, 14_880_952.38, 0.01);
  assertAlmostEquals(s.gap, 67.2, 1e-9);
  const t = sendTimes(s, 1000);
  assertAlmostEquals(t[999] - t[0], 999 * 67.2, 1e-6);
  const r = s.report(1000 * 67.2);
  assertAlmostEquals(r.requestedBps, 10e9, 1);
  assertThrows(() => new RateSchedule({ hz: 1e9 }), RangeError, "one of pps");
  assertThrows(
    () => new RateSchedule({ hz: 1e9, pps: 0 }),
    RangeError,
    "positive",
  );
});

Deno.test("rate: Poisson gaps have the mean and variance of an exponential", () => {
  const n = 100_000, hz = 3e9, pps = 250_000, mean = hz / pps;
  const s = new RateSchedule({ pps, hz, poisson: true, seed: 99, start: 0 });
  const t = sendTimes(s, n + 1);
  let sum = 0, sq = 0, above = 0;
  for (let i = 1; i <= n; i++) {
    const g = t[i] - t[i - 1];
    assert(g >= 0);
    sum += g;
    sq += g * g;
    if (g > mean) above++;
  }
  const m = sum / n, v = sq / n - m * m;
  // standard errors: mean 0.32 %, variance 0.9 %; tolerances about 5 of them
  assertAlmostEquals(m / mean, 1, 0.015);
  assertAlmostEquals(v / (mean * mean), 1, 0.05);
  assertAlmostEquals(above / n, Math.exp(-1), 0.01); // P(gap > mean) = 1/e
  // the seed decides the sequence
  const again = sendTimes(
    new RateSchedule({ pps, hz, poisson: true, seed: 99, start: 0 }),
    100,
  );
  assertEquals(again, t.slice(0, 100));
  const other = sendTimes(
    new RateSchedule({ pps, hz, poisson: true, seed: 98, start: 0 }),
    100,
  );
  assert(other.some((x, i) => x !== t[i]));
});

Deno.test("rate: a paced loop on a fake clock meets the rate; report", () => {
  const hz = 2e9, pps = 2e6;
  for (const poisson of [false, true]) {
    let now = 5e6;
    const s = new RateSchedule({
      pps,
      hz,
      burst: 32,
      poisson,
      clock: () => now,
    });
    const rng = new SeededRng(3);
    let sent = 0, lateSum = 0, lateSq = 0, lateMax = 0;
    // the due times, one packet at a time on a twin schedule
    const twin = new RateSchedule({ pps, hz, burst: 1, poisson, start: 5e6 });
    const due = new Float64Array(pps * 1.1);
    for (let i = 0; i < due.length; i++) {
      due[i] = twin.nextAt;
      twin.advance(1);
    }
    while (now < 5e6 + hz) { // one second of fake time, irregular loop steps
      const n = s.dueNow();
      let expect = 0;
      while (expect < 32 && due[sent + expect] <= now) expect++;
      assertEquals(n, expect);
      if (n > 0) {
        for (let j = 0; j < n; j++) {
          const late = now - due[sent + j];
          lateSum += late;
          lateSq += late * late;
          lateMax = Math.max(lateMax, late);
        }
        s.advance(n);
        sent += n;
      }
      now += 200 + rng.next() * 3000;
    }
    const r = s.report();
    assertEquals(r.packets, sent);
    assertAlmostEquals(r.seconds, 1, 3200 / hz);
    assert(
      Math.abs(r.errorPct) < (poisson ? 0.5 : 0.1),
      `rate error ${r.errorPct} %`,
    );
    assertAlmostEquals(r.gapMeanNs, 500, poisson ? 3 : 1);
    const ns = 1e9 / hz, mean = lateSum / sent;
    assertAlmostEquals(r.lateMeanNs, mean * ns, 1e-6);
    assertAlmostEquals(
      r.lateStddevNs,
      Math.sqrt(lateSq / sent - mean * mean) * ns,
      1e-3,
    );
    assertAlmostEquals(r.lateMaxNs, lateMax * ns, 1e-6);
    assert(r.lateMaxNs <= 3200 * ns + 1, `late ${r.lateMaxNs}`);
    assert(r.lateMeanNs > 0 && r.lateStddevNs > 0 && r.gapStddevNs > 0);
  }
  // per packet (burst 1) on time: the gaps are the schedule's, no jitter
  const p = new RateSchedule({ pps: 1e3, hz: 1e6, burst: 1, start: 0 });
  for (let i = 0; i < 100; i++) {
    const at = p.nextAt;
    assertEquals(p.dueNow(at - 1), 0);
    assertEquals(p.dueNow(at), 1);
    p.advance(1, at);
  }
  const q = p.report(100 * 1000);
  assertEquals(q.achievedPps, 1e3);
  assertAlmostEquals(q.gapMeanNs, 1e6, 1e-6);
  assertAlmostEquals(q.gapStddevNs, 0, 1e-3);
  assertEquals([q.lateMeanNs, q.lateMaxNs], [0, 0]);
  assertThrows(
    () => new RateSchedule({ pps: 1, hz: 1 }).dueNow(),
    RangeError,
    "no start",
  );
});

// ---------------------------------------------------------------- stats

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function hasControlCodes(text: string): boolean {
  return text.includes("\r") || text.includes("\x1b");
}

function fakeSink(terminal: boolean): TextSink & { text: string } {
  return {
    text: "",
    write(t: string) {
      this.text += t;
    },
    isTerminal: () => terminal,
  };
}

/** A reporter over a script counter and a fake port, on a fake clock. */
function fakeRun(outputs: ConstructorParameters<typeof StatsReporter>[1]) {
  let now = 10, tx = 0;
  const port = {
    rx: 0,
    stats: () => ({ ipackets: port.rx, opackets: 7, qIpackets: [1] }),
  };
  const rep = new StatsReporter(
    { "sent,total": () => tx, port0: () => port.stats() },
    { ...outputs, clock: () => now },
  );
  rep.start();
  for (let i = 1; i <= 3; i++) {
    now += 0.5;
    tx += 1000 * i;
    port.rx += 10;
    rep.sample();
  }
  return rep.finish();
}

const NAMES = ["sent,total", "port0.ipackets", "port0.opackets"];

function csvSplit(line: string): string[] {
  return [...line.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)]
    .slice(0, -1)
    .map((m) =>
      m[1].startsWith('"') ? m[1].slice(1, -1).replaceAll('""', '"') : m[1]
    );
}

Deno.test("stats: CSV has the documented header and columns", () => {
  const sink = fakeSink(true); // CSV stays plain even on a terminal
  const totals = fakeRun({ outputs: [{ sink, format: "csv" }] });
  const lines = sink.text.trimEnd().split("\n");
  assertEquals(lines[0], "time,kind,name,total,delta,rate");
  assertEquals(STATS_COLUMNS.join(","), lines[0]);
  const rows = lines.slice(1).map(csvSplit);
  assertEquals(rows.length, 3 * 3 + 3);
  for (const r of rows) assertEquals(r.length, STATS_COLUMNS.length);
  assertEquals(rows.slice(0, 3), [
    ["0.5", "interval", "sent,total", "1000", "1000", "2000"],
    ["0.5", "interval", "port0.ipackets", "10", "10", "20"],
    ["0.5", "interval", "port0.opackets", "0", "0", "0"],
  ]);
  assertEquals(rows[6], [
    "1.5",
    "interval",
    "sent,total",
    "6000",
    "3000",
    "6000",
  ]);
  assertEquals(rows.slice(9), [
    ["1.5", "total", "sent,total", "6000", "6000", "4000"],
    ["1.5", "total", "port0.ipackets", "30", "30", "20"],
    ["1.5", "total", "port0.opackets", "0", "0", "0"],
  ]);
  assertEquals(totals.map((r) => r.name), NAMES);
  assert(!hasControlCodes(sink.text));
});

Deno.test("stats: JSON Lines parse, keys in schema order", () => {
  const sink = fakeSink(false);
  fakeRun({ outputs: [{ sink, format: "jsonl" }] });
  const objs = sink.text.trimEnd().split("\n").map((l) =>
    JSON.parse(l) as StatsRow
  );
  assertEquals(objs.length, 12);
  for (const o of objs) assertEquals(Object.keys(o), [...STATS_COLUMNS]);
  assertEquals(objs[3], {
    time: 1,
    kind: "interval",
    name: "sent,total",
    total: 3000,
    delta: 2000,
    rate: 4000,
  });
  assertEquals(
    objs.filter((o) => o.kind === "total").map((o) => o.name),
    NAMES,
  );
});

Deno.test("stats: text is plain when not a terminal, one live line on one", () => {
  const pipe = fakeSink(false);
  fakeRun({ outputs: [{ sink: pipe }] });
  assert(!hasControlCodes(pipe.text), "control codes in piped output");
  const lines = pipe.text.trimEnd().split("\n");
  assertEquals(lines.length, 3 + 1 + 3);
  assert(lines[0].includes("sent,total 2.000k/s (1.000k)"), lines[0]);
  assert(lines[3].startsWith("total after 1.500 s"), lines[3]);

  const tty = fakeSink(true);
  fakeRun({ outputs: [{ sink: tty }] });
  assertEquals(tty.text.split("\r\x1b[2K").length - 1, 3);
  assertEquals(tty.text.split("\n")[0].split("\r\x1b[2K").length, 4); // one line, rewritten
  assert(tty.text.includes("\ntotal after 1.500 s"));

  const narrow = { ...fakeSink(true), columns: () => 30 };
  fakeRun({ outputs: [{ sink: narrow }] });
  for (const l of narrow.text.split("\n")[0].split("\r\x1b[2K").slice(1)) {
    assertEquals(l.length, 29); // cut to the terminal's width, one line
  }

  const forced = fakeSink(true);
  fakeRun({ outputs: [{ sink: forced, live: false }] });
  assert(!hasControlCodes(forced.text));
});

Deno.test("stats: portCounters reads the chosen fields in one call", () => {
  let calls = 0;
  const port = {
    stats: () => {
      calls++;
      return {
        ipackets: 5,
        opackets: 6,
        ibytes: 300,
        imissed: 1,
        qIpackets: [5],
      };
    },
  };
  const src = portCounters(port, ["ipackets", "opackets", "imissed"]);
  assertEquals(src(), { ipackets: 5, opackets: 6, imissed: 1 });
  assertEquals(calls, 1);
  assertThrows(() => portCounters(port, ["obytes"])(), TypeError, "'obytes'");
  const series = new StatsSeries({
    p0: portCounters(port, ["ipackets", "opackets"]),
  }, {
    clock: () => 0,
  });
  series.start();
  assertEquals(series.names, ["p0.ipackets", "p0.opackets"]);
});

Deno.test("stats: quiet writes only the totals; tick samples per interval", () => {
  const sink = fakeSink(true);
  fakeRun({ outputs: [{ sink, quiet: true }] });
  assertEquals(sink.text.split("\n")[0], "total after 1.500 s:");
  assert(!hasControlCodes(sink.text));

  let now = 0, c = 0;
  const out = fakeSink(false);
  const rep = new StatsReporter({ c: () => c }, {
    outputs: [{ sink: out, format: "csv" }],
    interval: 1,
    clock: () => now,
  });
  rep.start();
  let sampled = 0;
  for (; now < 5.05; now += 0.1) {
    if (rep.tick()) sampled++;
    c += 10; // during the next 0.1 s
  }
  assertEquals(sampled, 5);
  assertEquals(rep.series.rows.length, 5);
  const tp = throughputFromRows(rep.series.rows);
  assertEquals(tp.length, 5);
  for (const p of tp) assertAlmostEquals(p.value, 100, 1e-6);
  // the totals read the counters at finish, past the last sample
  c += 7;
  now += 0.3;
  const [total] = rep.finish();
  assertEquals([total.kind, total.total, total.time], [
    "total",
    c,
    round3(now),
  ]);
  assert(out.text.endsWith(`total,c,${c},${c},${round3(c / now)}\n`), out.text);
});

// ---------------------------------------------------------------- plot

function assertSelfContained(html: string) {
  assert(
    !/\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i.test(html),
    "external src/href",
  );
  assert(!/<script|<link|<iframe|@import|url\(/i.test(html), "loads something");
}

Deno.test("plot: SVG and HTML parse and hold the series and marks", async () => {
  const rows: { t: number; series: string; value: number }[] = [];
  for (let t = 1; t <= 10; t++) {
    rows.push({ t, series: "tx pps", value: 1e6 + t * 1000 });
    rows.push({ t, series: "rx pps", value: 0.99e6 });
  }
  const h = new Histogram();
  for (const v of distributions(20_000).cycles) h.record(v);
  const r = await renderReport({
    title: "ring <latency> & rate",
    throughput: rows,
    latency: h,
    latencyUnit: "cycles",
  });
  assertEquals(XMLValidator.validate(r.svg), true);
  assert(r.svg.startsWith("<svg"));
  for (
    const s of [
      "tx pps",
      "rx pps",
      "p50",
      "p99",
      "p99.9",
      "Throughput over time",
      "latency (cycles)",
    ]
  ) {
    assert(r.svg.includes(`>${s}<`), `SVG lacks '${s}'`);
  }
  assert(
    (r.svg.match(/class="mark-line role-mark/g) ?? []).length >= 2,
    "line marks",
  );
  assert(r.svg.includes('class="mark-rule role-mark'), "percentile rules");
  assertEquals(XMLValidator.validate(r.html), true);
  assertSelfContained(r.html);
  assert(r.html.includes("<title>ring &lt;latency&gt; &amp; rate</title>"));
  assert(r.html.includes(r.svg));
  assertEquals(r.latency!.p99, h.percentile(99));
  assert(r.html.includes(`<td>${h.count}</td>`));
});

Deno.test("plot: raw samples, one chart alone, refusals", async () => {
  const samples = distributions(10_000).exponential;
  const r = await renderReport({ latency: samples });
  assertEquals(XMLValidator.validate(r.svg), true);
  assertEquals(r.latency!.count, samples.length);
  const sorted = Float64Array.from(samples).sort();
  assertEquals(r.latency!.p99_9, exactPercentile(sorted, 99.9));
  assert(!r.svg.includes("Throughput"));
  assertSelfContained(r.html);
  const t = await renderReport({
    throughput: [{ t: 0, series: "a", value: 1 }],
  });
  assert(t.svg.includes(">a<") && !t.svg.includes("Latency"));
  await assertRejects(() => renderReport({}), RangeError, "needs throughput");
  await assertRejects(
    () => writeReport("out.png", { latency: [1] }),
    RangeError,
    ".svg, .html",
  );
});
