/**
 * One skeleton for page-long experiments: the command line (EAL arguments,
 * `--`, the experiment's own options), EAL defaults, signals, a time limit,
 * cleanup on every exit path and the result as one JSON line. An
 * experiment writes only its `main`.
 *
 * @example A complete experiment
 * ```ts
 * import { Port, runExperiment } from "../mod.ts";
 *
 * if (import.meta.main) {
 *   Deno.exit(
 *     await runExperiment({
 *       name: "count",
 *       usage: "deno run -A count.ts [EAL options] -- [-t SECONDS]",
 *       eal: ["-l", "0", "--vdev=net_null0"], // unless given on the command line
 *       seconds: 3, // default of -t (0: until Ctrl-C)
 *       main: async (ctx) => {
 *         const port = new Port(Port.ids()[0]);
 *         // ... set the port up, ctx.launch(...) lcore workers ...
 *         while (ctx.running()) await new Promise((r) => setTimeout(r, 100));
 *         return { ports: Port.count() }; // printed as {"example":"count",...}
 *       },
 *     }),
 *   );
 * }
 * ```
 *
 * Exit status: 0 after a run (stopped by its end, `-t`, SIGINT or SIGTERM);
 * 1 when the run failed (one line on stderr: `NAME: what failed`); 2 when
 * the command line is wrong (the line and the usage; EAL is not started).
 *
 * @module
 */

// a full specifier: a script importing the package from elsewhere has no
// import map for "@std/..."
// deno-lint-ignore no-import-prefix
import { parseArgs } from "npm:deno-std@1.4.0/cli/parse_args.js";
import { ShimLoadError } from "../ffi/lib.ts";
import {
  cleanupEal,
  type EalInit,
  initEal,
  removeGroupFiles,
  splitArgs,
} from "./eal.ts";
import { DpdkError } from "./errors.ts";
import {
  launchLcores,
  type LaunchOptions,
  type LcoreData,
  type LcoreGroup,
} from "./lcore.ts";

/** Exit status of a finished run. */
export const EXIT_OK = 0;
/** Exit status of a run that failed. */
export const EXIT_FAILED = 1;
/** Exit status of a wrong command line (nothing was started). */
export const EXIT_USAGE = 2;

/**
 * A wrong command line: unknown option, missing or bad value. The
 * skeleton prints its message and the usage, and exits with
 * {@linkcode EXIT_USAGE}.
 */
