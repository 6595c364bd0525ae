/**
 * The toolkit used as a package, from a folder outside the checkout: a
 * script that imports mod.ts by URL finds the shim beside the modules, and
 * when no shim is built the loader names the exact command that builds it.
 */

import { assert, assertEquals, assertMatch } from "@std/assert";
import { ROOT } from "../support/proc.ts";

async function runScript(
  dir: string,
  code: string,
  env: Record<string, string> = {},
) {
  await Deno.writeTextFile(`${dir}/experiment.ts`, code);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-config", `${dir}/experiment.ts`],
    cwd: dir,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    text: dec.decode(out.stdout) + dec.decode(out.stderr),
  };
}

Deno.test("a script outside the checkout imports the toolkit and finds its shim", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dpdk_ts_user_" });
  try {
    const r = await runScript(
      dir,
      `import { RTE, dpdkVersion } from "${ROOT}mod.ts";
       console.log(dpdkVersion(), RTE.RTE_MAX_ETHPORTS);`,
    );
    assertEquals(r.code, 0, r.text);
    assertMatch(r.text, /DPDK 22\.11\.\d+ \d+/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("with no shim built, the loader says exactly what to run", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dpdk_ts_user_" });
  try {
    // a copy of the package without its built shim
    const pkg = `${dir}/pkg`;
    await Deno.mkdir(pkg);
    for (const d of ["ffi", "lib", "shim"]) {
      const cp = await new Deno.Command("cp", {
        args: ["-r", `${ROOT}${d}`, pkg],
      })
        .output();
      assert(cp.success);
    }
    await Deno.copyFile(`${ROOT}mod.ts`, `${pkg}/mod.ts`);
    await Deno.remove(`${pkg}/shim/libdpdk_shim.so`).catch(() => {});
    const code = `import { RTE } from "${pkg}/mod.ts";
       console.log(RTE.RTE_MAX_LCORE);`;
    const r = await runScript(dir, code);
    assert(r.code !== 0, r.text);
    assertMatch(r.text, /cannot load the DPDK shim libdpdk_shim\.so/);
    assertMatch(r.text, new RegExp(`make -C ${pkg}/shim`));
    // and that command does build it, after which the script runs
    const make = await new Deno.Command("make", {
      args: ["-s", "-C", `${pkg}/shim`],
    })
      .output();
    assert(make.success, new TextDecoder().decode(make.stderr));
    const again = await runScript(dir, code);
    assertEquals(again.code, 0, again.text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
