/**
 * Scripting a DPDK group from outside or from a watching secondary:
 *  - which processes belong to a group and which lcore IDs they use (C
 *    processes included, which claim nothing), and a free lcore ID for a
 *    watcher ({@linkcode usedLcores}, {@linkcode pickFreeLcore});
 *  - attaching this process as a watching secondary in one call, with a
 *    free lcore ID, a robust attach and a one-line error that leaves no
 *    file behind ({@linkcode attachSecondary});
 *  - starting a secondary process from a script and awaiting its attach,
 *    or its failure with its output ({@linkcode startSecondary}).
 *
 * Where the lcore IDs come from: the lcore claim table ({@linkcode
 * LCORE_CLAIMS}, processes started by this library's `initEal`; readable
 * only once this process has attached), the primary's EAL arguments as
 * telemetry reports them (`/eal/params`: exact, even when the primary
 * built them in code), and each process's command line
 * (`/proc/PID/cmdline`: `-l`, `--lcores`, `-c`, `--main-lcore`; EAL's
 * default, one lcore per CPU, when none is given). Secondaries are found
 * by their multi-process sockets (`mp_socket_PID_*`) in the runtime
 * folder. Not covered: a C secondary that builds its EAL arguments in
 * code rather than taking them from its command line.
 *
 * @module
 */

import { cbuf, cstr, lib } from "../ffi/lib.ts";
import { DpdkError, strerror } from "./errors.ts";
import { RTE } from "./constants.ts";
import { processAlive, runtimeRoot } from "./proc.ts";
import { ClaimTable } from "./claims.ts";
import {
  type EalInit,
  ealInitialised,
  initEal,
  LCORE_CLAIMS,
  LcoreClashError,
} from "./eal.ts";
import {
  ATTACH_REEXEC_ENV,
  type AttachOptions,
  attachReexecs,
  type AttachReport,
  ealPart,
  filePrefixOf,
  hasFlag,
  optionValues,
  prepareAttach,
  recoverFailedAttach,
  removeAttachLeftovers,
} from "./attach.ts";
import { telemetryQuery, telemetrySocketPath } from "./introspect.ts";

// ---- lcore arguments ----------------------------------------------------------

/** Parses an lcore list such as `0-3,5` (also `(0-3,5)`). */
export function parseLcoreList(text: string): number[] {
  const out = new Set<number>();
  for (const part of text.replace(/[()]/g, "").split(",")) {
    const t = part.trim();
    if (t === "") continue;
    const m = t.match(/^(\d+)(?:-(\d+))?$/);
    if (m === null) throw new RangeError(`bad lcore list "${text}"`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    for (let i = Math.min(a, b); i <= Math.max(a, b); i++) out.add(i);
  }
  return [...out].sort((x, y) => x - y);
}

/**
 * The lcore IDs of an `--lcores` map such as `2@1`, `(0-1)@0,3@(0,1)` or
 * `0-3` (the IDs, left of each `@`).
 */
export function parseLcoreMap(text: string): number[] {
  const groups: string[] = [];
  let depth = 0, cur = "";
  for (const ch of text) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      groups.push(cur);
      cur = "";
    } else cur += ch;
  }
  groups.push(cur);
  const out = new Set<number>();
  for (const g of groups) {
    if (g.trim() === "") continue;
    for (const id of parseLcoreList(g.split("@")[0])) out.add(id);
  }
  return [...out].sort((x, y) => x - y);
}

/** The lcore IDs of a hexadecimal core mask (`-c 0x3`, `-c f`). */
export function parseCoreMask(text: string): number[] {
  const hex = text.replace(/^0x/i, "");
  if (!/^[0-9a-f]+$/i.test(hex)) {
    throw new RangeError(`bad core mask "${text}"`);
  }
  const out: number[] = [];
  const bits = BigInt(`0x${hex}`);
  for (let i = 0; bits >> BigInt(i) !== 0n; i++) {
    if ((bits >> BigInt(i)) & 1n) out.push(i);
  }
  return out;
}

/**
 * The lcore IDs the EAL arguments `eal` give a process: `-l`, `--lcores`,
 * `-c` and `--main-lcore`, together; with none of them, EAL's default:
 * IDs 0 to `cpuCount - 1` (one per CPU).
 */