export class UsageError extends Error {
  /**
   * A usage error with its message.
   *
   * @param message what is wrong, e.g. `unknown option --bogus`
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * The experiment's own options (after `--`), as `parseArgs` of
 * `@std/cli/parse-args` takes them. Every option must be declared here:
 * anything else is refused.
 */
export interface AppOptions {
  /** Options that take a value (`--rate 1000`, `-t 5`); values stay strings. */
  string?: string[];
  /** Flags (`--verbose`). */
  boolean?: string[];
  /** Flags that may also be given as `--no-NAME` (then `false`). */
  negatable?: string[];
  /** Other names of an option, e.g. `{ rate: "r" }`. */
  alias?: Record<string, string | string[]>;
  /** Values of options not given. */
  default?: Record<string, string | boolean>;
}

/** The experiment's options as parsed: by name, a string or a flag. */
export type RawArgs = Record<string, string | boolean | undefined>;

/** What {@linkcode runExperiment} runs. */
export interface ExperimentSpec<A, R> {
  /**
   * The experiment's name: the `example` field of the JSON line, the
   * prefix of error lines, EAL's program name, and part of the default
   * `--file-prefix` (`ex_NAME_PID`).
   */
  name: string;
  /** Usage text, printed after `usage: ` on `--help` and on a wrong command line. */
  usage: string;
  /** The experiment's options (default: none). */
  options?: AppOptions;
  /**
   * Default EAL arguments, each added unless the command line gives that
   * option (see {@linkcode mergeEalArgs}); `--no-pci`, the file prefix and
   * a quiet EAL log are added too ({@linkcode experimentEalDefaults}).
   * A function gets the parsed options (e.g. a `--pcap FILE` option that
   * picks the virtual device). Default `["-l", "0,1"]`.
   */
  eal?: string[] | ((raw: RawArgs) => string[]);
  /**
   * Default of the `-t SECONDS` option the skeleton then owns: the run is
   * stopped after that many whole seconds (0: until SIGINT/SIGTERM),
   * counted as {@linkcode ExperimentContext.everySecond} says.
   * Omitted: no `-t` from the skeleton (the experiment may declare its own).
   */
  seconds?: number;
  /**
   * Turns the parsed options into the experiment's arguments, before EAL
   * starts; throw {@linkcode UsageError} (or RangeError) for a bad value.
   * Default: the parsed options as they are.
   */
  parse?: (raw: RawArgs) => A;
  /** The experiment; what it returns is printed as one JSON line. */
  main: (ctx: ExperimentContext<A>) => R | Promise<R>;
  /** The command line (default `Deno.args`). */
  argv?: readonly string[];
}

/** What an experiment's `main` gets. */
export interface ExperimentContext<A = RawArgs> {
  /** The experiment's name. */
  readonly name: string;
  /** Its arguments (what `parse` made of the options after `--`). */
  readonly args: A;
  /** What `initEal` returned: lcores, main lcore, file prefix. */
  readonly eal: EalInit;
  /** The time limit in seconds (`-t`); 0: none. */
  readonly seconds: number;
  /** Aborted when the run must stop: signal, time limit, `stop()`, exit. */
  readonly signal: AbortSignal;
  /** False once the run must stop. */
  running(): boolean;
  /** Stops the run (aborts `signal`; launched lcores are stopped). */
  stop(reason?: string): void;
  /**
   * Calls `fn(1)`, `fn(2)`, ... once a second until the run stops. The
   * first call starts the clock of `-t`: from then on the run lasts `N`
   * whole seconds and stops right after `fn(N)` (setup before it does not
   * count). Without it, `-t` counts from the start of `main`.
   */
  everySecond(fn: (second: number) => void): void;
  /**
   * `launchLcores` whose group is stopped when the run stops, and joined
   * on exit before anything registered earlier is released.
   */
  launch<M = unknown>(
    module: URL | string,
    opts?: LaunchOptions<LcoreData<M>>,
  ): LcoreGroup;
  /**
   * Disposes `resource` on exit, after the lcore groups launched later
   * are joined (workers must not outlive the pools and rings they use).
   */
  use<T extends Disposable | AsyncDisposable>(resource: T): T;
  /** Runs `fn` on exit, in reverse order of registration (as `use`). */
  defer(fn: () => void | Promise<void>): void;
}

/** What the command line decided, before EAL starts. */
export interface ExperimentPlan<A> {
  /** `initEal`'s command line: merged EAL arguments, `--`, the app's. */
  ealArgv: string[];
  /** The experiment's arguments. */
  args: A;
  /** The time limit (0: none). */
  seconds: number;
  /**
   * The file prefix the skeleton chose, when the command line gave none
   * (a group nobody else uses: its files may be removed after a failed
   * init); undefined when the user chose one.
   */
  ownPrefix: string | undefined;
}

/** EAL's own short options: never mistaken for a misplaced app option. */
const EAL_SHORT = new Set([
  "a",
  "b",
  "c",
  "d",
  "h",
  "l",
  "m",
  "n",
  "r",
  "s",
  "v",
]);

/** EAL options that select lcores: one given, the defaults' are not added. */
const LCORE_OPTIONS = new Set(["-l", "-c", "--lcores"]);

/**
 * The EAL arguments every experiment gets unless the command line gives
 * them: no PCI scan, a group of its own, EAL logging only errors.
 *
 * @param name the experiment's name
 * @param pid part of the file prefix (default: this process's)
 */
export function experimentEalDefaults(
  name: string,
  pid: number = Deno.pid,
): string[] {
  return [
    "--no-pci",
    `--file-prefix=ex_${name}_${pid}`,
    "--log-level=lib.eal:error",
  ];
}

/** One EAL option with its value tokens, as given. */
export interface EalOption {
  /** `-l`, `--vdev`, ... */
  option: string;
  /** Its value (attached or the next token), if any. */
  value: string | undefined;
  /** The tokens it spans. */
  tokens: string[];
}

/**
 * Splits EAL arguments into options: a token starting with `-` opens an
 * option; its value is attached (`-l0,1`, `--vdev=x`) or the next token
 * when that does not start with `-` (EAL takes no positional arguments).
 */
export function ealOptions(args: readonly string[]): EalOption[] {
  const out: EalOption[] = [];
  for (let i = 0; i < args.length; i++) {
    const t = args[i];
    let option: string, value: string | undefined;
    if (t.startsWith("--")) {
      const eq = t.indexOf("=");
      option = eq < 0 ? t : t.slice(0, eq);
      value = eq < 0 ? undefined : t.slice(eq + 1);
    } else if (t.startsWith("-") && t.length > 1) {
      option = t.slice(0, 2);
      value = t.length > 2 ? t.slice(2) : undefined;
    } else {
      throw new UsageError(`unexpected EAL argument "${t}"`);
    }
    const tokens = [t];
    if (value === undefined && i + 1 < args.length) {
      const next = args[i + 1];
      if (!next.startsWith("-")) {
        value = next;
        tokens.push(next);
        i++;
      }
    }
    out.push({ option, value, tokens });
  }
  return out;
}

/**
 * What an EAL option sets, so that a default is dropped when the command
 * line sets the same: `-l`, `-c` and `--lcores` are one thing; each
 * `--log-level` sets one log type (`lib.eal:error` -> `lib.eal`) or all.
 */
function ealKey({ option, value }: EalOption): string {
  if (LCORE_OPTIONS.has(option)) return "lcores";
  if (option === "--log-level") {
    const m = /^([^:,]+)[:,]/.exec(value ?? "");
    return `--log-level=${m ? m[1] : "*"}`;
  }
  return option;
}

/**
 * The command line's EAL arguments followed by each default whose option
 * the command line does not give. One `--vdev` given drops every default
 * `--vdev`; a global `--log-level` drops every default log level.
 *
 * @example
 * ```ts
 * mergeEalArgs(["-l", "2,3"], ["-l", "0,1", "--no-pci"]);
 * // ["-l", "2,3", "--no-pci"]
 * ```
 */
export function mergeEalArgs(
  given: readonly string[],
  defaults: readonly string[],
): string[] {
  const have = new Set(ealOptions(given).map(ealKey));
  const out = [...given];
  for (const d of ealOptions(defaults)) {
    const key = ealKey(d);
    if (have.has(key)) continue;
    if (key.startsWith("--log-level=") && have.has("--log-level=*")) continue;
    out.push(...d.tokens);
  }
  return out;
}

/** How an option is written on the command line: `-t`, `--rate`. */
export function flagName(name: string): string {
  return name.length === 1 ? `-${name}` : `--${name}`;
}

/**
 * Parses the experiment's options, refusing anything not declared: an
 * unknown option, an argument that is no option's value, a value missing.
 *
 * @throws UsageError naming the first wrong argument
 */
export function parseAppArgs(
  args: readonly string[],
  options: AppOptions = {},
): RawArgs {
  const refused: string[] = [];
  const strings = options.string ?? [];
  const parsed: Record<string, unknown> = parseArgs([...args], {
    string: strings,
    boolean: options.boolean ?? [],
    negatable: options.negatable ?? [],
    alias: options.alias ?? {},
    default: options.default ?? {},
    unknown: (arg: string, key?: string) => {
      refused.push(
        key === undefined
          ? `unexpected argument "${arg}"`
          : `unknown option ${arg.startsWith("--") ? "--" : "-"}${key}`,
      );
      return false;
    },
  });
  const rest = parsed._ as unknown[]; // what followed a second "--"
  if (rest.length > 0) refused.push(`unexpected argument "${rest[0]}"`);
  if (refused.length > 0) throw new UsageError(refused[0]);
  const out: RawArgs = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (k === "_") continue;
    if (strings.includes(k) && v === "") {
      throw new UsageError(`option ${flagName(k)} needs a value`);
    }
    out[k] = v as string | boolean;
  }
  return out;
}

