// deno-test: own process (it starts EAL in the test process)
/**
 * A Histogram in a memzone, across real DPDK processes: a primary lays out
 * two histograms in a memzone and fills one; a secondary process attaches
 * to the other (`Histogram.attach`: the layout comes from the header the
 * primary wrote) and fills it; the primary then reads it and merges both
 * into a third one, in the same memzone. The oracle is this test process
 * (no EAL): it regenerates the same seeded samples and builds the
 * histogram of their union in its own memory. The merge must equal it
 * exactly (every slot, count, overflow, min, max; the sums up to float
 * rounding), the secondary's histogram as read by the primary must equal
 * the one of its samples, and the merged percentiles must be within the
 * stated error of the exact ones. Own file prefix, nothing left behind.
 *
 * The child processes are this file, run with `deno run` (`primary` or
 * `secondary` as first argument).
 *
 * @module
 */

import { assert, assertEquals } from "@std/assert";
import {
  attachSecondary,
  cleanupEal,
  exactPercentile,
  Histogram,
  type HistogramOptions,
  initEal,
  Memzone,
  SeededRng,
} from "../mod.ts";
import { denoRun, ealArgs, type Proc, withGroup } from "../support/proc.ts";

const OPTIONS: HistogramOptions = {
  significantDigits: 3,
  lowest: 1,
  highest: 1e9,
};
const ZONE = "h12_hist_shm";
const SIZE = Histogram.bytesNeeded(OPTIONS);
const AT = { primary: 0, secondary: SIZE, merged: 2 * SIZE };
const SETS = {
  primary: { seed: 11, n: 200_000 },
  secondary: { seed: 23, n: 150_000 },
};
const PERCENTILES = [0, 0.1, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100];

/**
 * Seeded latency-like samples: log-uniform from 50 ns to 5 ms (fractions
 * of a ns included), small exact integers, repeats, and a few values past
 * the top bucket (overflow). The same on every process.
 */
function samples(seed: number, n: number): Float64Array {
  const rng = new SeededRng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    out[i] = u < 0.001
      ? 2e9 + rng.next() * 1e9 // past `highest`
      : u < 0.05
      ? rng.nextU32() % 3000 // integers below and around S = 2048
      : 50 * Math.exp(rng.next() * Math.log(1e5));
  }
  return out;
}

function record(h: Histogram, xs: Float64Array): void {
  for (let i = 0; i < xs.length; i++) h.record(xs[i]);
}

/** What a process reports of a histogram. */
interface Dump {
  count: number;
  overflow: number;
  min: number;
  max: number;
  sum: number;
  slots: [number, number][]; // non-empty: lower bound, count
  percentiles: number[];
}

function dump(h: Histogram): Dump {
  return {
    count: h.count,
    overflow: h.overflow,
    min: h.min,
    max: h.max,
    sum: h.sum,
    slots: [...h.buckets()].filter((b) => !b.overflow).map((
      b,
    ) => [b.lower, b.count]),
    percentiles: h.percentiles(PERCENTILES),
  };
}

/** Child: the primary. Lays out, fills its own, waits, merges, reports. */
async function primary(prefix: string): Promise<void> {
  using _eal = initEal(ealArgs(prefix, "-l", "0"), {
    removeFilesOnCleanup: true,
  });
  using zone = Memzone.reserve(ZONE, 3 * SIZE);
  const mine = new Histogram(OPTIONS, zone.buffer, AT.primary);
  new Histogram(OPTIONS, zone.buffer, AT.secondary); // the header, empty
  record(mine, samples(SETS.primary.seed, SETS.primary.n));
  console.log("ready");
  const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
  let input = "";
  for await (const chunk of lines) {
    input += chunk;
    if (input.includes("merge\n")) break;
  }
  const theirs = Histogram.attach(zone.buffer, AT.secondary);
  const merged = new Histogram(OPTIONS, zone.buffer, AT.merged);
  merged.merge(mine).merge(theirs);
  console.log(JSON.stringify({
    primary: dump(mine),
    secondary: dump(theirs),
    merged: dump(merged),
  }));
}

/** Child: the secondary. Attaches to the primary's histogram, fills it. */
async function secondary(prefix: string): Promise<void> {
  await attachSecondary(ealArgs(prefix, "--lcores=1@0"));
  try {
    const zone = Memzone.lookup(ZONE);
    const h = Histogram.attach(zone.buffer, AT.secondary);
    record(h, samples(SETS.secondary.seed, SETS.secondary.n));
    console.log(JSON.stringify(dump(h)));
  } finally {
    cleanupEal();
  }
}

