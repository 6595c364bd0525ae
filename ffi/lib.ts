/**
 * Loading the shim. The library is looked for, in order:
 *  1. `$DPDK_SHIM_PATH`, when set (then it is the only place tried);
 *  2. `shim/libdpdk_shim.so` beside this module (a checkout, or the copy a
 *     `deno compile` binary carries through `--include`);
 *  3. `libdpdk_shim.so` beside the running executable.
 *
 * On failure the error names every path tried and the command that builds
 * the shim. A shim built against another DPDK version than the one that is
 * loaded is refused.
 *
 * @module
 */

import { type Symbols, symbols } from "./symbols.ts";
import { contractMismatch, readContract } from "./contract.ts";

/** File name of the shim library. */
export const SHIM_NAME = "libdpdk_shim.so";
/** Environment variable that overrides where the shim is loaded from. */
export const SHIM_ENV = "DPDK_SHIM_PATH";

/** Why the shim could not be loaded, with every path that was tried. */
export class ShimLoadError extends Error {
  /** Paths tried, with the loader's message for each. */
  readonly tried: { path: string; error: string }[];
  /**
   * An error naming the paths tried.
   *
   * @param message what failed
   * @param tried each path and its loader error
   */
  constructor(message: string, tried: { path: string; error: string }[]) {
    super(message);
    this.name = "ShimLoadError";
    this.tried = tried;
  }
}

function envOverride(): string | undefined {
  try {
    return Deno.env.get(SHIM_ENV) || undefined;
  } catch {
    return undefined; // no --allow-env for it: not overridden
  }
}

/** The paths the loader tries, in order. */
export function shimCandidates(): string[] {
  const override = envOverride();
  if (override) return [override];
  const paths = [
    // decoded: a folder or binary name with a space is %20 in the URL (a
    // compiled binary's modules live under $TMPDIR/deno-compile-NAME/)
    decodeURIComponent(
      new URL(`../shim/${SHIM_NAME}`, import.meta.url).pathname,
    ),
  ];
  try {
    const exe = Deno.execPath();
    paths.push(exe.slice(0, exe.lastIndexOf("/") + 1) + SHIM_NAME);
  } catch {
    // no --allow-read for the executable path: skip that candidate
  }
  return paths;
}

function cstr(p: Deno.PointerValue): string {
  return p === null ? "" : Deno.UnsafePointerView.getCString(p);
}

/**
 * The folder holding the shim's sources beside these modules, when they
 * are local files (a checkout, or the package imported by file URL).
 */
export function shimSourceDir(): string | undefined {
  const url = new URL("../shim/", import.meta.url);
  return url.protocol === "file:"
    ? decodeURIComponent(url.pathname)
    : undefined;
}

/** The command that builds the shim, or what to do when none can. */
export function buildHint(): string {
  const dir = shimSourceDir();
  if (dir === undefined) {
    return `These modules were loaded from ${
      new URL("../", import.meta.url).href
    }, not from files: build the shim from the package's shim/ folder ` +
      `(make -C shim, needs libdpdk-dev and pkg-config) and set ` +
      `${SHIM_ENV}=/path/to/${SHIM_NAME}.`;
  }
  return `Build it with: make -C ${dir.replace(/\/$/, "")}   (needs ` +
    `libdpdk-dev, make, gcc and pkg-config), or point ${SHIM_ENV} at a ` +
    `built ${SHIM_NAME}.`;
}

function isSymbolError(message: string): boolean {
  return /symbol|undefined/i.test(message) && !/librte_/.test(message);
}

function open(): Deno.DynamicLibrary<typeof symbols> {
  const tried: { path: string; error: string }[] = [];
  for (const path of shimCandidates()) {
    try {
      return Deno.dlopen(path, symbols);
    } catch (e) {
      tried.push({ path, error: (e as Error).message });
    }
  }
  const lines = tried.map((t) => `  ${t.path}: ${t.error}`).join("\n");
  const dpdkMissing = tried.some((t) => /librte_\w+\.so/.test(t.error));
  const stale = tried.some((t) => isSymbolError(t.error));
  const hint = dpdkMissing
    ? "DPDK's shared libraries (librte_*.so) are missing or of another " +
      "version: install DPDK 22.11 (apt-get install dpdk libdpdk-dev) " +
      "or rebuild the shim against the installed one. " + buildHint()
    : stale
    ? "The shim is older than these modules (a symbol is missing): " +
      "rebuild it. " + buildHint()
    : buildHint();
  throw new ShimLoadError(
    `cannot load the DPDK shim ${SHIM_NAME}; tried:\n${lines}\n${hint}`,
    tried,
  );
}

let facts: Map<string, bigint> | undefined;

function checkVersion(lib: Deno.DynamicLibrary<typeof symbols>): void {
  const built = cstr(lib.symbols.shim_build_version_string());
  const running = cstr(lib.symbols.rte_version());
  const contract = readContract(lib.symbols);
  const wrong = contractMismatch(lib.symbols.shim_abi(), contract);
  if (wrong !== undefined) {
    throw new ShimLoadError(
      `${wrong}: the shim and these modules come from different ` +
        `versions; rebuild the shim. ${buildHint()}`,
      [],
    );
  }
  facts = contract;
  // "DPDK 22.11.11" vs "DPDK 22.11.x": year and month must agree (ABI).
  const major = (s: string) => s.split(".").slice(0, 2).join(".");
  if (major(built) !== major(running)) {
    throw new ShimLoadError(
      `the shim was built against ${built} but ${running} is loaded: ` +
        `rebuild it. ${buildHint()}`,
      [],
    );
  }
}

let library: Deno.DynamicLibrary<typeof symbols> | undefined;

/**
 * A fact of the shim's contract by name (see contract.ts), as a number;
 * loads the shim on first use. 64-bit flags above 2^53 are exact only
 * through {@linkcode factBig}.
 *
 * @throws ShimLoadError when the shim has no such fact (rebuild it)
 */
export function fact(name: string): number {
  return Number(factBig(name));
}

/** A fact of the shim's contract as a BigInt (64-bit flags). */
export function factBig(name: string): bigint {
  if (facts === undefined) lib();
  const v = facts!.get(name);
  if (v === undefined) {
    throw new ShimLoadError(
      `the shim has no fact "${name}": it is older than these modules; ` +
        `rebuild it. ${buildHint()}`,
      [],
    );
  }
  return v;
}

/**
 * The shim's symbols, loading the library on first use (once per isolate:
 * each Worker loads its own handle to the same library).
 */
export function lib(): Symbols {
  if (library === undefined) {
    const l = open();
    checkVersion(l);
    library = l;
  }
  return library.symbols;
}

/** The DPDK version string of the loaded libraries, e.g. "DPDK 22.11.11". */
export function dpdkVersion(): string {
  return cstr(lib().rte_version());
}

/** Reads a NUL-terminated C string (empty for NULL). */
export { cstr };

/** A NUL-terminated UTF-8 copy of `s`, for `buffer` parameters. */
export function cbuf(s: string): Uint8Array<ArrayBuffer> {
  const bytes = new TextEncoder().encode(s);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}