export function lcoresOfEalArgs(
  eal: readonly string[],
  cpuCount: number = navigator.hardwareConcurrency,
): number[] {
  const out = new Set<number>();
  const l = optionValues(eal, undefined, "l");
  const map = optionValues(eal, "lcores");
  const mask = optionValues(eal, undefined, "c");
  for (const v of l) parseLcoreList(v).forEach((i) => out.add(i));
  for (const v of map) parseLcoreMap(v).forEach((i) => out.add(i));
  for (const v of mask) parseCoreMask(v).forEach((i) => out.add(i));
  if (l.length + map.length + mask.length === 0) {
    for (let i = 0; i < cpuCount; i++) out.add(i);
  }
  for (const v of optionValues(eal, "main-lcore")) {
    if (/^\d+$/.test(v)) out.add(Number(v));
  }
  return [...out].sort((x, y) => x - y);
}

const DENO_VALUE_FLAGS = new Set([
  "-c",
  "--config",
  "--import-map",
  "--lock",
  "--cert",
  "--location",
  "--seed",
  "--env-file",
  "--ext",
]);

/**
 * The program arguments of a command line (argv as in
 * `/proc/PID/cmdline`): for `deno run [flags] MODULE args...`, the args
 * after the module; for any other program (a C app, a compiled binary),
 * everything after argv[0].
 */
export function programArgs(cmdline: readonly string[]): string[] {
  const exe = cmdline[0]?.split("/").at(-1) ?? "";
  if (exe !== "deno" || cmdline.length < 2) return cmdline.slice(1);
  let i = 1;
  if (/^(run|test|bench|serve)$/.test(cmdline[1])) i = 2;
  for (; i < cmdline.length; i++) {
    const a = cmdline[i];
    if (DENO_VALUE_FLAGS.has(a)) {
      i++;
      continue;
    }
    if (!a.startsWith("-")) return cmdline.slice(i + 1); // the module
  }
  return [];
}

// ---- the group's processes -----------------------------------------------------

/** A process of a DPDK group. */
export interface GroupProcess {
  /** Its PID. */
  pid: number;
  /** Primary or secondary. */
  role: "primary" | "secondary";
  /** Its command line (`/proc/PID/cmdline`), empty when unreadable. */
  cmdline: string[];
  /** The lcore IDs it uses. */
  lcores: number[];
  /**
   * Where they come from: `telemetry` (the primary's `/eal/params`),
   * `cmdline` (its lcore options), `default` (no lcore option: one per
   * CPU), `unknown` (command line unreadable: assumed every CPU's ID).
   */
  source: "telemetry" | "cmdline" | "default" | "unknown";
}

function readText(path: string, cap = 1 << 20): string | undefined {
  const buf = new Uint8Array(cap);
  const n = lib().shim_file_read(cbuf(path), buf, cap);
  return n < 0 ? undefined : new TextDecoder().decode(buf.subarray(0, n));
}

function cmdlineOf(pid: number): string[] {
  const t = readText(`/proc/${pid}/cmdline`);
  if (t === undefined || t === "") return [];
  return t.replace(/\0$/, "").split("\0");
}

function describe(
  pid: number,
  role: GroupProcess["role"],
  cpus: number,
): GroupProcess {
  const cmdline = cmdlineOf(pid);
  if (cmdline.length === 0) {
    return {
      pid,
      role,
      cmdline,
      lcores: lcoresOfEalArgs([], cpus),
      source: "unknown",
    };
  }
  const eal = ealPart(programArgs(cmdline));
  const given = optionValues(eal, undefined, "l").length +
    optionValues(eal, "lcores").length +
    optionValues(eal, undefined, "c").length;
  let lcores: number[];
  try {
    lcores = lcoresOfEalArgs(eal, cpus);
  } catch {
    lcores = lcoresOfEalArgs([], cpus);
  }
  return {
    pid,
    role,
    cmdline,
    lcores,
    source: given > 0 ? "cmdline" : "default",
  };
}

/** Options of {@linkcode groupProcesses} and {@linkcode usedLcores}. */
export interface GroupOptions {
  /** The runtime folders' parent (default: `runtimeRoot()`). */
  runtimeRoot?: string;
  /** CPUs on this machine, for EAL's default lcores. */
  cpuCount?: number;
}

/**
 * The live processes of group `prefix`: its primary (the holder of the
 * config file's lock) and its secondaries (by their multi-process
 * sockets), each with the lcore IDs its command line gives it. Call it
 * only in a process that is not the group's primary (testing the lock
 * from the primary would drop it).
 */