if (import.meta.main) {
  const [role, prefix] = Deno.args;
  if (role === "primary") await primary(prefix);
  else if (role === "secondary") await secondary(prefix);
  else throw new Error(`role ${role}: primary or secondary`);
}

function jsonLine(p: Proc): unknown {
  const line = p.output.split("\n").find((l) => l.startsWith("{"));
  if (line === undefined) throw new Error(`no JSON line:\n${p.output}`);
  return JSON.parse(line);
}

function assertNoFiles(prefix: string): void {
  let dir = true;
  try {
    Deno.statSync(`/var/run/dpdk/${prefix}`);
  } catch {
    dir = false;
  }
  assert(!dir, `/var/run/dpdk/${prefix} left behind`);
  const huge = [...Deno.readDirSync("/dev/hugepages")]
    .filter((e) => e.name.startsWith(`${prefix}map_`)).map((e) => e.name);
  assertEquals(huge, [], "hugepage files left behind");
}

function assertSameHistogram(got: Dump, want: Dump, what: string): void {
  assertEquals(got.count, want.count, `${what}: count`);
  assertEquals(got.overflow, want.overflow, `${what}: overflow`);
  assertEquals(got.min, want.min, `${what}: min`);
  assertEquals(got.max, want.max, `${what}: max`);
  assertEquals(got.slots, want.slots, `${what}: slots`);
  assertEquals(got.percentiles, want.percentiles, `${what}: percentiles`);
  // sums added in another order: equal up to float rounding
  assert(
    Math.abs(got.sum - want.sum) <= Math.abs(want.sum) * 1e-12,
    `${what}: sum ${got.sum} vs ${want.sum}`,
  );
}

Deno.test("histogram in a memzone: a secondary fills, the primary merges", async () => {
  await withGroup("h12_hshm", async ({ prefix, track }) => {
    const module = "tests/histogram_shm_test.ts";
    const pri = track(denoRun(module, ["primary", prefix]));
    await pri.waitFor(/^ready$/m, 60_000);
    const sec = track(denoRun(module, ["secondary", prefix]));
    const secStatus = await sec.exit(60_000);
    assertEquals(secStatus.code, 0, sec.output);
    const secOwn = jsonLine(sec) as Dump;
    await pri.writeLine("merge");
    const priStatus = await pri.exit(60_000);
    assertEquals(priStatus.code, 0, pri.output);
    assertNoFiles(prefix); // the primary cleaned up after itself
    const got = jsonLine(pri) as Record<string, Dump>;

    // the oracle: the same samples, histograms in this process's memory
    const a = samples(SETS.primary.seed, SETS.primary.n);
    const b = samples(SETS.secondary.seed, SETS.secondary.n);
    const ha = new Histogram(OPTIONS), hb = new Histogram(OPTIONS);
    const union = new Histogram(OPTIONS);
    record(ha, a);
    record(hb, b);
    record(union, a);
    record(union, b);
    assert(union.overflow > 0 && union.count === a.length + b.length);

    assertSameHistogram(got.primary, dump(ha), "primary's histogram");
    // what the secondary wrote is what the primary read
    assertSameHistogram(secOwn, dump(hb), "secondary's own view");
    assertSameHistogram(
      got.secondary,
      dump(hb),
      "secondary's, read by primary",
    );
    assertSameHistogram(got.merged, dump(union), "merge vs union");

    // and within the stated error of the exact percentiles of the union
    const sorted = Float64Array.from([...a, ...b]).sort();
    const S = 2 ** union.subBucketBits;
    PERCENTILES.forEach((p, i) => {
      const exact = exactPercentile(sorted, p);
      const est = got.merged.percentiles[i];
      if (exact >= union.highestTrackable) {
        assertEquals(est, union.max, `p${p}: in the overflow`);
      } else if (exact >= S * union.unit) {
        assert(
          Math.abs(est - exact) <= exact * union.maxRelativeError,
          `p${p}: ${est} vs exact ${exact}`,
        );
      } else {
        assert(Math.abs(est - exact) < union.unit, `p${p}: ${est} vs ${exact}`);
      }
    });
  });
});
