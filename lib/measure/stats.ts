/**
 * Counters sampled each interval (ports' ethdev stats, a script's own
 * counts), printed as plain text, CSV or JSON Lines with one schema, and a
 * total at the end.
 *
 * ## The schema
 *
 * Every output is a sequence of rows with the columns of
 * {@linkcode STATS_COLUMNS}, in this order:
 *
 * | column  | type   | meaning                                                                   |
 * | ------- | ------ | ------------------------------------------------------------------------- |
 * | `time`  | number | seconds since `start()` at the end of the interval (3 decimals)            |
 * | `kind`  | string | `interval` for a per-interval row, `total` for the final rows             |
 * | `name`  | string | counter name: a source's key, or `key.field` for a source giving an object |
 * | `total` | number | the counter's increase since `start()`                                    |
 * | `delta` | number | its increase over the interval (for `total` rows: the same as `total`)    |
 * | `rate`  | number | `delta` per second of the interval (for `total` rows: the run's average)  |
 *
 * Each interval gives one `interval` row per counter, in the sources'
 * order; `finish()` gives one `total` row per counter. CSV has a header line
 * with the column names, fields quoted as RFC 4180 when needed; JSON Lines
 * has one object per row with these keys. Plain text (for people, not
 * parsers) puts each interval on one line, and on a terminal rewrites that
 * one line (`\r` and ANSI erase-line) unless `live: false`; to a pipe or a
 * file it writes plain lines with no control codes.
 *
 * @example
 * ```ts
 * declare const port: { stats(): { ipackets: number; opackets: number } }; // a Port
 * let sent = 0;
 * const rep = new StatsReporter({ tx: () => sent, port0: portCounters(port) });
 * rep.start();
 * const timer = setInterval(() => rep.sample(), 1000);
 * // ... later
 * clearInterval(timer);
 * rep.finish();
 * ```
 *
 * @module
 */

/** The columns of every stats row, in output order (see the module docs). */
export const STATS_COLUMNS = [
  "time",
  "kind",
  "name",
  "total",
  "delta",
  "rate",
] as const;

/** One row of the schema in {@linkcode STATS_COLUMNS}. */
export interface StatsRow {
  /** Seconds since the series started, at the end of the interval. */
  time: number;
  /** `interval` for a per-interval row, `total` for the final one. */
  kind: "interval" | "total";
  /** Counter name. */
  name: string;
  /** Increase since the start. */
  total: number;
  /** Increase over the interval (the whole run for `total` rows). */
  delta: number;
  /** `delta` per second. */
  rate: number;
}

/**
 * A counter source: returns a cumulative total, or an object whose numeric
 * fields are totals (each becomes a counter `key.field`; other fields are
 * ignored).
 */
export type CounterSource = () => number | object;

/** Anything with ethdev-like stats, such as the library's `Port`. */
export interface PortStatsSource {
  /** Cumulative counters, with at least packets in and out. */
  stats(): { ipackets: number; opackets: number };
}

/**
 * A counter source over a port's stats: the chosen fields of `stats()`
 * (DPDK's `rte_eth_stats` names), read in one call per sample.
 *
 * @param port the port (the library's `Port`, or anything with `stats()`)
 * @param fields which numeric fields to count
 */
export function portCounters(
  port: PortStatsSource,
  fields: readonly string[] = ["ipackets", "opackets", "imissed", "oerrors"],
): CounterSource {
  return () => {
    const s = port.stats() as unknown as Record<string, unknown>;
    const out: Record<string, number> = {};
    for (const f of fields) {
      const v = s[f];
      if (typeof v !== "number") {
        throw new TypeError(`port stats have no numeric field '${f}'`);
      }
      out[f] = v;
    }
    return out;
  };
}

/** The clock of a series, in seconds. */
export type SecondsClock = () => number;

const defaultClock: SecondsClock = () => performance.now() / 1000;

/**
 * Samples named counter sources into rows of the schema; keeps the interval
 * rows (for a throughput plot) unless told not to.
 */