export function groupProcesses(
  prefix: string,
  opts: GroupOptions = {},
): GroupProcess[] {
  const dir = `${opts.runtimeRoot ?? runtimeRoot()}/${prefix}`;
  const cpus = opts.cpuCount ?? navigator.hardwareConcurrency;
  const out: GroupProcess[] = [];
  const primary = lib().shim_file_lock_holder(cbuf(`${dir}/config`));
  if (primary > 0) out.push(describe(primary, "primary", cpus));
  let names: string[] = [];
  try {
    names = [...Deno.readDirSync(dir)].map((e) => e.name);
  } catch {
    // no folder (no group), or not ours to read
  }
  for (const name of names) {
    const m = name.match(/^mp_socket_(\d+)_/);
    if (m === null) continue;
    const pid = Number(m[1]);
    if (pid === Deno.pid || pid === primary || !processAlive(pid)) continue;
    out.push(describe(pid, "secondary", cpus));
  }
  return out;
}

/** What {@linkcode usedLcores} found. */
export interface UsedLcores {
  /** Every lcore ID some process of the group uses, ascending. */
  lcores: number[];
  /** The processes found, with their lcores. */
  processes: GroupProcess[];
  /**
   * IDs held in the lcore claim table by other processes, when this
   * process has attached (else undefined: not readable yet).
   */
  claimed?: number[];
}

/**
 * The lcore IDs the processes of group `prefix` use (see the module
 * notes for the sources). Works before this process attaches; after, the
 * claim table is read too.
 */
export async function usedLcores(
  prefix: string,
  opts: GroupOptions = {},
): Promise<UsedLcores> {
  const root = opts.runtimeRoot ?? runtimeRoot();
  const processes = groupProcesses(prefix, opts);
  const primary = processes.find((p) => p.role === "primary");
  if (primary !== undefined) {
    try {
      const [params] = await telemetryQuery(
        telemetrySocketPath(prefix, root),
        ["/eal/params"],
        { timeoutMs: 2000 },
      );
      if (Array.isArray(params) && params.length > 0) {
        primary.lcores = lcoresOfEalArgs(
          ealPart((params as string[]).slice(1)),
          opts.cpuCount ?? navigator.hardwareConcurrency,
        );
        primary.source = "telemetry";
      }
    } catch {
      // no telemetry (disabled, or another process): its command line
    }
  }
  const all = new Set<number>();
  for (const p of processes) p.lcores.forEach((l) => all.add(l));
  let claimed: number[] | undefined;
  if (ealInitialised()) {
    claimed = ClaimTable.open(LCORE_CLAIMS, RTE.RTE_MAX_LCORE).heldByOthers();
    claimed.forEach((l) => all.add(l));
  }
  return {
    lcores: [...all].sort((a, b) => a - b),
    processes,
    claimed,
  };
}

/** Options of {@linkcode pickFreeLcore}. */
export interface PickOptions extends GroupOptions {
  /**
   * Which free ID to take: `highest` (default: the least likely to be
   * wanted by a process started later) or `lowest`.
   */
  prefer?: "highest" | "lowest";
  /** IDs to leave alone besides those in use. */
  avoid?: readonly number[];
}

/**
 * An lcore ID no process of group `prefix` uses (see {@linkcode
 * usedLcores}), below `RTE.RTE_MAX_LCORE`.
 *
 * @throws DpdkError (ENOSPC) when every ID is taken
 */
export async function pickFreeLcore(
  prefix: string,
  opts: PickOptions = {},
): Promise<number> {
  const used = new Set((await usedLcores(prefix, opts)).lcores);
  for (const a of opts.avoid ?? []) used.add(a);
  const max = RTE.RTE_MAX_LCORE;
  const ids = Array.from({ length: max }, (_, i) => i);
  if ((opts.prefer ?? "highest") === "highest") ids.reverse();
  const free = ids.find((i) => !used.has(i));
  if (free === undefined) {
    throw new DpdkError(`no free lcore ID in group "${prefix}"`, RTE.ENOSPC);
  }
  return free;
}

// ---- attaching this process -------------------------------------------------------

/** Environment variable listing lcore IDs a fresh start must avoid. */
export const LCORE_AVOID_ENV = "DPDK_TS_LCORE_AVOID";

