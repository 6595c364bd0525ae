/**
 * Measuring experiments: latency histograms ({@linkcode Histogram}), rate
 * control for generators ({@linkcode RateSchedule}), counters sampled each
 * interval as text, CSV or JSON Lines ({@linkcode StatsReporter}). Report
 * files with plots are in the package's `plot.ts` entry (it loads Vega).
 *
 * Pure TypeScript: none of it needs the shim or an initialised EAL; give
 * `tscCycles`/`tscHz()` from the library where a clock is wanted.
 *
 * @module
 */

export {
  exactPercentile,
  Histogram,
  type HistogramBucket,
  type HistogramOptions,
  type HistogramSummary,
} from "./histogram.ts";
export {
  ETHER_FCS_BYTES,
  ETHER_WIRE_OVERHEAD_BYTES,
  type RateReport,
  RateSchedule,
  type RateScheduleOptions,
  SeededRng,
  wireBits,
} from "./rate.ts";
export {
  type CounterSource,
  fileSink,
  formatSi,
  portCounters,
  type PortStatsSource,
  type SecondsClock,
  STATS_COLUMNS,
  type StatsFormat,
  type StatsOutput,
  StatsReporter,
  type StatsReporterOptions,
  type StatsRow,
  StatsSeries,
  stdoutSink,
  type TextSink,
} from "./stats.ts";
