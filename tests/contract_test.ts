/**
 * The contract between shim and TypeScript: a shim built from other
 * sources is refused at load with a message that says to rebuild. Two
 * deliberately different builds: the current sources with another
 * interface version, and the previous release's shim (older symbols).
 */

import { assert, assertEquals, assertMatch } from "@std/assert";
import { ROOT } from "../support/proc.ts";

async function run(cmd: string, args: string[], env?: Record<string, string>) {
  const out = await new Deno.Command(cmd, {
    args,
    env,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    text: dec.decode(out.stdout) + dec.decode(out.stderr),
  };
}

/** Builds the shim from `src` (a folder of *.c) with extra CFLAGS into `dir`. */
async function buildShim(src: string, dir: string, cflags: string) {
  const r = await run("make", [
    "-s",
    "-C",
    src,
    `EXTRA_CFLAGS=${cflags}`,
    "-B",
    "libdpdk_shim.so",
  ]);
  assertEquals(r.code, 0, r.text);
  await Deno.copyFile(`${src}/libdpdk_shim.so`, `${dir}/libdpdk_shim.so`);
}

const LOAD = `
import { RTE } from "${ROOT}mod.ts";
console.log("max lcore", RTE.RTE_MAX_LCORE);
`;

async function loadWith(shim: string) {
  return await run(Deno.execPath(), ["eval", LOAD], { DPDK_SHIM_PATH: shim });
}

Deno.test("a shim with another interface version is refused: rebuild", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // a copy of the sources, so the checkout's own build is untouched
    await run("cp", ["-r", `${ROOT}shim`, `${dir}/src`]);
    await Deno.remove(`${dir}/src/libdpdk_shim.so`).catch(() => {});
    await buildShim(`${dir}/src`, dir, "-DSHIM_ABI_OVERRIDE=999");
    const r = await loadWith(`${dir}/libdpdk_shim.so`);
    assert(r.code !== 0, r.text);
    assertMatch(r.text, /ShimLoadError/);
    assertMatch(r.text, /interface version 999, this TypeScript expects \d+/);
    assertMatch(r.text, /rebuild the shim/);
    assertMatch(r.text, /make -C /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the matching shim loads and reports its facts", async () => {
  const r = await loadWith(`${ROOT}shim/libdpdk_shim.so`);
  assertEquals(r.code, 0, r.text);
  assertMatch(r.text, /max lcore \d+/);
  // the value comes from DPDK's build configuration, not from us
  const conf = await Deno.readTextFile(
    "/usr/include/x86_64-linux-gnu/dpdk/rte_build_config.h",
  );
  const c = conf.match(/#define RTE_MAX_LCORE (\d+)/)![1];
  assertMatch(r.text, new RegExp(`max lcore ${c}\\b`));
});

Deno.test("an older shim (missing symbols) is refused: rebuild", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // the first release's shim: no contract, other symbols
    const git = await run("git", [
      "-C",
      ROOT,
      "show",
      "c69f8ec:shim/dpdk_shim.c",
    ]);
    if (git.code !== 0) {
      // a shallow clone without that commit: build an old shim by hand
      await Deno.writeTextFile(
        `${dir}/old.c`,
        "unsigned shim_abi(void) { return 1; }\n",
      );
    } else {
      await Deno.writeTextFile(`${dir}/old.c`, git.text);
    }
    const flags = (await run("pkg-config", ["--cflags", "--libs", "libdpdk"]))
      .text.trim().split(/\s+/);
    const cc = await run("cc", [
      "-O1",
      "-fPIC",
      "-shared",
      "-o",
      `${dir}/libdpdk_shim.so`,
      `${dir}/old.c`,
      ...flags,
    ]);
    assertEquals(cc.code, 0, cc.text);
    const r = await loadWith(`${dir}/libdpdk_shim.so`);
    assert(r.code !== 0, r.text);
    assertMatch(r.text, /ShimLoadError/);
    assertMatch(r.text, /older than these modules|interface version/);
    assertMatch(r.text, /make -C /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
