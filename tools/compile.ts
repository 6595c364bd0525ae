/**
 * `deno task compile`: builds the sample apps into standalone executables
 * with `deno compile` — `build/bin/dpdk-simple_mp`, `dpdk-symmetric_mp`,
 * `dpdk-mp_server`, `dpdk-mp_client` — each carrying the shim, its lcore
 * worker modules (found in its import graph) and its permissions
 * (tools/compile_config.ts). See
 * tools/COMPILE.md.
 *
 * ```sh
 * deno task compile                      # all four into build/bin
 * deno task compile --out /tmp/bin simple_mp
 * DENORT_BIN=/opt/denort deno task compile
 * ```
 *
 * `deno compile` needs Deno's runtime `denort`, which it downloads from
 * dl.deno.land. Before building anything this tool makes sure one can be
 * had — `$DENORT_BIN`, the copy in Deno's cache, or dl.deno.land answering
 * within a few seconds — and otherwise stops at once, saying so and what to
 * do. Binaries are built into a staging folder and moved into place only
 * when every one was built and starts; on any failure, timeout or Ctrl-C
 * nothing half-written is left.
 *
 * Exit status: 0 built; 1 a build failed; 2 no denort runtime can be had
 * (nothing was built); 64 bad arguments.
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import {
  type AppBuild,
  appByName,
  APPS,
  type AppSpec,
  compileArgs,
  resolveBuild,
  ROOT,
  SHIM,
} from "./compile_config.ts";

/** Exit status when no denort runtime can be had. */
export const EXIT_NO_DENORT = 2;

/** Where `deno compile` downloads denort for this Deno and platform. */
export function denortUrl(): string {
  return `https://dl.deno.land/release/v${Deno.version.deno}/` +
    `denort-${Deno.build.target}.zip`;
}

/** Where a denort comes from. */
export interface Denort {
  /** `DENORT_BIN`: that file; `cache`: Deno's cached zip; `download`: dl.deno.land. */
  source: "DENORT_BIN" | "cache" | "download";
  /** The file (DENORT_BIN, cache) or URL (download). */
  where: string;
}

/** No denort can be had: the message says why and what to do. */
export class NoDenortError extends Error {
  /** An error saying why no denort can be had (the advice comes apart). */
  constructor(message: string) {
    super(message);
    this.name = "NoDenortError";
  }
}

const decoder = new TextDecoder();

/** Runs a command with a time limit; output captured. */
async function runCaptured(
  cmd: string,
  args: string[],
  timeoutMs: number,
  cwd?: string,
): Promise<
  { code: number | null; stdout: string; output: string; timedOut: boolean }
