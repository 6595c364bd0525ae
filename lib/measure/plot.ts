/**
 * A report of an experiment: throughput over time and the latency
 * distribution (CDF, with p50/p99/p99.9 marked), as one SVG or one
 * self-contained HTML page (the SVG inline, a summary table, no script and
 * nothing fetched: it opens in any browser offline).
 *
 * Drawn by Vega-Lite (`npm:vega-lite`, compiled to a Vega spec) and Vega
 * (`npm:vega`, rendered headless to SVG: no canvas, no network, no
 * permissions). Both are loaded on the first call, so importing this module
 * costs nothing until a report is drawn.
 *
 * @example
 * ```ts
 * import { Histogram } from "./histogram.ts";
 * import { StatsReporter } from "./stats.ts";
 * declare const reporter: StatsReporter;
 * declare const histogram: Histogram;
 *
 * await writeReport("run.html", {
 *   title: "net_null0, 1 Mpps",
 *   throughput: throughputFromRows(reporter.series.rows),
 *   latency: histogram, // or the samples: number[]
 * });
 * ```
 *
 * @module
 */

import { exactPercentile, Histogram } from "./histogram.ts";
import type { StatsRow } from "./stats.ts";

/** One point of a throughput series. */
export interface ThroughputPoint {
  /** Time, in seconds. */
  t: number;
  /** Series name (a line of the chart). */
  series: string;
  /** Value at `t`, e.g. packets per second. */
  value: number;
}

/** What a report shows; either chart may be left out. */
export interface ReportInput {
  /** Title of the page (and of the SVG). */
  title?: string;
  /** Throughput points: one line per series. */
  throughput?: readonly ThroughputPoint[];
  /** Y-axis title of the throughput chart (default `packets/s`). */
  throughputUnit?: string;
  /** The latency samples, or their histogram. */
  latency?: Histogram | readonly number[];
  /** Unit of the latency values (default `ns`). */
  latencyUnit?: string;
  /** Log-scaled latency axis; default: when max/min ≥ 100 (and min > 0). */
  latencyLog?: boolean;
  /** Width of each chart in pixels (default 640). */
  width?: number;
  /** Height of each chart in pixels (default 240). */
  height?: number;
}

/** A rendered report. */
export interface Report {
  /** The charts as one SVG document. */
  svg: string;
  /** One self-contained HTML page: title, inline SVG, summary table. */
  html: string;
  /** The Vega-Lite spec that was drawn, as JSON (to redraw it elsewhere). */
  spec: VegaLiteSpec;
  /** The latency summary shown (absent without latency). */
  latency?: LatencySummary;
}

/** Latency figures shown in a report. */
export interface LatencySummary {
  /** Samples. */
  count: number;
  /** Smallest. */
  min: number;
  /** Mean. */
  mean: number;
  /** Median. */
  p50: number;
  /** 90th percentile. */
  p90: number;
  /** 99th percentile. */
  p99: number;
  /** 99.9th percentile. */
  p99_9: number;
  /** Largest. */
  max: number;
}

/** A Vega-Lite specification as plain JSON (`vega-lite`'s `TopLevelSpec`). */
export type VegaLiteSpec = Record<string, unknown>;

/** Most points drawn for a latency CDF from raw samples. */
const MAX_CDF_POINTS = 2000;

/**
 * Throughput points from a stats series' interval rows: `rate` over `time`,
 * one series per counter (only those in `names`, when given).
 */
export function throughputFromRows(
  rows: readonly StatsRow[],
  names?: readonly string[],
): ThroughputPoint[] {
  return rows
    .filter((r) =>
      r.kind === "interval" && (names === undefined || names.includes(r.name))
    )
    .map((r) => ({ t: r.time, series: r.name, value: r.rate }));
}

function latencyData(
  lat: Histogram | readonly number[],
): { cdf: { value: number; fraction: number }[]; summary: LatencySummary } {
  if (lat instanceof Histogram) {
    const s = lat.toJSON();
    return {
      cdf: lat.cdf(),
      summary: {
        count: s.count,
        min: s.min,
        mean: s.mean,
        p50: s.p50,
        p90: s.p90,
        p99: s.p99,
        p99_9: s.p99_9,
        max: s.max,
      },
    };
  }
  const sorted = Float64Array.from(lat).sort();
  const n = sorted.length;
  const at = (p: number) => exactPercentile(sorted, p);
  const cdf: { value: number; fraction: number }[] = [];
  if (n > 0) {
    cdf.push({ value: sorted[0], fraction: 0 });
    const step = Math.max(1, Math.floor(n / MAX_CDF_POINTS));
    for (let i = step - 1; i < n; i += step) {
      cdf.push({ value: sorted[i], fraction: (i + 1) / n });
    }
    if (cdf[cdf.length - 1].fraction !== 1) {
      cdf.push({ value: sorted[n - 1], fraction: 1 });
    }
  }
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    cdf,
    summary: {
      count: n,
      min: n ? sorted[0] : 0,
      mean: n ? sum / n : 0,
      p50: at(50),
      p90: at(90),
      p99: at(99),
      p99_9: at(99.9),
      max: n ? sorted[n - 1] : 0,
    },
  };
}