/**
 * Option `name` as an integer in `min..max`, or `def` when not given.
 *
 * @throws UsageError for a value that is not such an integer
 */
export function intArg(
  raw: RawArgs,
  name: string,
  def: number,
  min = 0,
  max: number = Number.MAX_SAFE_INTEGER,
): number {
  const v = raw[name];
  if (v === undefined) return def;
  const n = typeof v === "string" && /^\s*-?\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!(Number.isSafeInteger(n) && n >= min && n <= max)) {
    const range = max === Number.MAX_SAFE_INTEGER
      ? `>= ${min}`
      : `in ${min}..${max}`;
    throw new UsageError(
      `${flagName(name)} must be an integer ${range}, got "${v}"`,
    );
  }
  return n;
}

/** Whether the command line asks for help (`-h`/`--help` anywhere). */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes("-h") || argv.includes("--help");
}

/**
 * Everything the command line decides, before EAL starts: the merged EAL
 * command line, the experiment's arguments, the time limit.
 *
 * @param spec the experiment (name, options, eal defaults, seconds, parse)
 * @param argv the command line, e.g. `Deno.args`
 * @param pid part of the default file prefix (default: this process's)
 * @throws UsageError (or what `parse` throws) for a wrong command line
 */
export function planExperiment<A = RawArgs>(
  { name, options = {}, eal = ["-l", "0,1"], seconds, parse }: Pick<
    ExperimentSpec<A, unknown>,
    "name" | "options" | "eal" | "seconds" | "parse"
  >,
  argv: readonly string[],
  pid: number = Deno.pid,
): ExperimentPlan<A> {
  const { eal: given, app } = splitArgs(argv);
  const appOptions: AppOptions = seconds === undefined
    ? options
    : { ...options, string: [...(options.string ?? []), "t"] };
  const known = new Set([
    ...(appOptions.string ?? []),
    ...(appOptions.boolean ?? []),
  ]);
  const givenOptions = ealOptions(given);
  for (const { option, value } of givenOptions) {
    const bare = option.replace(/^--?(no-)?/, "");
    const eal = option.length === 2 && EAL_SHORT.has(bare);
    if (known.has(bare) && !eal) {
      throw new UsageError(
        `${option} is an option of ${name}: give it after "--"`,
      );
    }
    if (option === "--proc-type" && value !== "primary") {
      throw new UsageError(
        `--proc-type=${value}: an experiment runs as the primary of its ` +
          `own group`,
      );
    }
  }
  const raw = parseAppArgs(app, appOptions);
  const limit = seconds === undefined ? 0 : intArg(raw, "t", seconds);
  const args = parse ? parse(raw) : raw as A;
  const defaults = [
    ...(typeof eal === "function" ? eal(raw) : eal),
    ...experimentEalDefaults(name, pid),
  ];
  const merged = mergeEalArgs(given, defaults);
  const userPrefix = givenOptions.some((o) => o.option === "--file-prefix");
  return {
    ealArgv: [...merged, "--", ...app],
    args,
    seconds: limit,
    ownPrefix: userPrefix ? undefined : `ex_${name}_${pid}`,
  };
}