/** Options of {@linkcode attachSecondary}. */
export interface AttachSecondaryOptions extends AttachOptions {
  /** argv[0] as EAL sees it. */
  progName?: string;
  /** CPU the picked lcore ID runs on (default 0). */
  cpu?: number;
  /** Forward DPDK's log lines to stderr (default true; never stdout). */
  logToStderr?: boolean;
}

/** What {@linkcode attachSecondary} returns. */
export interface AttachedSecondary extends EalInit {
  /** The lcore ID this process runs as. */
  lcore: number;
  /** Whether that ID was picked here (none was given). */
  picked: boolean;
  /** What {@linkcode prepareAttach} found. */
  attach: AttachReport | undefined;
}

/** A secondary could not attach; the message is one line. */
export class AttachError extends DpdkError {
  /** The group's prefix. */
  readonly prefix: string;
  /** DPDK's log lines captured during the attempt. */
  readonly log: string;
  /**
   * An error with a one-line reason.
   *
   * @param prefix the group's prefix
   * @param reason one line
   * @param errno errno value
   * @param log captured DPDK log
   */
  constructor(prefix: string, reason: string, errno: number, log = "") {
    super(`attach to "${prefix}"`, errno);
    this.name = "AttachError";
    this.prefix = prefix;
    this.log = log;
    this.message = `cannot attach to the DPDK group "${prefix}": ${reason}`;
  }
}

function capturedLog(clear = true): string {
  const cap = 16384;
  const buf = new Uint8Array(cap);
  lib().shim_log_captured(buf, cap, clear ? 1 : 0);
  return cstr(Deno.UnsafePointer.of(buf));
}

/**
 * The lines of a DPDK log that say why something failed, in one line
 * (the first two such lines, without their `EAL: ` tags).
 */
export function failureReason(log: string): string | undefined {
  const lines = log.split("\n").map((l) => l.trim().replace(/^EAL: /, ""))
    .filter((l) =>
      /cannot|error|fail|fatal|invalid|mismatch|not |unable|unavailable|refus/i
        .test(l) && !/^TELEMETRY: No legacy callbacks/.test(l)
    );
  const unique = [...new Set(lines)];
  return unique.length === 0 ? undefined : unique.slice(0, 2).join("; ");
}

function envGet(name: string): string | undefined {
  try {
    const v = Deno.env.get(name);
    if (v !== undefined) Deno.env.delete(name);
    return v;
  } catch {
    return undefined;
  }
}

/**
 * Attaches this process to the running group as a secondary that
 * watches: adds `--proc-type=secondary` (and `--no-pci` unless PCI
 * devices are named with `-a`/`--allow`), picks an lcore ID no process of
 * the group uses when the arguments name none (`--lcores=ID@cpu`), runs
 * {@linkcode prepareAttach}, then `initEal` with DPDK's log on stderr.
 * When the picked ID turns out to be claimed (a process that picked its
 * own ID meanwhile), starts this process anew avoiding it. Never
 * configures a port.
 *
 * @param argv EAL arguments (optionally `--` and application arguments)
 * @throws NoPrimaryError when no primary runs under the prefix
 * @throws AttachError (one line) when EAL cannot attach; what this
 *   process created in the runtime folder is removed
 */
