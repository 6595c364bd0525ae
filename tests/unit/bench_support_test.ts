/**
 * The benchmarks' paired-round statistics (support/bench.ts): medians,
 * per-round ratios, spread and the verdicts. No DPDK, no shim.
 */
import { assertEquals, assertThrows } from "@std/assert";
import { pairedSummary, pairedTable } from "../../support/bench.ts";

Deno.test("pairedSummary: ratios per round, their median, range and spread", () => {
  const s = pairedSummary({
    name: "x",
    c: [100, 200, 100],
    ts: [90, 210, 100],
  });
  assertEquals(s.c, 100);
  assertEquals(s.ts, 100);
  assertEquals(s.ratio, 1);
  assertEquals([s.lo, s.hi], [0.9, 1.05]);
  assertEquals(Math.round(s.spread * 100), 15);
  assertEquals(s.noisy, false);
  // lower is better: C/TS
  assertEquals(
    pairedSummary({ name: "l", c: [10], ts: [20], lowerIsBetter: true }).ratio,
    0.5,
  );
  assertThrows(() => pairedSummary({ name: "b", c: [1], ts: [] }), RangeError);
});

Deno.test("pairedTable: meets, below, a tie within the range, too noisy", () => {
  const rows = [
    { name: "meets", c: [100, 100, 100], ts: [101, 100, 102] },
    { name: "tie", c: [100, 100, 100], ts: [99, 99.5, 101] },
    { name: "below", c: [100, 100, 100], ts: [80, 82, 81] },
    { name: "noisy", c: [100, 100, 100], ts: [60, 100, 140] },
  ];
  const verdicts = pairedTable(rows, "Mpps", undefined, {
    meets: 1,
    tie: 1,
    below: 0.95,
    noisy: 1,
  }).split("\n").slice(2).map((l) => l.split(" | ").at(-1)!.replace(" |", ""));
  assertEquals(verdicts, [
    "meets >= 1",
    "below 1, within the rounds' range",
    "below 0.95",
    "too noisy to tell (spread > 20%)",
  ]);
});