export class StatsSeries {
  /** The interval rows so far (empty with `keep: false`). */
  readonly rows: StatsRow[] = [];
  #sources: [string, CounterSource][];
  #clock: SecondsClock;
  #keep: boolean;
  #names: string[] = [];
  #base: number[] = [];
  #prev: number[] = [];
  #t0 = NaN;
  #tPrev = NaN;

  /**
   * A series over `sources`; nothing is read before `start()`.
   *
   * @param sources counters by name, in output order
   * @param options `clock` in seconds (default `performance.now()/1000`),
   *   `keep` the interval rows in {@linkcode StatsSeries.rows} (default true)
   */
  constructor(
    sources: Record<string, CounterSource>,
    { clock = defaultClock, keep = true }: {
      clock?: SecondsClock;
      keep?: boolean;
    } = {},
  ) {
    this.#sources = Object.entries(sources);
    this.#clock = clock;
    this.#keep = keep;
  }

  /** Counter names, in output order (known after `start()`). */
  get names(): readonly string[] {
    return this.#names;
  }

  /** Whether `start()` was called. */
  get started(): boolean {
    return !Number.isNaN(this.#t0);
  }

  /** Seconds since the start at `now`. */
  elapsed(now: number = this.#clock()): number {
    return this.started ? now - this.#t0 : 0;
  }

  #read(): number[] {
    const values: number[] = [];
    const names: string[] = [];
    for (const [key, src] of this.#sources) {
      const v = src();
      if (typeof v === "number") {
        names.push(key);
        values.push(v);
      } else {
        for (const [f, x] of Object.entries(v)) {
          if (typeof x === "number") {
            names.push(`${key}.${f}`);
            values.push(x);
          }
        }
      }
    }
    if (this.started && names.join("\0") !== this.#names.join("\0")) {
      throw new Error(
        `stats counters changed: [${names}] instead of [${this.#names}]`,
      );
    }
    this.#names = names;
    return values;
  }

  /** Reads every counter as the baseline; times count from `now`. */
  start(now: number = this.#clock()): void {
    this.#names = [];
    this.#t0 = Number.NaN;
    const v = this.#read();
    this.#base = v;
    this.#prev = v.slice();
    this.#t0 = this.#tPrev = now;
    this.rows.length = 0;
  }

