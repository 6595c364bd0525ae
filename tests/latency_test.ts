/**
 * examples/latency.ts on real DPDK: a primary paces and timestamps, a
 * secondary process (the same script) reflects. Checked: every packet sent
 * comes back and was reflected once, in order; both latency summaries are
 * positive and ordered; the per-second CSV and JSON Lines follow
 * `STATS_COLUMNS`, one row per second per counter, and their totals are
 * the run's counts; the report parses as XML (SVG) or as well-formed,
 * self-contained HTML (fast-xml-parser is the judge) and draws the series
 * it names; piped output has no terminal control codes; SIGINT drains,
 * stops the reflector and cleans up; bad options are refused before EAL
 * starts; nothing is left in /var/run/dpdk or /dev/hugepages.
 *
 * @module
 */

import { assert, assertEquals } from "@std/assert";
import { XMLParser, XMLValidator } from "fast-xml-parser";
// deno.json maps no "@std/csv" (deno-std ships no type declarations: the
// parser is typed below)
// deno-lint-ignore no-import-prefix
import { parse as parseCsvText } from "npm:deno-std@1.4.0/csv/parse.js";
import { denoRun, type Proc, removePrefixFiles } from "../support/proc.ts";
import { STATS_COLUMNS } from "../mod.ts";

const SCRIPT = "examples/latency.ts";
const COUNTERS = ["sent", "received", "reflected"];
let runs = 0;