/** The Vega-Lite spec of a report (no rendering). */
export function reportSpec(
  {
    title = "",
    throughput = [],
    throughputUnit = "packets/s",
    latency = undefined,
    latencyUnit = "ns",
    latencyLog = undefined,
    width = 640,
    height = 240,
  }: ReportInput,
): { spec: VegaLiteSpec; latency?: LatencySummary } {
  // deno-lint-ignore no-explicit-any
  const charts: any[] = [];
  if (throughput.length > 0) {
    charts.push({
      title: "Throughput over time",
      width,
      height,
      data: { values: throughput.map((p) => ({ ...p })) },
      mark: { type: "line", point: throughput.length <= 200 },
      encoding: {
        x: { field: "t", type: "quantitative", title: "time (s)" },
        y: { field: "value", type: "quantitative", title: throughputUnit },
        color: { field: "series", type: "nominal", title: "series" },
      },
    });
  }
  let summary: LatencySummary | undefined;
  if (latency !== undefined) {
    const { cdf, summary: s } = latencyData(latency);
    summary = s;
    const log = latencyLog ?? (s.min > 0 && s.max / s.min >= 100);
    const marks = [
      { label: "p50", value: s.p50 },
      { label: "p99", value: s.p99 },
      { label: "p99.9", value: s.p99_9 },
    ];
    const x = {
      field: "value",
      type: "quantitative",
      title: `latency (${latencyUnit})`,
      scale: log ? { type: "log", nice: false } : { zero: false },
    };
    charts.push({
      title: `Latency distribution (CDF, ${s.count} samples)`,
      width,
      height,
      layer: [
        {
          data: { values: cdf },
          mark: { type: "line", interpolate: "step-after" },
          encoding: {
            x,
            y: {
              field: "fraction",
              type: "quantitative",
              title: "fraction of samples ≤ latency",
              axis: { format: "%" },
              scale: { domain: [0, 1] },
            },
          },
        },
        {
          data: { values: marks },
          mark: { type: "rule", strokeDash: [4, 3], color: "gray" },
          encoding: { x },
        },
        {
          data: { values: marks },
          mark: {
            type: "text",
            align: "left",
            dx: 3,
            dy: -4,
            baseline: "bottom",
          },
          encoding: {
            x,
            y: { datum: 1, type: "quantitative" },
            text: { field: "label" },
          },
        },
      ],
    });
  }
  if (charts.length === 0) {
    throw new RangeError("a report needs throughput points or latency");
  }
  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    ...(title ? { title } : {}),
    vconcat: charts,
    config: { font: "sans-serif" },
  };
  return { spec, latency: summary };
}

/**
 * Renders a report as SVG and as a self-contained HTML page.
 *
 * @throws RangeError when there is neither throughput nor latency to draw
 */
export async function renderReport(input: ReportInput): Promise<Report> {
  const { spec, latency } = reportSpec(input);
  // full specifiers: a script importing the package from elsewhere has
  // no import map for them
  const [vega, vl] = await Promise.all([
    // deno-lint-ignore no-import-prefix
    import("npm:vega@6.4.0"),
    // deno-lint-ignore no-import-prefix
    import("npm:vega-lite@6.5.0"),
  ]);
  // deno-lint-ignore no-explicit-any
  const compiled = vl.compile(spec as any).spec;
  const view = new vega.View(vega.parse(compiled), {
    renderer: "none",
  });
  let svg: string;
  try {
    svg = await view.toSVG();
  } finally {
    view.finalize();
  }
  const title = input.title ?? "";
  return {
    svg,
    spec,
    latency,
    html: page(title, svg, latency, input.latencyUnit ?? "ns"),
  };
}

/**
 * Renders a report and writes it to `path`: SVG for `.svg`, the HTML page
 * for `.html` or `.htm`.
 *
 * @throws RangeError for another extension
 */
export async function writeReport(
  path: string,
  input: ReportInput,
): Promise<Report> {
  const ext = path.toLowerCase().match(/\.([a-z]+)$/)?.[1];
  if (ext !== "svg" && ext !== "html" && ext !== "htm") {
    throw new RangeError(
      `report path must end in .svg, .html or .htm: ${path}`,
    );
  }
  const r = await renderReport(input);
  await Deno.writeTextFile(path, ext === "svg" ? r.svg : r.html);
  return r;
}

function escapeXml(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

function num(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(6);
}

function page(
  title: string,
  svg: string,
  lat: LatencySummary | undefined,
  unit: string,
): string {
  const t = escapeXml(title || "Report");
  const table = lat === undefined ? "" : `<table>
<caption>Latency (${escapeXml(unit)})</caption>
<tr>${
    ["count", "min", "mean", "p50", "p90", "p99", "p99.9", "max"]
      .map((h) => `<th>${h}</th>`).join("")
  }</tr>
<tr>${
    [
      lat.count,
      lat.min,
      lat.mean,
      lat.p50,
      lat.p90,
      lat.p99,
      lat.p99_9,
      lat.max,
    ]
      .map((v) => `<td>${num(v)}</td>`).join("")
  }</tr>
</table>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<title>${t}</title>
<style>
body { font-family: sans-serif; margin: 2em; }
table { border-collapse: collapse; margin-top: 1em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.8em; text-align: right; }
caption { text-align: left; font-weight: bold; }
</style>
</head>
<body>
<h1>${t}</h1>
${svg}
${table}
</body>
</html>
`;
}
