/**
 * Builds the C originals of the multi-process samples from the installed
 * examples (package dpdk-doc) into build/c-originals, once, for interop
 * tests and benchmarks. The C code is never copied into the repository.
 *
 * @module
 */

import { DEFAULT_BASE_VIRTADDR } from "../lib/eal.ts";
import { ealArgs, Proc, ROOT } from "./proc.ts";

const SRC = "/usr/share/dpdk/examples/multi_process";
const DEST = `${ROOT}build/c-originals`;

/** The C sample binaries by their C build names. */
export type CApp =
  | "simple_mp"
  | "symmetric_mp"
  | "mp_server"
  | "mp_client"
  | "hotplug_mp";

const DIRS: Record<CApp, string> = {
  simple_mp: "simple_mp",
  symmetric_mp: "symmetric_mp",
  mp_server: "client_server_mp/mp_server",
  mp_client: "client_server_mp/mp_client",
  hotplug_mp: "hotplug_mp",
};

async function run(cmd: string, args: string[], cwd?: string): Promise<void> {
  const out = await new Deno.Command(cmd, {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  if (!out.success) {
    throw new Error(
      `${cmd} ${args.join(" ")} failed:\n${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
}

/**
 * Path of the C original's binary, building it first if needed (a few
 * seconds per app). Throws with the install hint when the examples are
 * missing.
 */
export async function cOriginal(app: CApp): Promise<string> {
  const bin = `${DEST}/${DIRS[app]}/build/${app}`;
  try {
    await Deno.stat(bin);
    return bin;
  } catch {
    // not built yet
  }
  try {
    await Deno.stat(SRC);
  } catch {
    throw new Error(
      `${SRC} is missing: install the C examples with: apt-get install -y dpdk-doc`,
    );
  }
  await Deno.mkdir(DEST, { recursive: true });
  // a private copy per build, renamed into place: safe if two runs race
  const tmp = await Deno.makeTempDir({ dir: `${ROOT}build`, prefix: "c-" });
  await run("cp", ["-r", `${SRC}/.`, tmp]);
  await run("make", ["-s", "-C", `${tmp}/${DIRS[app]}`]);
  await Deno.mkdir(`${DEST}/${DIRS[app]}/build`, { recursive: true });
  // build/APP is a symlink to build/APP-shared: move the real file
  await Deno.rename(`${tmp}/${DIRS[app]}/build/${app}-shared`, bin);
  await Deno.remove(tmp, { recursive: true });
  return bin;
}

/**
 * Builds one of the benchmarks' own C programs, `bench/NAME/` (its Makefile,
 * `BUILD=build/NAME`; make skips it when up to date), and returns the path
 * of its binary `bin`.
 */
export async function benchC(name: string, bin: string): Promise<string> {
  const build = `${ROOT}build/${name}`;
  await run("make", ["-s", "-C", `${ROOT}bench/${name}`, `BUILD=${build}`]);
  return `${build}/${bin}`;
}

/**
 * Starts C original `app` (built on first use) in group `prefix` with the
 * given lcore arguments and process type, stdout line-buffered so tests
 * read it live. A C primary gets our initEal's default `--base-virtaddr`
 * (DEFAULT_BASE_VIRTADDR): at EAL's own default, V8's randomly placed
 * pages can take the addresses a Deno secondary must map.
 */
export async function startCOriginal(
  app: CApp,
  prefix: string,
  lcores: string[],
  procType: string,
): Promise<Proc> {
  const bin = await cOriginal(app);
  return new Proc("stdbuf", [
    "-oL",
    bin,
    ...lcores,
    ...ealArgs(prefix),
    `--proc-type=${procType}`,
    ...(procType === "primary"
      ? [`--base-virtaddr=${DEFAULT_BASE_VIRTADDR}`]
      : []),
  ], { name: `C ${app} ${procType}` });
}