  /**
   * Reads every counter and returns one `interval` row each (starting the
   * series, and returning no rows, if it was not started).
   */
  sample(now: number = this.#clock()): StatsRow[] {
    if (!this.started) {
      this.start(now);
      return [];
    }
    const v = this.#read();
    const dt = now - this.#tPrev;
    const time = round3(now - this.#t0);
    const out: StatsRow[] = [];
    for (let i = 0; i < v.length; i++) {
      const delta = v[i] - this.#prev[i];
      out.push({
        time,
        kind: "interval",
        name: this.#names[i],
        total: v[i] - this.#base[i],
        delta,
        rate: dt > 0 ? round3(delta / dt) : 0,
      });
    }
    this.#prev = v;
    this.#tPrev = now;
    if (this.#keep) this.rows.push(...out);
    return out;
  }

  /**
   * One `total` row per counter: its increase from the start to `now`
   * (reading the counters now) and its average rate.
   */
  totals(now: number = this.#clock()): StatsRow[] {
    if (!this.started) return [];
    const v = this.#read();
    const secs = now - this.#t0;
    return v.map((x, i) => {
      const total = x - this.#base[i];
      return {
        time: round3(secs),
        kind: "total" as const,
        name: this.#names[i],
        total,
        delta: total,
        rate: secs > 0 ? round3(total / secs) : 0,
      };
    });
  }
}

/** Output formats of a {@linkcode StatsReporter}. */
export type StatsFormat = "text" | "csv" | "jsonl";

/** Where output text goes. */
export interface TextSink {
  /** Writes the text (synchronously or buffered; in order). */
  write(text: string): void;
  /** Whether this is a terminal (live updates allowed); absent: no. */
  isTerminal?(): boolean;
  /** A terminal's width: a live line is cut to fit, so it stays one line. */
  columns?(): number;
  /** Closes the sink; {@linkcode StatsReporter.finish} calls it. */
  close?(): void;
}

/** One output of a {@linkcode StatsReporter}. */
export interface StatsOutput {
  /** Its sink. */
  sink: TextSink;
  /** Format (default `text`). */
  format?: StatsFormat;
  /**
   * For `text`: rewrite one line per interval instead of adding lines;
   * `auto` (default): only when the sink is a terminal.
   */
  live?: boolean | "auto";
  /** Write only the final totals (and, for CSV, the header). */
  quiet?: boolean;
}

function writeAllSync(
  w: { writeSync(p: Uint8Array): number },
  bytes: Uint8Array,
): void {
  let off = 0;
  while (off < bytes.length) off += w.writeSync(bytes.subarray(off));
}

const encoder = new TextEncoder();

/** Standard output as a {@linkcode TextSink} (terminal-aware). */
export function stdoutSink(): TextSink {
  return {
    write: (text) => writeAllSync(Deno.stdout, encoder.encode(text)),
    isTerminal: () => Deno.stdout.isTerminal(),
    columns: () => {
      try {
        return Deno.consoleSize().columns;
      } catch {
        return Infinity;
      }
    },
  };
}

/** A file as a {@linkcode TextSink}, created or truncated; closed by `finish()`. */
export function fileSink(path: string | URL): TextSink {
  const f = Deno.openSync(path, { write: true, create: true, truncate: true });
  return {
    write: (text) => writeAllSync(f, encoder.encode(text)),
    close: () => f.close(),
  };
}

/** Options of a {@linkcode StatsReporter}. */
export interface StatsReporterOptions {
  /** Where rows go (default: plain text on standard output). */
  outputs?: StatsOutput[];
  /** Seconds between samples for {@linkcode StatsReporter.tick} (default 1). */
  interval?: number;
  /** Clock in seconds (default `performance.now()/1000`). */
  clock?: SecondsClock;
  /** Keep interval rows in `series.rows` (default true). */
  keep?: boolean;
}

/**
 * A {@linkcode StatsSeries} that writes each sample to its outputs, in their
 * formats, and the totals at the end.
 */
export class StatsReporter {
  /** The sampled series (its `rows` feed a throughput plot). */
  readonly series: StatsSeries;
  /** Seconds between samples for `tick()`. */
  readonly interval: number;
  #outputs: Required<StatsOutput>[];
  #clock: SecondsClock;
  #next = NaN;
  #liveOpen: boolean[];

  /**
   * A reporter over `sources`, writing to `outputs`; nothing is read or
   * written before `start()`.
   *
   * @param sources counters by name, in output order
   * @param options outputs, interval, clock, keep
   */
  constructor(
    sources: Record<string, CounterSource>,
    {
      outputs = [{ sink: stdoutSink() }],
      interval = 1,
      clock = defaultClock,
      keep = true,
    }: StatsReporterOptions = {},
  ) {
    this.series = new StatsSeries(sources, { clock, keep });
    this.interval = interval;
    this.#clock = clock;
    this.#outputs = outputs.map((o) => {
      const format = o.format ?? "text";
      const live = o.live ?? "auto";
      return {
        sink: o.sink,
        format,
        quiet: o.quiet ?? false,
        live: format === "text" &&
          (live === "auto" ? o.sink.isTerminal?.() === true : live),
      };
    });
    this.#liveOpen = this.#outputs.map(() => false);
  }

  /** Whether output `i` rewrites one line (text on a terminal). */
  isLive(i = 0): boolean {
    return this.#outputs[i]?.live === true;
  }

  /** Starts the series (baseline) and writes the CSV headers. */
  start(now: number = this.#clock()): void {
    this.series.start(now);
    this.#next = now + this.interval;
    for (const o of this.#outputs) {
      if (o.format === "csv") o.sink.write(STATS_COLUMNS.join(",") + "\n");
    }
  }