/** A file prefix of this test's own. */
function prefix(): string {
  return `h12lat_${Deno.pid}_${runs++}`;
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

function assertGone(pid: number): void {
  let alive = true;
  try {
    Deno.statSync(`/proc/${pid}`);
  } catch {
    alive = false;
  }
  assert(!alive, `the reflector (pid ${pid}) still runs`);
}

/**
 * Starts the example in its own group; after `fn` (which checks the
 * cleanup itself), kills what is left and removes the group's files, so
 * that a failed run leaves nothing behind either.
 */
async function withRun(
  app: string[],
  fn: (p: Proc, prefix: string) => Promise<void>,
): Promise<void> {
  const pre = prefix();
  const p = denoRun(SCRIPT, [`--file-prefix=${pre}`, "--", ...app]);
  try {
    await fn(p, pre);
  } finally {
    p.kill("SIGKILL");
    await p.exit(5000);
    // a reflector orphaned by the kill ends when its primary is gone
    for (const m of p.output.matchAll(/reflector pid (\d+)/g)) {
      await waitGone(Number(m[1]));
    }
    await removePrefixFiles(pre);
  }
}

async function waitGone(pid: number, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try {
      Deno.statSync(`/proc/${pid}`);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  assertGone(pid);
}

type Summary = Record<string, number>;
interface Result {
  example: string;
  rate: number;
  sent: number;
  received: number;
  lost: number;
  reflected: number;
  reordered: number;
  clockSkew: number;
  achievedPps: number;
  rttNs: Summary;
  oneWayNs: Summary;
  reflector: { pid: number; exitCode: number };
}

/** The one JSON line, at the end of standard output. */
function resultOf(p: Proc): Result {
  const lines = p.output.split("\n").filter((l) => l.startsWith('{"example":'));
  assertEquals(lines.length, 1, `not one JSON line:\n${p.output}`);
  const r = JSON.parse(lines[0]) as Result;
  assertEquals(r.example, "latency");
  return r;
}

/** Counts, percentiles and the reflector's exit, for any finished run. */
function checkResult(r: Result): void {
  assert(r.sent > 0, "nothing sent");
  assertEquals(r.received, r.sent, "not every packet came back");
  assertEquals(r.lost, 0);
  assertEquals(r.reflected, r.sent, "reflected count");
  assertEquals(r.reordered, 0, "rings keep the order");
  for (const [name, h] of [["rtt", r.rttNs], ["oneWay", r.oneWayNs]] as const) {
    assertEquals(h.count, r.sent, `${name} samples`);
    assertEquals(h.overflow, 0, `${name} overflow`);
    const seq = [h.min, h.p50, h.p90, h.p99, h.p99_9, h.max];
    assert(h.p50 > 0, `${name} p50 not positive: ${JSON.stringify(h)}`);
    for (let i = 1; i < seq.length; i++) {
      assert(seq[i - 1] <= seq[i], `${name} not ordered: ${seq}`);
    }
  }
  // a packet's one-way trip is part of its round trip: so is each
  // quantile (up to the histogram's error, 1/2048)
  for (const k of ["p50", "p90", "p99", "max"]) {
    assert(
      r.oneWayNs[k] <= r.rttNs[k] * (1 + 1 / 2048),
      `one-way ${k} ${r.oneWayNs[k]} > round trip ${r.rttNs[k]}`,
    );
  }
  assertEquals(r.reflector.exitCode, 0, "the reflector's exit");
  assertGone(r.reflector.pid);
}

/** Every element of a fast-xml-parser `preserveOrder` tree, depth first. */
function* elements(
  nodes: unknown[],
): Generator<{ tag: string; attrs: Record<string, string>; kids: unknown[] }> {
  for (const n of nodes as Record<string, unknown>[]) {
    for (const [tag, kids] of Object.entries(n)) {
      if (tag === ":@" || tag === "#text") continue;
      const attrs = (n[":@"] ?? {}) as Record<string, string>;
      yield { tag, attrs, kids: kids as unknown[] };
      yield* elements(kids as unknown[]);
    }
  }
}

/** The text directly inside an element. */
function textOf(kids: unknown[]): string {
  return (kids as Record<string, unknown>[])
    .map((k) => k["#text"] ?? "").join("");
}

/** Checks the report's SVG: the series and the samples it claims. */
function checkSvg(svg: string, r: Result, seconds: number): void {
  assertEquals(XMLValidator.validate(svg), true, "SVG is not well-formed XML");
  const tree = new XMLParser({ ignoreAttributes: false, preserveOrder: true })
    .parse(svg);
  const all = [...elements(tree)];
  assertEquals(all[0].tag, "svg");
  const cls = (e: { attrs: Record<string, string> }) =>
    e.attrs["@_class"] ?? "";
  const texts = (role: string) =>
    all.filter((e) => cls(e).includes(role)).flatMap((g) =>
      [...elements(g.kids)].filter((e) => e.tag === "text").map((e) =>
        textOf(e.kids)
      )
    );
  // throughput: one line per counter, one point per counter per second
  assertEquals(texts("role-legend-label").sort(), [...COUNTERS].sort());
  const lines = all.filter((e) => /mark-line role-mark concat_0_/.test(cls(e)));
  assertEquals(lines.length, COUNTERS.length, "throughput lines");
  const points = all.filter((e) =>
    /mark-symbol role-mark concat_0_/.test(cls(e))
  ).flatMap((g) => [...elements(g.kids)].filter((e) => e.tag === "path"));
  assertEquals(points.length, COUNTERS.length * seconds, "throughput points");
  // latency: the CDF of every round trip, with its percentile marks
  const titles = texts("role-title-text");
  assert(titles.includes("Throughput over time"), `titles: ${titles}`);
  assert(
    titles.includes(`Latency distribution (CDF, ${r.received} samples)`),
    `titles: ${titles}`,
  );
  const cdf = all.filter((e) => /mark-line role-mark concat_1_/.test(cls(e)))
    .flatMap((g) => [...elements(g.kids)].filter((e) => e.tag === "path"));
  assertEquals(cdf.length, 1, "one CDF line");
  const steps = (cdf[0].attrs["@_d"].match(/[LHV]/g) ?? []).length;
  assert(steps > 10, `a CDF of ${steps} steps`);
  assertEquals(
    texts("concat_1_layer_2_marks").sort(),
    ["p50", "p99", "p99.9"],
  );
}

/** Parses CSV with deno-std's parser (RFC 4180). */
function parseCsv(text: string): string[][] {
  return parseCsvText(text) as string[][];
}

/** One interval row per counter per second, totals equal to the counts. */
function checkRows(rows: Record<string, unknown>[], r: Result, n: number) {
  const intervals = rows.filter((x) => x.kind === "interval");
  const totals = rows.filter((x) => x.kind === "total");
  assertEquals(intervals.length + totals.length, rows.length, "kinds");
  for (const name of COUNTERS) {
    const mine = intervals.filter((x) => x.name === name);
    assertEquals(mine.length, n, `${name}: one row per second`);
    mine.forEach((x, i) => {
      const t = Number(x.time);
      assert(Math.abs(t - (i + 1)) < 0.5, `${name} row ${i} at ${t} s`);
      assert(Number(x.rate) >= 0 && Number(x.delta) >= 0, JSON.stringify(x));
    });
    const total = totals.filter((x) => x.name === name);
    assertEquals(total.length, 1, `${name}: one total`);
    assertEquals(Number(total[0].total), r.sent, `${name} total`);
  }
  // the rows of one second share its time, in the counters' order
  for (let i = 0; i < n; i++) {
    const second = intervals.slice(i * 3, i * 3 + 3);
    assertEquals(second.map((x) => x.name), COUNTERS);
    assertEquals(new Set(second.map((x) => x.time)).size, 1);
  }
}

Deno.test({
  name: "latency: 100 kpps for 3 s, every packet back, CSV/JSON Lines/SVG",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "h12lat_" });
    try {
      const seconds = 3;
      await withRun([
        "--rate",
        "100000",
        "-t",
        String(seconds),
        "--csv",
        `${dir}/out.csv`,
        "--json",
        `${dir}/out.jsonl`,
        "--plot",
        `${dir}/out.svg`,
      ], async (p, pre) => {
        const st = await p.exit(90_000);
        assertEquals(st.code, 0, p.output);
        assertNoFiles(pre);
        const r = resultOf(p);
        checkResult(r);
        // the rate held (the schedule's own count over its time)
        assert(
          Math.abs(r.achievedPps - 100_000) <= 2000,
          `achieved ${r.achievedPps} pps`,
        );
        assert(
          Math.abs(r.sent - 100_000 * seconds) <= 100_000 * 0.5,
          `sent ${r.sent} in ${seconds} s`,
        );
        // piped: plain lines, no terminal control codes
        for (const code of ["\x1b", "\r"]) {
          assert(!p.output.includes(code), JSON.stringify(p.output));
        }
        const perSecond = p.output.split("\n").filter((l) =>
          /^\s*\d+\.\d s {2}sent /.test(l)
        );
        assertEquals(perSecond.length, seconds, p.output);

        const csv = parseCsv(await Deno.readTextFile(`${dir}/out.csv`));
        assertEquals(csv[0], [...STATS_COLUMNS], "CSV header");
        const csvRows = csv.slice(1).map((f) => {
          assertEquals(f.length, STATS_COLUMNS.length, `CSV row ${f}`);
          return Object.fromEntries(STATS_COLUMNS.map((c, i) => [c, f[i]]));
        });
        checkRows(csvRows, r, seconds);

        const jsonl = (await Deno.readTextFile(`${dir}/out.jsonl`)).trimEnd()
          .split("\n").map((l) => JSON.parse(l));
        for (const row of jsonl) {
          assertEquals(Object.keys(row), [...STATS_COLUMNS]);
        }
        checkRows(jsonl, r, seconds);
        // the same rows in both files
        assertEquals(
          csvRows.map((x) => `${x.time},${x.name},${x.total}`),
          jsonl.map((x) => `${x.time},${x.name},${x.total}`),
        );

        checkSvg(await Deno.readTextFile(`${dir}/out.svg`), r, seconds);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "latency: Poisson departures, a self-contained HTML report",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "h12lat_" });
    try {
      await withRun([
        "--rate",
        "20000",
        "--poisson",
        "--seed",
        "7",
        "-t",
        "2",
        "--quiet",
        "--plot",
        `${dir}/report.html`,
      ], async (p, pre) => {
        const st = await p.exit(90_000);
        assertEquals(st.code, 0, p.output);
        assertNoFiles(pre);
        const r = resultOf(p);
        checkResult(r);
        // --quiet: totals only, no per-second lines
        assert(!/^\s*\d+\.\d s {2}sent /m.test(p.output), p.output);
        const html = await Deno.readTextFile(`${dir}/report.html`);
        assert(html.startsWith("<!DOCTYPE html>"), html.slice(0, 80));
        assertEquals(XMLValidator.validate(html), true, "HTML not well-formed");
        // self-contained: nothing to run, nothing fetched
        assert(!/<script|<link|<iframe|<img|@import/i.test(html), "external");
        const refs = [...html.matchAll(/\s(?:src|href)="([^"]*)"/gi)];
        assertEquals(refs.map((m) => m[1]), [], "references");
        assert(!/url\(\s*['"]?(https?:|\/\/)/i.test(html), "CSS url()");
        // the page's summary table is the run's round-trip summary
        const cells = [...html.matchAll(/<td>([^<]*)<\/td>/g)].map((m) =>
          Number(m[1])
        );
        assertEquals(cells[0], r.received, "table count");
        const max = cells.at(-1)!;
        assert(Math.abs(max - r.rttNs.max) <= r.rttNs.max * 1e-5, "table max");
        const start = html.indexOf("<svg"), end = html.indexOf("</svg>") + 6;
        checkSvg(html.slice(start, end), r, 2);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "latency: SIGINT drains what is in flight, stops the reflector",
  fn: async () => {
    await withRun(["--rate", "50000", "-t", "0"], async (p, pre) => {
      await p.waitFor(/^\s*2\.\d s {2}sent /m, 60_000);
      p.kill("SIGINT");
      const st = await p.exit(30_000);
      assertEquals(st.code, 0, p.output);
      assertNoFiles(pre);
      checkResult(resultOf(p));
    });
  },
});

Deno.test("latency: bad options refused before EAL starts", async () => {
  for (
    const [args, says] of [
      [["--rate", "0"], "--rate must be an integer in 1..10000000"],
      [["--plot", "out.png"], "give a .svg or .html file"],
      [["--size", "40"], "a frame needs 58 bytes or more"],
      [["--peer-lcores", "x"], "--peer-lcores x"],
      [["--bogus"], "unknown option --bogus"],
    ] as const
  ) {
    const pre = prefix();
    const p = denoRun(SCRIPT, [`--file-prefix=${pre}`, "--", ...args]);
    const st = await p.exit(30_000);
    assertEquals(st.code, 2, p.output);
    assert(p.output.includes(says), `${args}: ${p.output}`);
    assertNoFiles(pre);
  }
});

Deno.test("latency: a reflector that cannot start fails the run, cleanly", async () => {
  // lcore ID 0 is the primary's: the reflector's EAL refuses it
  await withRun(["--peer-lcores", "0@1", "-t", "1"], async (p, pre) => {
    const st = await p.exit(60_000);
    assertEquals(st.code, 1, p.output);
    assert(p.output.includes("lcore ID 0 is used by process"), p.output);
    assertEquals(resultLineCount(p), 0, "no result line for a failed run");
    assertNoFiles(pre);
  });
});

Deno.test("latency: a reflector killed mid-run stops the run, cleanly", async () => {
  await withRun(["--rate", "20000", "-t", "0"], async (p, pre) => {
    const m = await p.waitFor(/reflector pid (\d+)/, 60_000);
    await p.waitFor(/^\s*1\.\d s {2}sent /m, 30_000);
    Deno.kill(Number(m[1]), "SIGKILL");
    const st = await p.exit(30_000);
    assertEquals(st.code, 1, p.output);
    assert(p.output.includes(`the reflector (pid ${m[1]}) exited`), p.output);
    assertNoFiles(pre);
  });
});

/** How many result lines a failed run printed. */
function resultLineCount(p: Proc): number {
  return p.output.split("\n").filter((l) => l.startsWith('{"example":'))
    .length;
}