> {
  const child = new Deno.Command(cmd, {
    args,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // already ended
    }
  }, timeoutMs);
  try {
    const out = await child.output();
    const stdout = decoder.decode(out.stdout);
    return {
      code: timedOut ? null : out.code,
      stdout,
      output: stdout + decoder.decode(out.stderr),
      timedOut,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Deno's cache folder (`$DENO_DIR`, else what `deno info` reports). */
async function denoDir(): Promise<string | undefined> {
  const env = Deno.env.get("DENO_DIR");
  if (env) return env;
  const r = await runCaptured(Deno.execPath(), ["info", "--json"], 10_000);
  try {
    return JSON.parse(r.stdout).denoDir;
  } catch {
    return undefined;
  }
}

/**
 * Checks that `path` can serve as `DENORT_BIN`: an executable ELF file that
 * is not the full `deno` CLI (a binary built on that only starts Deno's
 * REPL). Throws NoDenortError saying what is wrong.
 */
export async function checkDenortBin(path: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (e) {
    throw new NoDenortError(
      `DENORT_BIN=${path}: ${(e as Error).message}`,
    );
  }
  if (!info.isFile || ((info.mode ?? 0o111) & 0o111) === 0) {
    throw new NoDenortError(
      `DENORT_BIN=${path} is not an executable file (chmod +x it)`,
    );
  }
  const head = new Uint8Array(4);
  const f = await Deno.open(path);
  try {
    await f.read(head);
  } finally {
    f.close();
  }
  if (head[0] !== 0x7f || decoder.decode(head.subarray(1)) !== "ELF") {
    throw new NoDenortError(
      `DENORT_BIN=${path} is not an ELF executable (unzip the denort zip ` +
        `and point DENORT_BIN at the 'denort' file inside)`,
    );
  }
  // A bare denort has no program to run and exits at once with an error;
  // the deno CLI answers --version.
  const r = await runCaptured(path, ["--version"], 10_000);
  if (/^deno \d+\.\d+\.\d+/m.test(r.output)) {
    throw new NoDenortError(
      `DENORT_BIN=${path} is the full deno CLI (${
        r.output.split("\n")[0]
      }), not denort: a binary built on it only starts Deno's REPL`,
    );
  }
}

/**
 * Whether `url` answers within `timeoutMs` (any HTTP status below 400,
 * redirects not followed); the reason when not.
 */
export async function probe(
  url: string,
  timeoutMs: number,
): Promise<{ ok: boolean; reason: string }> {
  try {
    const res = await fetch(url, {
      method: "HEAD",
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel();
    return res.status < 400
      ? { ok: true, reason: `HTTP ${res.status}` }
      : { ok: false, reason: `HTTP ${res.status}` };
  } catch (e) {
    const err = e as Error;
    if (err.name === "TimeoutError") {
      return { ok: false, reason: `no answer within ${timeoutMs / 1000} s` };
    }
    // "error sending request for url (URL): client error (Connect): ..."
    return {
      ok: false,
      reason: ((err.cause as Error | undefined)?.message ?? err.message)
        .replace(/^error sending request for url \([^)]*\): /, ""),
    };
  }
}

/**
 * Where `deno compile` keeps the denort zip it downloaded (the file need
 * not exist), or undefined when Deno's cache folder is unknown.
 */
export async function denortCachePath(): Promise<string | undefined> {
  const dir = await denoDir();
  return dir && `${dir}/dl/${new URL(denortUrl()).pathname.slice(1)}`;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/**
 * Finds a denort for `deno compile`, in the order Deno itself uses:
 * `$DENORT_BIN` (checked, never silently bypassed), the zip in Deno's
 * cache, then dl.deno.land if it answers within `probeMs`. Throws
 * NoDenortError with what to do when none can be had.
 */
export async function findDenort(probeMs = 5_000): Promise<Denort> {
  const bin = Deno.env.get("DENORT_BIN");
  if (bin) {
    await checkDenortBin(bin);
    return { source: "DENORT_BIN", where: bin };
  }
  const url = denortUrl();
  const cached = await denortCachePath();
  if (cached && await isFile(cached)) return { source: "cache", where: cached };
  const reached = await probe(url, probeMs);
  if (reached.ok) return { source: "download", where: url };
  throw new NoDenortError(
    `deno compile needs Deno's runtime 'denort' and downloads it from ` +
      `dl.deno.land, which cannot be reached from here ` +
      `(${reached.reason}); DENORT_BIN is not set and Deno's cache has no ` +
      `copy` + (cached ? ` (${cached})` : "") + ".",
  );
}

/** What to do when no denort can be had (printed after the reason). */
export function noDenortAdvice(): string {
  return [
    "Nothing was built. Do one of:",
    "  - run `deno task compile` on a machine that reaches dl.deno.land and " +
    "copy build/bin/* to the lab box (tools/COMPILE.md);",
    "  - fetch the denort of this deno elsewhere:",
    `      ${denortUrl()}`,
    "    unzip it here and run: DENORT_BIN=/path/to/denort deno task compile",
    `    (same version as this deno, ${Deno.version.deno}; the full deno ` +
    "binary does not work as DENORT_BIN).",
  ].join("\n");
}

/**
 * Brings the shim up to date (`make -C shim`: builds it if missing or
 * older than its source; needs libdpdk-dev, pkg-config and a C compiler).
 * Without make, an existing shim is used as it is.
 */
async function ensureShim(): Promise<void> {
  let r: Deno.CommandOutput;
  try {
    r = await new Deno.Command("make", {
      args: ["-s", "-C", ROOT + "shim"],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    if (await isFile(ROOT + SHIM)) {
      console.warn(`compile: no make here: using ${SHIM} as it is`);
      return;
    }
    throw new Error(`${SHIM} is missing and there is no make to build it`);
  }
  if (!r.success) {
    throw new Error(
      `building the shim failed (make -C shim; needs libdpdk-dev, ` +
        `pkg-config and a C compiler):\n${decoder.decode(r.stderr)}`,
    );
  }
}

/** The `deno compile` running now, stopped on Ctrl-C/SIGTERM. */
let compiling: Deno.ChildProcess | undefined;

/** Runs `deno compile` for one app into `output`, within `timeoutMs`. */
async function compileApp(
  app: AppBuild,
  output: string,
  timeoutMs: number,
): Promise<void> {
  const child = new Deno.Command(Deno.execPath(), {
    args: compileArgs(app, output),
    cwd: ROOT,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  compiling = child;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, timeoutMs);
  const status = await child.status;
  clearTimeout(timer);
  compiling = undefined;
  if (timedOut) {
    throw new Error(
      `deno compile of ${app.name} did not finish within ${
        timeoutMs / 1000
      } s (stopped); raise it with --timeout SECONDS`,
    );
  }
  if (!status.success) {
    throw new Error(
      `deno compile of ${app.name} failed (exit status ${status.code})`,
    );
  }
}

/**
 * Starts a freshly built binary with `--help` (EAL prints its usage and
 * exits before touching hugepages or devices) to prove it runs the app and
 * not Deno's REPL. Returns a warning when the machine has no DPDK to check
 * against; throws when the binary does not behave.
 */
async function smokeTest(
  app: AppSpec,
  bin: string,
  cwd: string,
): Promise<string | undefined> {
  const r = await runCaptured(bin, ["--help"], 30_000, cwd);
  if (r.code === 0 && /EAL common options/.test(r.output)) return undefined;
  if (r.code === 1 && /cannot load the DPDK shim/.test(r.output)) {
    return `${app.binary}: runs, but this machine has no DPDK to check it ` +
      `against:\n  ${r.output.trim().split("\n").join("\n  ")}`;
  }
  throw new Error(
    `${app.binary} --help did not print the EAL usage ` +
      `(${r.timedOut ? "timed out" : `exit status ${r.code}`}):\n${r.output}`,
  );
}

/** Command-line options of the task. */
interface Options {
  apps: AppSpec[];
  out: string;
  timeoutMs: number;
  probeMs: number;
}

function usage(): string {
  return [
    "usage: deno task compile [--out DIR] [--timeout SECONDS] [APP...]",
    `  APP: ${APPS.map((a) => a.name).join(", ")} (default: all)`,
    "  --out DIR          where the binaries go (default: build/bin)",
    "  --timeout SECONDS  limit per deno compile run (default: 600)",
    "  --probe-timeout SECONDS  how long to wait for dl.deno.land (default: 5)",
    "environment: DENORT_BIN=/path/to/denort uses that runtime",
  ].join("\n");
}

function parseOptions(argv: string[]): Options {
  const a = parseArgs(argv, {
    string: ["out", "timeout", "probe-timeout"],
    boolean: ["help"],
    alias: { h: "help", o: "out" },
    unknown: (arg: string) => {
      if (arg.startsWith("-")) throw new Error(`unknown option ${arg}`);
      return true;
    },
  });
  if (a.help) {
    console.log(usage());
    Deno.exit(0);
  }
  const seconds = (v: string | undefined, def: number, what: string) => {
    if (v === undefined) return def * 1000;
    const n = Number(v);
    if (!(n > 0)) throw new Error(`${what} must be a positive number: ${v}`);
    return n * 1000;
  };
  const names = (a._ as unknown[]).map(String);
  const out = a.out ?? ROOT + "build/bin";
  return {
    apps: names.length === 0 ? [...APPS] : names.map(appByName),
    out: out.startsWith("/") ? out : `${Deno.cwd()}/${out}`,
    timeoutMs: seconds(a.timeout, 600, "--timeout"),
    probeMs: seconds(a["probe-timeout"], 5, "--probe-timeout"),
  };
}

/** The task: returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  let opts: Options;
  try {
    opts = parseOptions(argv);
  } catch (e) {
    console.error(`compile: ${(e as Error).message}\n${usage()}`);
    return 64;
  }

  let denort: Denort;
  try {
    denort = await findDenort(opts.probeMs);
  } catch (e) {
    if (!(e instanceof NoDenortError)) throw e;
    console.error(
      `compile: no denort runtime available: ${e.message}\n${noDenortAdvice()}`,
    );
    return EXIT_NO_DENORT;
  }
  console.log(`compile: denort from ${denort.source}: ${denort.where}`);

  await Deno.mkdir(opts.out, { recursive: true });
  const staging = await Deno.makeTempDir({
    dir: opts.out,
    prefix: ".staging-",
  });
  const cleanup = () => {
    try {
      Deno.removeSync(staging, { recursive: true });
    } catch {
      // already gone
    }
  };
  const onSignal = () => {
    try {
      compiling?.kill("SIGKILL");
    } catch {
      // already ended
    }
    cleanup();
    console.error("compile: interrupted, nothing was installed");
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    await ensureShim();
    const warnings: string[] = [];
    for (const app of opts.apps) {
      const build = await resolveBuild(app);
      console.log(
        `compile: ${app.entry} -> ${app.binary} (also carrying ${
          build.include.join(", ")
        })`,
      );
      const bin = `${staging}/${app.binary}`;
      await compileApp(build, bin, opts.timeoutMs);
      const warning = await smokeTest(app, bin, staging);
      if (warning) warnings.push(warning);
    }
    for (const app of opts.apps) {
      await Deno.rename(
        `${staging}/${app.binary}`,
        `${opts.out}/${app.binary}`,
      );
    }
    for (const w of warnings) console.warn(`compile: warning: ${w}`);
    console.log(
      `compile: built ${
        opts.apps.map((a) => a.binary).join(", ")
      } in ${opts.out}`,
    );
    return 0;
  } catch (e) {
    console.error(
      `compile: ${(e as Error).message}\ncompile: nothing was installed`,
    );
    return 1;
  } finally {
    cleanup();
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
