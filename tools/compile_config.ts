/**
 * What `deno task compile` builds, in one place: for each sample app its
 * entry module and the permissions it is granted at compile time; and how
 * the files each binary must carry besides its entry's static imports are
 * found: every module the app's module graph loads by URL at run time (the
 * lcore worker modules, the worker bootstrap `lib/lcore_worker.ts`),
 * computed from the import graph ({@linkcode resolveBuild}), and the shim.
 * tools/compile.ts builds from this and tests/compile_test.ts checks it
 * against the apps' sources and by running the apps from exactly those
 * files.
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

/** What an app is built from: written by hand. */
export interface AppSpec {
  /** The C original's name, e.g. `simple_mp`. */
  readonly name: string;
  /** The executable's file name, e.g. `dpdk-simple_mp`. */
  readonly binary: string;
  /** The entry module. */
  readonly entry: string;
  /** Permission flags granted at compile time. */
  readonly permissions: readonly string[];
}

/** How one app is built: its spec and what it must carry besides its entry. */
export interface AppBuild extends AppSpec {
  /**
   * Passed to `deno compile --include`: the modules the app's graph loads
   * by URL at run time (lcore worker modules, {@linkcode LCORE_WORKER}),
   * which `deno compile` does not follow by itself, and the shim.
   * Computed by {@linkcode resolveBuild}.
   */
  readonly include: readonly string[];
}

/** The four sample apps, by their C build names. */
export const APPS: readonly AppSpec[] = [
  {
    name: "simple_mp",
    binary: "dpdk-simple_mp",
    entry: "apps/simple_mp.ts",
    permissions: PERMISSIONS,
  },
  {
    name: "symmetric_mp",
    binary: "dpdk-symmetric_mp",
    entry: "apps/symmetric_mp.ts",
    permissions: PERMISSIONS,
  },
  {
    name: "mp_server",
    binary: "dpdk-mp_server",
    entry: "apps/mp_server.ts",
    permissions: PERMISSIONS,
  },
  {
    name: "mp_client",
    binary: "dpdk-mp_client",
    entry: "apps/mp_client.ts",
    permissions: PERMISSIONS,
  },
  {
    name: "hotplug_mp",
    binary: "dpdk-hotplug_mp",
    entry: "apps/hotplug_mp.ts",
    permissions: PERMISSIONS,
  },
];

/** The app named `name` (C name or binary name); throws on an unknown one. */
export function appByName(name: string): AppSpec {
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
export function runPermissions(app: AppSpec, moduleRoot: string): string[] {
  return [...app.permissions, `--allow-read=${moduleRoot}`];
}

// ------------------------------------------------------ the import graph

const MODULE = /\.(ts|js|mts|mjs)$/;
const decoder = new TextDecoder();

/** What `deno info --json` reports of a module graph (the part used here). */
interface DenoInfo {
  roots: string[];
  modules: {
    specifier: string;
    local?: string;
    dependencies?: { code?: { specifier: string } }[];
  }[];
}

const graphs = new Map<string, Promise<string[]>>();

/**
 * The repository modules (relative paths, sorted) that `root` (a relative
 * path) reaches through code imports, itself included — type-only imports
 * left out, as `deno compile` embeds them. Read from `deno info --json`
 * (the graph Deno itself builds, import map included); npm and remote
 * modules are not listed. Cached per root.
 */
export function moduleGraph(root: string): Promise<string[]> {
  let g = graphs.get(root);
  if (g === undefined) {
    g = readGraph(root);
    graphs.set(root, g);
  }
  return g;
}

async function readGraph(root: string): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "--config", ROOT + "deno.json", ROOT + root],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`deno info ${root} failed:\n${decoder.decode(out.stderr)}`);
  }
  const info: DenoInfo = JSON.parse(decoder.decode(out.stdout));
  const bySpec = new Map(info.modules.map((m) => [m.specifier, m]));
  const files = new Set<string>();
  const seen = new Set<string>();
  const todo = [...info.roots];
  while (todo.length > 0) {
    const spec = todo.pop()!;
    if (seen.has(spec)) continue;
    seen.add(spec);
    const m = bySpec.get(spec);
    if (!m) continue; // npm: and built-in modules
    if (m.local?.startsWith(ROOT)) files.add(m.local.slice(ROOT.length));
    for (const d of m.dependencies ?? []) {
      if (d.code) todo.push(d.code.specifier);
    }
  }
  return [...files].sort();
}

/** `src` without comments (good enough for the patterns below). */
export function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, "").replace(
    /(^|[^:"'`\\])\/\/.*$/gm,
    "$1",
  );
}

/** A file a module refers to by URL at run time. */
export interface UrlRef {
  /** The module it appears in (relative path). */
  from: string;
  /** The literal as written. */
  literal: string;
  /** The target (relative path), when the literal is constant. */
  target?: string;
}

/**
 * Every file a module's source (`src`, of module `from`) refers to by URL
 * at run time — `new URL(lit, import.meta.url)` and
 * `import.meta.resolve(lit)` — and how many `import(...)` calls it makes
 * of something other than a string literal (those cannot be followed).
 */
export function urlRefs(from: string, src: string): {
  refs: UrlRef[];
  dynamicImports: number;
} {
  const code = stripComments(src);
  const refs: UrlRef[] = [];
  const base = new URL(from, "file:///");
  const patterns = [
    /new URL\(\s*(["'`])([^"'`]*)\1\s*,\s*import\.meta\.url\s*\)/g,
    /import\.meta\.resolve\(\s*(["'`])([^"'`]*)\1\s*\)/g,
  ];
  for (const re of patterns) {
    for (const m of code.matchAll(re)) {
      const literal = m[2];
      const target = literal.includes("${")
        ? undefined
        : new URL(literal, base).pathname.slice(1);
      refs.push({ from, literal, target });
    }
  }
  const dynamicImports = [...code.matchAll(/\bimport\(\s*(?!["'`])/g)].length;
  return { refs, dynamicImports };
}

/**
 * The modules `entry` loads by URL at run time, directly or through the
 * modules those load in turn (relative paths, sorted): the graph of the
 * entry is scanned with {@linkcode urlRefs}, each module found is added
 * and its own graph scanned too.
 */
export async function urlLoadedModules(entry: string): Promise<string[]> {
  const found = new Set<string>();
  const roots = [entry];
  const scanned = new Set<string>();
  while (roots.length > 0) {
    for (const f of await moduleGraph(roots.pop()!)) {
      if (scanned.has(f)) continue;
      scanned.add(f);
      const { refs } = urlRefs(f, await Deno.readTextFile(ROOT + f));
      for (const r of refs) {
        if (r.target && MODULE.test(r.target) && !found.has(r.target)) {
          found.add(r.target);
          roots.push(r.target);
        }
      }
    }
  }
  return [...found].sort();
}

/**
 * The build of `app`: its include list computed from the import graph
 * (every module loaded by URL, see {@linkcode urlLoadedModules}) plus the
 * shim.
 */
export async function resolveBuild(app: AppSpec): Promise<AppBuild> {
  return { ...app, include: [...await urlLoadedModules(app.entry), SHIM] };
}