  /**
   * Samples and writes when the next interval boundary (start + k ·
   * interval) is reached; call it often (e.g. from a polling loop). Returns
   * the rows, or undefined when it did not sample. Boundaries missed are
   * skipped, not caught up.
   */
  tick(now: number = this.#clock()): StatsRow[] | undefined {
    if (!this.series.started) {
      this.start(now);
      return undefined;
    }
    if (now < this.#next - this.interval * 1e-9) return undefined;
    this.#next += this.interval;
    if (this.#next <= now) this.#next = now + this.interval;
    return this.sample(now);
  }

  /** Samples now and writes the rows to every output. */
  sample(now: number = this.#clock()): StatsRow[] {
    if (!this.series.started) {
      this.start(now);
      return [];
    }
    const rows = this.series.sample(now);
    this.#outputs.forEach((o, i) => {
      if (o.quiet) return;
      if (o.format === "text") {
        const line = textLine(rows);
        if (o.live) {
          const w = o.sink.columns?.() || Infinity; // 0: unknown
          const fit = line.length < w
            ? line
            : line.slice(0, Math.max(0, w - 2)) + "…";
          o.sink.write("\r\x1b[2K" + fit);
          this.#liveOpen[i] = true;
        } else o.sink.write(line + "\n");
      } else this.#writeRows(o, rows);
    });
    return rows;
  }

  #writeRows(o: Required<StatsOutput>, rows: StatsRow[]): void {
    if (rows.length === 0) return;
    o.sink.write(
      rows.map(o.format === "csv" ? csvLine : jsonLine).join(""),
    );
  }

  /**
   * Writes the totals (counters read now, from the start) to every output,
   * ends a live line, closes sinks that have `close()`, and returns the
   * total rows.
   */
  finish(now: number = this.#clock()): StatsRow[] {
    const rows = this.series.totals(now);
    this.#outputs.forEach((o, i) => {
      if (this.#liveOpen[i]) o.sink.write("\n");
      this.#liveOpen[i] = false;
      if (o.format === "text") o.sink.write(textTotals(rows));
      else this.#writeRows(o, rows);
      o.sink.close?.();
    });
    return rows;
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function csvField(v: string | number): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** A row as one CSV line (columns of {@linkcode STATS_COLUMNS}). */
function csvLine(r: StatsRow): string {
  return STATS_COLUMNS.map((c) => csvField(r[c])).join(",") + "\n";
}

/** A row as one JSON Lines line, keys in {@linkcode STATS_COLUMNS} order. */
function jsonLine(r: StatsRow): string {
  const o: Record<string, unknown> = {};
  for (const c of STATS_COLUMNS) o[c] = r[c];
  return JSON.stringify(o) + "\n";
}

/** `1234567` → `1.235M`. */
export function formatSi(x: number): string {
  const a = Math.abs(x);
  if (a >= 1e9) return (x / 1e9).toFixed(3) + "G";
  if (a >= 1e6) return (x / 1e6).toFixed(3) + "M";
  if (a >= 1e3) return (x / 1e3).toFixed(3) + "k";
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}

function textLine(rows: StatsRow[]): string {
  if (rows.length === 0) return "";
  const parts = rows.map((r) =>
    `${r.name} ${formatSi(r.rate)}/s (${formatSi(r.total)})`
  );
  return `${rows[0].time.toFixed(1).padStart(7)} s  ${parts.join("  ")}`;
}

function textTotals(rows: StatsRow[]): string {
  if (rows.length === 0) return "";
  const w = Math.max(...rows.map((r) => r.name.length));
  return `total after ${rows[0].time.toFixed(3)} s:\n` +
    rows.map((r) =>
      `  ${r.name.padEnd(w)}  ${String(r.total).padStart(14)}  (${
        formatSi(r.rate)
      }/s)\n`
    ).join("");
}
