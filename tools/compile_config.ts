/**
 * What `deno task compile` builds, in one place: for each sample app its
 * entry module, the files the binary must carry besides the entry's static
 * imports (every lcore worker module, the worker bootstrap
 * `lib/lcore_worker.ts` and the shim), and the permissions it is granted at
 * compile time. tools/compile.ts builds from this table and
 * tests/compile_test.ts checks it against the apps' sources.
 *
 * Paths are relative to the repository root.
 *
 * @module
 */

/** Repository root (absolute path, trailing slash). */
export const ROOT: string = decodeURIComponent(
  new URL("../", import.meta.url).pathname,
);

/** The shim every binary carries (built by `make -C shim`). */
export const SHIM = "shim/libdpdk_shim.so";

/**
 * The worker bootstrap: `launchLcores` starts every lcore Worker on it and
 * it imports the app's worker module by URL, so neither is a static import
 * that `deno compile` would follow by itself.
 */
export const LCORE_WORKER = "lib/lcore_worker.ts";

/**
 * The permissions of every app, granted at compile time (the binaries take
 * no permission flags at run time):
 * - `--allow-ffi`: loading the shim and the pointer APIs (`Deno.UnsafePointer`
 *   needs FFI permission without a path, so it cannot be scoped to the shim;
 *   FFI can do anything a native program can anyway);
 * - `--no-prompt`: a permission the app lacks fails at once instead of
 *   asking on the terminal (which would eat simple_mp's stdin commands).
 *
 * Nothing else: no environment (so `$DPDK_SHIM_PATH` is ignored and the
 * binary always uses the shim it carries), no network, no subprocesses, no
 * file access. A compiled binary can read its own embedded files without
 * `--allow-read` (Deno grants read access to its embedded file system);
 * under `deno run` the same app needs read access to its module files,
 * see {@linkcode runPermissions}.
 */
export const PERMISSIONS: readonly string[] = ["--allow-ffi", "--no-prompt"];

/** How one app is built. */
export interface AppBuild {
  /** The C original's name, e.g. `simple_mp`. */
  readonly name: string;
  /** The executable's file name, e.g. `dpdk-simple_mp`. */
  readonly binary: string;
  /** The entry module. */
  readonly entry: string;
  /**
   * Passed to `deno compile --include`: modules only reached through a URL
   * at run time (lcore worker modules, {@linkcode LCORE_WORKER}) and the
   * shim library.
   */
  readonly include: readonly string[];
  /** Permission flags granted at compile time. */
  readonly permissions: readonly string[];
}

/** The four sample apps, by their C build names. */
export const APPS: readonly AppBuild[] = [
  {
    name: "simple_mp",
    binary: "dpdk-simple_mp",
    entry: "apps/simple_mp.ts",
    include: ["apps/simple_mp_worker.ts", LCORE_WORKER, SHIM],
    permissions: PERMISSIONS,
  },
  {
    name: "symmetric_mp",
    binary: "dpdk-symmetric_mp",
    entry: "apps/symmetric_mp.ts",
    include: ["apps/symmetric_mp_worker.ts", LCORE_WORKER, SHIM],
    permissions: PERMISSIONS,
  },
  {
    name: "mp_server",
    binary: "dpdk-mp_server",
    entry: "apps/mp_server.ts",
    include: ["apps/client_server_mp/server_worker.ts", LCORE_WORKER, SHIM],
    permissions: PERMISSIONS,
  },
  {
    name: "mp_client",
    binary: "dpdk-mp_client",
    entry: "apps/mp_client.ts",
    include: ["apps/client_server_mp/client_worker.ts", LCORE_WORKER, SHIM],
    permissions: PERMISSIONS,
  },
];

/** The app named `name` (C name or binary name); throws on an unknown one. */
export function appByName(name: string): AppBuild {
  const app = APPS.find((a) => a.name === name || a.binary === name);
  if (!app) {
    throw new Error(
      `unknown app '${name}': expected one of ${
        APPS.map((a) => a.name).join(", ")
      }`,
    );
  }
  return app;
}

/** The modules of an app's include list (the shim and data files left out). */
export function includedModules(app: AppBuild): string[] {
  return app.include.filter((p) => /\.(ts|js|mts|mjs)$/.test(p));
}

/**
 * The arguments of `deno compile` that build `app` into `output` (an
 * absolute path), run from the repository root.
 */
export function compileArgs(app: AppBuild, output: string): string[] {
  return [
    "compile",
    "--config",
    ROOT + "deno.json",
    ...app.permissions,
    ...app.include.flatMap((p) => ["--include", ROOT + p]),
    "--output",
    output,
    ROOT + app.entry,
  ];
}

/**
 * The permissions under which `deno run` reproduces the binary: the
 * compile-time set plus read access to `moduleRoot` (the folder holding the
 * app's modules), which stands in for the read access a compiled binary
 * has to its own embedded files. Deno needs it to start Workers and to
 * import a worker module by URL.
 */
export function runPermissions(app: AppBuild, moduleRoot: string): string[] {
  return [...app.permissions, `--allow-read=${moduleRoot}`];
}