export async function attachSecondary(
  argv: readonly string[],
  opts: AttachSecondaryOptions = {},
): Promise<AttachedSecondary> {
  const i = argv.indexOf("--");
  const given = i < 0 ? [...argv] : argv.slice(0, i);
  const app = i < 0 ? [] : argv.slice(i + 1);
  const eal = given.filter((a, k) =>
    !a.startsWith("--proc-type") && given[k - 1] !== "--proc-type"
  );
  eal.push("--proc-type=secondary");
  const pci = optionValues(eal, "allow", "a").length > 0;
  if (!pci && !hasFlag(eal, "no-pci")) eal.push("--no-pci");
  const prefix = filePrefixOf(eal);
  const root = opts.runtimeRoot ?? runtimeRoot();
  const dir = `${root}/${prefix}`;
  // the fresh-start count is read (and removed from the env) here, before
  // anything else might start a process that inherits it
  attachReexecs();
  const avoid = (envGet(LCORE_AVOID_ENV) ?? "").split(",").filter((s) =>
    s !== ""
  ).map(Number);
  const hasLcores = optionValues(eal, undefined, "l").length +
      optionValues(eal, "lcores").length +
      optionValues(eal, undefined, "c").length > 0;
  let lcore = -1;
  const existed = (() => {
    try {
      Deno.statSync(dir);
      return true;
    } catch {
      return false;
    }
  })();
  const attach = prepareAttach(eal, opts); // NoPrimaryError: nothing made
  if (!hasLcores) {
    lcore = await pickFreeLcore(prefix, { ...opts, avoid });
    eal.push(`--lcores=${lcore}@${opts.cpu ?? 0}`);
  }
  const s = lib();
  s.shim_log_capture(opts.logToStderr === false ? 0 : 1);
  capturedLog(true);
  s.shim_stdout_to_stderr(1); // EAL prints its usage with printf
  let init: EalInit;
  try {
    init = initEal([...eal, "--", ...app], { progName: opts.progName });
  } catch (e) {
    s.shim_stdout_to_stderr(0);
    const log = capturedLog(true);
    s.shim_log_release();
    if (e instanceof LcoreClashError && !hasLcores) {
      // someone took that ID since we looked: start anew, avoiding it
      const reexecs = attach?.reexecs ?? 0;
      if (reexecs < (opts.maxReexecs ?? 8)) {
        try {
          Deno.env.set(LCORE_AVOID_ENV, [...avoid, lcore].join(","));
          s.shim_reexec(cbuf(ATTACH_REEXEC_ENV), reexecs + 1);
        } catch {
          // no --allow-env: report the clash
        }
      }
      throw e;
    }
    // an address taken since prepareAttach looked: start anew (or throw)
    if (attach !== undefined) recoverFailedAttach(attach, opts);
    removeAttachLeftovers(dir, existed);
    if (e instanceof DpdkError && !(e instanceof LcoreClashError)) {
      throw new AttachError(
        prefix,
        failureReason(log) ?? `rte_eal_init: ${strerror(e.errno)}`,
        e.errno,
        log,
      );
    }
    throw e;
  }
  s.shim_stdout_to_stderr(0);
  s.shim_log_release();
  if (lcore < 0) lcore = init.mainLcore;
  return { ...init, lcore, picked: !hasLcores, attach };
}

// ---- starting a secondary process ---------------------------------------------------

/** A secondary process failed to start or attach. */
export class SecondaryStartError extends Error {
  /** Everything it printed (stdout and stderr). */
  readonly output: string;
  /** Its exit code, when it exited. */
  readonly code: number | undefined;
  /**
   * An error with the process's last lines of output.
   *
   * @param message what happened
   * @param output its output
   * @param code its exit code
   */
  constructor(message: string, output: string, code?: number) {
    const tail = output.trimEnd().split("\n").slice(-12).join("\n");
    super(tail === "" ? message : `${message}; its output:\n${tail}`);
    this.name = "SecondaryStartError";
    this.output = output;
    this.code = code;
  }
}

/** Options of {@linkcode startSecondary}. */
export interface StartSecondaryOptions {
  /**
   * Attached once its output matches this. Without it: once the process
   * maps the group's hugepage memory and its runtime config (EAL has
   * attached its memory; devices may still be probing).
   */
  ready?: RegExp;
  /** The group's prefix (default: its `--file-prefix`, else `rte`). */
  prefix?: string;
  /** How long to wait for the attach (ms, default 30 s). */
  timeoutMs?: number;
  /** Environment additions. */
  env?: Record<string, string>;
  /** Working directory. */
  cwd?: string;
}

/** A secondary process started by {@linkcode startSecondary}. */
export class SecondaryProcess implements AsyncDisposable {
  /** The child process. */
  readonly child: Deno.ChildProcess;
  /** Its PID (kept across its fresh starts, see `prepareAttach`). */
  readonly pid: number;
  /** Everything it printed so far, stdout and stderr by arrival. */
  output = "";
  /** Its exit status (after its output is read to the end). */
  readonly status: Promise<Deno.CommandStatus>;
  /** Resolves once it has attached; rejects with its output if it fails. */
  readonly attached: Promise<void>;
  #writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  #changed: (() => void)[] = [];

