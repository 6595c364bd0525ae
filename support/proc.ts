/**
 * What tests and benchmarks share: unique `--file-prefix` groups that are
 * cleaned up, and child processes whose output can be awaited line by
 * line. (Neither tests/ nor bench/ imports the other: both import here.)
 *
 * @module
 */

import { removeGroupFiles } from "../lib/proc.ts";

/** Repository root (absolute path, trailing slash). */
export const ROOT: string = new URL("../", import.meta.url).pathname;

let counter = 0;

/** A `--file-prefix` no other test or run uses. */
export function uniquePrefix(name: string): string {
  return `dts_${name}_${Deno.pid}_${counter++}`;
}

/**
 * Removes a group's runtime folder and hugepage files (the library's one
 * cleaner, `removeGroupFiles`).
 */
export function removePrefixFiles(prefix: string): Promise<void> {
  removeGroupFiles(prefix);
  return Promise.resolve();
}

/**
 * How many CPUs this machine can ever have: one more than the highest CPU
 * number in `/sys/devices/system/cpu/possible` (e.g. `0-1` gives 2), else
 * `navigator.hardwareConcurrency`. A CPU number at or above it exists
 * nowhere on this machine (for EAL arguments that must fail).
 */
export function possibleCpuCount(): number {
  try {
    const text = Deno.readTextFileSync("/sys/devices/system/cpu/possible");
    const highest = Math.max(
      ...text.trim().split(",").map((r) => Number(r.split("-").at(-1))),
    );
    if (Number.isInteger(highest) && highest >= 0) return highest + 1;
  } catch {
    // no sysfs here (or no read permission): ask the runtime
  }
  return navigator.hardwareConcurrency;
}

/** EAL arguments every test uses: no PCI, own prefix, quiet logs. */
export function ealArgs(prefix: string, ...more: string[]): string[] {
  return [
    "--no-pci",
    `--file-prefix=${prefix}`,
    "--log-level=lib.eal:error",
    ...more,
  ];
}

/** A running child process with awaitable output. */
export class Proc {
  /** The child process. */
  readonly child: Deno.ChildProcess;
  /** Name used in error messages (default: the module or command run). */
  readonly name: string;
  /** Everything printed so far (stdout and stderr, interleaved by arrival). */
  output = "";
  #waiters: (() => void)[] = [];
  #stdin: WritableStreamDefaultWriter<Uint8Array> | undefined;
  /** The exit status, once the process ended and its output was read. */
  readonly status: Promise<Deno.CommandStatus>;
  #closed: Promise<void>;

  /**
   * Starts `cmd` with `args`, stdin, stdout and stderr piped.
   *
   * @param cmd the executable
   * @param args its arguments
   * @param opts a name for messages, environment additions, working folder
   */
  constructor(
    cmd: string,
    args: string[],
    opts: { name?: string; env?: Record<string, string>; cwd?: string } = {},
  ) {
    this.name = opts.name ?? args.find((a) => a.endsWith(".ts")) ?? cmd;
    this.child = new Deno.Command(cmd, {
      args,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      env: opts.env,
      cwd: opts.cwd,
    }).spawn();
    this.#stdin = this.child.stdin.getWriter();
    this.#closed = Promise.all([
      this.#pump(this.child.stdout),
      this.#pump(this.child.stderr),
    ]).then(() => {});
    this.status = this.child.status.then(async (s) => {
      await this.#closed;
      return s;
    });
  }

  async #pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    const dec = new TextDecoder();
    for await (const chunk of stream) {
      this.output += dec.decode(chunk, { stream: true });
      const ws = this.#waiters;
      this.#waiters = [];
      ws.forEach((w) => w());
    }
    const ws = this.#waiters;
    this.#waiters = [];
    ws.forEach((w) => w());
  }

  /**
   * Resolves with the first match of `pattern` in the output (from
   * `from`, a character index), or rejects after `timeoutMs` or when the
   * process ends without printing it.
   */
  async waitFor(
    pattern: RegExp | string,
    timeoutMs = 20_000,
    from = 0,
  ): Promise<RegExpMatchArray> {
    const re = typeof pattern === "string"
      ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      : pattern;
    let ended = false;
    this.status.then(() => ended = true);
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const m = this.output.slice(from).match(re);
      if (m) return m;
      if (ended) {
        throw new Error(
          `${this.name} ended without printing ${re}; output:\n${this.output}`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `${this.name}: no ${re} within ${timeoutMs} ms; output:\n${this.output}`,
        );
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        this.status.then(() => resolve());
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
  }

  /** Writes a line to the process's stdin. */
  async writeLine(line: string): Promise<void> {
    await this.#stdin!.write(new TextEncoder().encode(line + "\n"));
  }

  /** Closes stdin (EOF). */
  async closeStdin(): Promise<void> {
    if (this.#stdin) {
      const w = this.#stdin;
      this.#stdin = undefined;
      await w.close().catch(() => {});
    }
  }

  /** Sends a signal (ignored if the process has ended). */
  kill(sig: Deno.Signal = "SIGTERM"): void {
    try {
      this.child.kill(sig);
    } catch {
      // already gone
    }
  }

  /** Waits for the exit, killing with SIGKILL after `timeoutMs`. */
  async exit(timeoutMs = 20_000): Promise<Deno.CommandStatus> {
    const t = setTimeout(() => this.kill("SIGKILL"), timeoutMs);
    try {
      return await this.status;
    } finally {
      clearTimeout(t);
      await this.closeStdin();
    }
  }
}

/** Starts `deno run` on a repository module with the given arguments. */
export function denoRun(
  module: string,
  args: string[],
  opts: {
    name?: string;
    env?: Record<string, string>;
    permissions?: string[];
  } = {},
): Proc {
  return new Proc(
    Deno.execPath(),
    ["run", ...(opts.permissions ?? ["-A"]), ROOT + module, ...args],
    { name: opts.name ?? module, env: opts.env },
  );
}

/**
 * Runs `fn` with a fresh prefix; afterwards kills every process it
 * registered and removes the group's files, whatever happened.
 */
export async function withGroup(
  name: string,
  fn: (g: { prefix: string; track: (p: Proc) => Proc }) => Promise<void>,
): Promise<void> {
  const prefix = uniquePrefix(name);
  const procs: Proc[] = [];
  try {
    await fn({ prefix, track: (p) => (procs.push(p), p) });
  } finally {
    for (const p of procs) p.kill("SIGKILL");
    await Promise.all(procs.map((p) => p.status.catch(() => {})));
    await Promise.all(procs.map((p) => p.closeStdin()));
    await removePrefixFiles(prefix);
  }
}
