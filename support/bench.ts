/**
 * What the side-by-side benchmarks share: their run options, medians and
 * number formatting.
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import { type Proc, removePrefixFiles } from "./proc.ts";

/** Resolves after `ms` milliseconds (a measurement window, not a sync). */
export const sleep = (ms: number): Promise<void> =>
  new Promise((r) => setTimeout(r, ms));

/** The median of `xs`. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Packets per second as millions, two decimals. */
export const mpps = (pps: number): string => (pps / 1e6).toFixed(2);

/** Rounds, warm-up and measurement window of an alternating benchmark. */
export interface RunOptions {
  /** Rounds (each runs C and TS once). */
  runs: number;
  /** Seconds of traffic before measuring. */
  warmup: number;
  /** Seconds measured. */
  window: number;
}

/**
 * Parses `--runs N --warmup S --window S` (defaults 5, 2, 3); on bad
 * values prints the usage of `script` and exits with status 2.
 */
export function runOptions(args: string[], script: string): RunOptions {
  const a = parseArgs(args, {
    string: ["runs", "warmup", "window"],
    default: { runs: "5", warmup: "2", window: "3" },
  });
  const o = {
    runs: Number(a.runs),
    warmup: Number(a.warmup),
    window: Number(a.window),
  };
  if (!Object.values(o).every((x) => Number.isFinite(x) && x > 0)) {
    console.error(
      `usage: deno run -A ${script} [--runs N] [--warmup S] [--window S]`,
    );
    Deno.exit(2);
  }
  return o;
}

/**
 * Stops a benchmark's processes, last started first (secondaries before
 * their primary), with SIGINT, then removes the group's files.
 */
export async function stopGroup(procs: Proc[], prefix: string): Promise<void> {
  for (const p of procs.toReversed()) {
    p.kill("SIGINT");
    await p.exit(5000);
  }
  await removePrefixFiles(prefix);
}