  /** @internal use {@linkcode startSecondary} */
  constructor(cmd: string, args: string[], opts: StartSecondaryOptions) {
    this.child = new Deno.Command(cmd, {
      args,
      env: opts.env,
      cwd: opts.cwd,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.pid = this.child.pid;
    this.#writer = this.child.stdin.getWriter();
    const pumped = Promise.all([
      this.#pump(this.child.stdout),
      this.#pump(this.child.stderr),
    ]);
    this.status = this.child.status.then(async (s) => {
      await pumped;
      return s;
    });
    const prefix = opts.prefix ?? filePrefixOf(ealPart(args));
    this.attached = this.#awaitAttach(opts, prefix);
    this.attached.catch(() => {}); // the caller awaits it
  }

  async #pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    const dec = new TextDecoder();
    for await (const chunk of stream) {
      this.output += dec.decode(chunk, { stream: true });
      this.#notify();
    }
  }

  #notify(): void {
    const w = this.#changed;
    this.#changed = [];
    w.forEach((f) => f());
  }

  #mapsGroup(prefix: string): boolean {
    // paths appear resolved (/var/run is /run): match their ends
    const maps = readText(`/proc/${this.pid}/maps`, 1 << 22) ?? "";
    return maps.includes(`/${prefix}/config\n`) &&
      maps.includes(`/${prefix}map_`);
  }

  async #awaitAttach(
    opts: StartSecondaryOptions,
    prefix: string,
  ): Promise<void> {
    let exited: Deno.CommandStatus | undefined;
    this.status.then((s) => {
      exited = s;
      this.#notify();
    });
    const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
    for (;;) {
      if (
        opts.ready !== undefined ? opts.ready.test(this.output) : (
          exited === undefined && this.#mapsGroup(prefix)
        )
      ) return;
      if (exited !== undefined) {
        throw new SecondaryStartError(
          `secondary ${this.pid} exited with ${exited.code} before it attached`,
          this.output,
          exited.code,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new SecondaryStartError(
          `secondary ${this.pid} did not attach within ${
            opts.timeoutMs ?? 30_000
          } ms`,
          this.output,
        );
      }
      // output, exit, or (without a pattern) the next look at its maps
      let t: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#changed.push(resolve);
        t = setTimeout(
          resolve,
          opts.ready !== undefined ? left : Math.min(left, 25),
        );
      });
      clearTimeout(t);
    }
  }

  /** Writes a line to its stdin. */
  async writeLine(line: string): Promise<void> {
    await this.#writer?.write(new TextEncoder().encode(line + "\n"));
  }

  /** Closes its stdin. */
  async closeStdin(): Promise<void> {
    const w = this.#writer;
    this.#writer = undefined;
    await w?.close().catch(() => {});
  }

  /** Sends a signal (ignored once it has exited). */
  kill(signal: Deno.Signal = "SIGTERM"): void {
    try {
      this.child.kill(signal);
    } catch {
      // already gone
    }
  }

  /**
   * Stops it: `signal`, then SIGKILL after `timeoutMs`; returns its
   * status.
   */
  async stop(
    signal: Deno.Signal = "SIGTERM",
    timeoutMs = 10_000,
  ): Promise<Deno.CommandStatus> {
    this.kill(signal);
    const t = setTimeout(() => this.kill("SIGKILL"), timeoutMs);
    try {
      return await this.status;
    } finally {
      clearTimeout(t);
      await this.closeStdin();
    }
  }

  /** Stops it (SIGTERM, then SIGKILL) if still running. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/**
 * Starts `cmd args` (a secondary of a group: a C app, `deno run ...`, a
 * compiled binary) and resolves once it has attached (see
 * {@linkcode StartSecondaryOptions.ready}); rejects with a
 * {@linkcode SecondaryStartError} carrying its output when it exits or
 * times out first (the process is then stopped).
 *
 * @example
 * ```ts
 * await using sec = await startSecondary(Deno.execPath(), [
 *   "run", "-A", "apps/simple_mp.ts", "--lcores=2@0", "--no-pci",
 *   "--proc-type=secondary", "--file-prefix=smp",
 * ], { ready: /simple_mp >/ });
 * await sec.writeLine("send hello");
 * ```
 */
export async function startSecondary(
  cmd: string,
  args: readonly string[],
  opts: StartSecondaryOptions = {},
): Promise<SecondaryProcess> {
  const p = new SecondaryProcess(cmd, [...args], opts);
  try {
    await p.attached;
  } catch (e) {
    await p.stop("SIGKILL");
    throw e;
  }
  return p;
}
