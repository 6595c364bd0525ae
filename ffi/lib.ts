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

/** File name of the shim library. */
export const SHIM_NAME = "libdpdk_shim.so";
/** Environment variable that overrides where the shim is loaded from. */
export const SHIM_ENV = "DPDK_SHIM_PATH";
/** ABI of the shim this module's symbol table expects (see SHIM_ABI in C). */
const SHIM_ABI = 1;

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
  const hint = dpdkMissing
    ? "DPDK's shared libraries (librte_*.so) are missing or of another " +
      "version: install DPDK 22.11 (apt-get install dpdk libdpdk-dev) " +
      "or rebuild the shim against the installed one (make -C shim)."
    : `Build it with: make -C shim   (needs libdpdk-dev and pkg-config), ` +
      `or point ${SHIM_ENV} at a built ${SHIM_NAME}.`;
  throw new ShimLoadError(
    `cannot load the DPDK shim ${SHIM_NAME}; tried:\n${lines}\n${hint}`,
    tried,
  );
}

function checkVersion(lib: Deno.DynamicLibrary<typeof symbols>): void {
  const built = cstr(lib.symbols.shim_build_version_string());
  const running = cstr(lib.symbols.rte_version());
  const abi = lib.symbols.shim_abi();
  if (abi !== SHIM_ABI) {
    throw new ShimLoadError(
      `the shim has interface version ${abi}, this module expects ` +
        `${SHIM_ABI}: rebuild it with: make -C shim`,
      [],
    );
  }
  // "DPDK 22.11.11" vs "DPDK 22.11.x": year and month must agree (ABI).
  const major = (s: string) => s.split(".").slice(0, 2).join(".");
  if (major(built) !== major(running)) {
    throw new ShimLoadError(
      `the shim was built against ${built} but ${running} is loaded: ` +
        `rebuild it with: make -C shim`,
      [],
    );
  }
}

let library: Deno.DynamicLibrary<typeof symbols> | undefined;

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