/**
 * The one line printed for an error: `NAME: message`. Errors that come
 * from bad input or from DPDK (`UsageError`, `RangeError`, `DpdkError`,
 * `ShimLoadError`) get their message only; anything else, a bug, its
 * stack too.
 */
export function describeError(name: string, e: unknown): string {
  if (
    e instanceof UsageError || e instanceof RangeError ||
    e instanceof DpdkError || e instanceof ShimLoadError ||
    (e instanceof Error && e.name === "SecondaryStartError")
  ) return `${name}: ${e.message}`;
  if (e instanceof Error) return `${name}: ${e.stack ?? e.message}`;
  return `${name}: ${String(e)}`;
}

/**
 * Runs an experiment: parses the command line (`EAL options -- app
 * options`; unknown app options are refused), adds the EAL defaults the
 * command line does not give, starts EAL as the primary of a throwaway
 * group, runs `main`, stops it on SIGINT/SIGTERM or after `-t SECONDS`,
 * and on every exit path joins launched lcores, releases what `main`
 * registered, cleans EAL up and removes the group's files. Prints `main`'s
 * result as one JSON line, `{"example": NAME, ...result}`, and returns the
 * exit status ({@linkcode EXIT_OK}, {@linkcode EXIT_FAILED},
 * {@linkcode EXIT_USAGE}): `Deno.exit(await runExperiment(...))`.
 *
 * A second SIGINT/SIGTERM while stopping exits at once (status 130),
 * removing the group's files.
 */
export async function runExperiment<
  A = RawArgs,
  R extends object = Record<string, unknown>,
