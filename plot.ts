/**
 * Report files for experiments: throughput over time and the latency
 * distribution, drawn with Vega-Lite (loaded from npm on first use) into an
 * SVG or one self-contained HTML page. A separate entry point from
 * `mod.ts`, so programs that draw nothing do not carry the plotting
 * library.
 *
 * @example
 * ```ts
 * import { writeReport } from "./plot.ts";
 * await writeReport("out.svg", { title: "run 1", throughput, latency: hist });
 * ```
 *
 * @module
 */

export {
  type LatencySummary,
  renderReport,
  type Report,
  type ReportInput,
  reportSpec,
  throughputFromRows,
  type ThroughputPoint,
  type VegaLiteSpec,
  writeReport,
} from "./lib/measure/plot.ts";