>(
  {
    name,
    usage,
    options = {},
    eal = ["-l", "0,1"],
    seconds,
    parse,
    main,
    argv = Deno.args,
  }: ExperimentSpec<A, R>,
): Promise<number> {
  if (wantsHelp(argv)) {
    console.log(`usage: ${usage}`);
    return EXIT_OK;
  }
  let plan: ExperimentPlan<A>;
  try {
    plan = planExperiment({ name, options, eal, seconds, parse }, argv);
  } catch (e) {
    console.error(describeError(name, e));
    if (!(e instanceof UsageError || e instanceof RangeError)) {
      return EXIT_FAILED;
    }
    console.error(`usage: ${usage}`);
    return EXIT_USAGE;
  }

  const controller = new AbortController();
  const signal = controller.signal;
  const stop = (reason = "stopped") => {
    if (!signal.aborted) controller.abort(reason);
  };
  let prefix = plan.ownPrefix, signalled = false;
  const listeners = (["SIGINT", "SIGTERM"] as const).map((sig) => {
    const fn = () => {
      if (signalled) {
        console.error(`${name}: ${sig} again: exiting without cleanup`);
        if (prefix !== undefined) removeGroupFiles(prefix);
        Deno.exit(130);
      }
      signalled = true;
      stop(sig);
    };
    Deno.addSignalListener(sig, fn);
    return () => Deno.removeSignalListener(sig, fn);
  });
  const unlisten = () => listeners.forEach((remove) => remove());

  let init: EalInit;
  try {
    init = initEal(plan.ealArgv, {
      progName: name,
      removeFilesOnCleanup: true,
    });
  } catch (e) {
    console.error(describeError(name, e));
    if (plan.ownPrefix !== undefined) removeGroupFiles(plan.ownPrefix);
    unlisten();
    return EXIT_FAILED;
  }
  prefix = init.filePrefix;

  const onExit: (() => unknown)[] = [];
  const ticks: ((second: number) => void)[] = [];
  let failure: unknown, failed = false;
  const fail = (e: unknown) => {
    if (!failed) [failure, failed] = [e, true];
  };
  // -t: counted from the start of main, or from when the workers main
  // launched run (their start-up does not count), or, once main asks for a
  // tick every second, by those ticks (a run of N seconds prints exactly N
  // ticks)
  const limit = plan.seconds * 1000;
  let deadline = limit > 0 ? setTimeout(() => stop("time"), limit) : undefined;
  let clock: ReturnType<typeof setInterval> | undefined, second = 0;
  const startClock = () => {
    clearTimeout(deadline);
    deadline = undefined;
    clock = setInterval(() => {
      second++;
      try {
        for (const fn of ticks) fn(second);
      } catch (e) {
        fail(e);
        stop("failed");
      }
      if (plan.seconds > 0 && second >= plan.seconds) stop("time");
    }, 1000);
    signal.addEventListener("abort", () => clearInterval(clock), {
      once: true,
    });
  };
  const ctx: ExperimentContext<A> = {
    name,
    args: plan.args,
    eal: init,
    seconds: plan.seconds,
    signal,
    running: () => !signal.aborted,
    stop,
    everySecond: (fn) => {
      ticks.push(fn);
      if (clock === undefined && !signal.aborted) startClock();
    },
    launch: <M = unknown>(
      module: URL | string,
      opts: LaunchOptions<LcoreData<M>> = {},
    ) => {
      const group = launchLcores<M>(module, opts);
      onExit.push(() => group[Symbol.asyncDispose]());
      if (limit > 0 && clock === undefined) {
        clearTimeout(deadline);
        deadline = undefined;
        group.started.then(() => {
          if (
            clock === undefined && deadline === undefined && !signal.aborted
          ) {
            deadline = setTimeout(() => stop("time"), limit);
          }
        }, () => {});
      }
      if (signal.aborted) group.stop();
      else signal.addEventListener("abort", () => group.stop(), { once: true });
      return group;
    },
    use: (resource) => {
      onExit.push(() =>
        Symbol.asyncDispose in resource
          ? resource[Symbol.asyncDispose]()
          : resource[Symbol.dispose]()
      );
      return resource;
    },
    defer: (fn) => void onExit.push(fn),
  };

  let result: R | undefined;
  try {
    result = await main(ctx);
  } catch (e) {
    fail(e);
  }
  clearTimeout(deadline);
  clearInterval(clock);
  stop("done");
  while (onExit.length > 0) {
    try {
      await onExit.pop()!();
    } catch (e) {
      fail(e);
    }
  }
  try {
    cleanupEal(); // removes the group's files (removeFilesOnCleanup)
  } catch (e) {
    fail(e);
  }
  unlisten();
  if (result !== undefined) {
    console.log(JSON.stringify({ example: name, ...result }));
  }
  if (failed) {
    console.error(describeError(name, failure));
    return EXIT_FAILED;
  }
  return EXIT_OK;
}
