/**
 * Tests of the standalone build (`deno task compile`, tools/compile.ts and
 * tools/compile_config.ts).
 *
 * Always:
 * - without a denort runtime the task stops at once, says why and what to
 *   do, and leaves nothing behind;
 * - every module a worker loads and the shim are in each app's include
 *   list, and the shim is found where the binary looks for it;
 * - each app runs from a copy of exactly the files its binary would carry
 *   (module graph + include list, outside the repository, started from
 *   another folder), under exactly the compile-time permissions plus read
 *   access to that copy (what a binary has for its embedded files), and
 *   passes its exchange; every permission check it made (recorded with
 *   DENO_AUDIT_PERMISSIONS) is granted by that set, so nothing is silently
 *   denied;
 * - without DPDK's libraries an app says which library is missing and
 *   exits 1.
 *
 * Where a denort is available (DENORT_BIN, Deno's cache, or dl.deno.land
 * reachable): the binaries are built, copied to a folder outside the
 * repository and run from there (simple_mp both ways, symmetric_mp
 * forwarding). Elsewhere these tests are ignored, with the reason printed.
 *
 * @module
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "@std/assert";
import { ealArgs, Proc, withGroup } from "../support/proc.ts";
import { portStats } from "../support/telemetry.ts";
import {
  type AppBuild,
  appByName,
  APPS,
  includedModules,
  LCORE_WORKER,
  moduleGraph,
  PERMISSIONS,
  resolveBuild,
  ROOT,
  runPermissions,
  SHIM,
  type UrlRef,
  urlRefs,
} from "../tools/compile_config.ts";
import {
  denortCachePath,
  EXIT_NO_DENORT,
  findDenort,
} from "../tools/compile.ts";
import { shimCandidates } from "../mod.ts";

const decoder = new TextDecoder();

// ------------------------------------------------------------ denort

/** The denort the binary tests would use, or why there is none. */
const denort = await findDenort(3_000).then(
  (d) => ({ ok: true as const, text: `${d.source}: ${d.where}` }),
  (e) => ({ ok: false as const, text: (e as Error).message }),
);
if (!denort.ok) {
  console.log(
    `compile_test: no denort runtime here, the tests that build and run ` +
      `binaries are ignored. Why: ${denort.text}`,
  );
}

// ------------------------------------------------------------ helpers

/** Environment of a child: ours without the given names, plus `set`. */
function childEnv(
  drop: string[],
  set: Record<string, string> = {},
): Record<string, string> {
  const env = Deno.env.toObject();
  for (const k of drop) delete env[k];
  return { ...env, ...set };
}

/** Runs `deno task compile ARGS` from the repository root. */
async function runTask(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; output: string; ms: number }> {
  const t0 = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "compile", ...args],
    cwd: ROOT,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    output: decoder.decode(out.stdout) + decoder.decode(out.stderr),
    ms: performance.now() - t0,
  };
}

/** The names in a folder. */
async function entries(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names;
}

/** A TCP port nothing listens on (bound once, then closed). */
function closedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/**
 * The repository files (relative paths) a binary of `app` carries as
 * modules: everything reachable through code imports (not type-only ones)
 * from its entry and from each included module, as `deno compile` embeds.
 */
async function moduleFiles(app: AppBuild): Promise<string[]> {
  const files = new Set<string>();
  for (const root of [app.entry, ...includedModules(app)]) {
    for (const f of await moduleGraph(root)) files.add(f);
  }
  return [...files].sort();
}

// ------------------------------------------------ a binary's files, copied

/** A copy of the files a binary of one app carries, outside the repo. */
interface Layout {
  /** The copy's root (the binary's embedded root). */
  root: string;
  /** An empty folder to start the app from. */
  cwd: string;
  /** Where the permission audits go. */
  auditDir: string;
  app: AppBuild;
}

/**
 * Copies `app`'s modules (entry, includes and everything they import), its
 * other included files and deno.json/deno.lock (the import map a binary
 * embeds) to a temporary folder, keeping their relative paths.
 */
async function makeLayout(app: AppBuild, shim = ROOT + SHIM): Promise<Layout> {
  // a space in the path, as in a binary renamed "dpdk simple_mp"
  const base = await Deno.makeTempDir({ prefix: `dpdk compile_${app.name}_` });
  const root = `${base}/bin`;
  const files = [
    ...await moduleFiles(app),
    ...app.include.filter((p) => !includedModules(app).includes(p)),
    "deno.json",
    "deno.lock",
  ];
  for (const f of new Set(files)) {
    const dest = `${root}/${f}`;
    await Deno.mkdir(dest.slice(0, dest.lastIndexOf("/")), { recursive: true });
    await Deno.copyFile(f === SHIM ? shim : ROOT + f, dest);
  }
  await Deno.mkdir(`${base}/run`);
  await Deno.mkdir(`${base}/audit`);
  return { root, cwd: `${base}/run`, auditDir: `${base}/audit`, app };
}

/** Removes a layout's temporary folder. */
async function removeLayout(l: Layout): Promise<void> {
  await Deno.remove(l.root.slice(0, l.root.lastIndexOf("/")), {
    recursive: true,
  }).catch(() => {});
}

let auditCount = 0;

/**
 * Starts the app of `l` from its copied files under its compile-time
 * permissions (+ read access to the copy), from an unrelated folder, with
 * the permission checks it makes recorded.
 */
function startCopied(l: Layout, args: string[], name: string): Proc {
  return new Proc(
    Deno.execPath(),
    [
      "run",
      "--config",
      `${l.root}/deno.json`,
      ...runPermissions(l.app, l.root),
      `${l.root}/${l.app.entry}`,
      ...args,
    ],
    {
      name,
      cwd: l.cwd,
      env: {
        DENO_AUDIT_PERMISSIONS: `${l.auditDir}/${auditCount++}.jsonl`,
        NO_COLOR: "1",
      },
    },
  );
}

/** Permission checks that may be refused by design. */
const EXPECTED_DENIALS = [
  // ffi/lib.ts: the override of the shim's path; a binary uses its own shim
  { permission: "env", value: "DPDK_SHIM_PATH" },
];

/** Replays permission checks under the given flags; prints the denied ones. */
const REPLAY = `
const checks = JSON.parse(Deno.args[0]);
const key = { read: "path", write: "path", ffi: "path", net: "host",
  env: "variable", run: "command", sys: "kind" };
const denied = [];
for (const c of checks) {
  try {
    if (c.permission === "read") {
      Deno.statSync(c.value.startsWith("file:") ? new URL(c.value) : c.value);
    } else if (c.permission === "env") {
      Deno.env.get(c.value);
    } else {
      const desc = { name: c.permission };
      if (c.value !== null && key[c.permission]) desc[key[c.permission]] = c.value;
      if (Deno.permissions.querySync(desc).state !== "granted") denied.push(c);
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable) denied.push(c);
  }
}
console.log(JSON.stringify(denied));
`;

/**
 * Asserts that every permission check the app made while running from `l`
 * (its audit) is granted by its permission set: run the same checks in a
 * process holding exactly those permissions. Returns how many distinct
 * checks there were.
 */
async function assertAuditGranted(l: Layout): Promise<number> {
  const seen = new Map<string, { permission: string; value: string | null }>();
  for (const f of await entries(l.auditDir)) {
    const text = await Deno.readTextFile(`${l.auditDir}/${f}`);
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue;
      const { permission, value } = JSON.parse(line);
      seen.set(`${permission} ${value}`, { permission, value });
    }
  }
  const checks = [...seen.values()].filter((c) =>
    !EXPECTED_DENIALS.some((d) =>
      d.permission === c.permission && d.value === c.value
    )
  );
  const script = `${l.cwd}/replay.js`;
  await Deno.writeTextFile(script, REPLAY);
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-config",
      ...runPermissions(l.app, l.root),
      script,
      JSON.stringify(checks),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, `replay: ${decoder.decode(out.stderr)}`);
  const denied = JSON.parse(decoder.decode(out.stdout));
  assertEquals(
    denied,
    [],
    `${l.app.name} made permission checks its compile-time set ` +
      `(${l.app.permissions.join(" ")}) refuses; they fail silently or ` +
      `loudly in the binary:\n${JSON.stringify(denied, null, 1)}`,
  );
  return checks.length;
}

// ------------------------------------------------ the apps' exchanges

/** Starts an app (copied files or a binary) with arguments. */
type Start = (app: string, args: string[], name: string) => Proc;

/** An exchange between processes of one group. */
type Scenario = (
  start: Start,
  prefix: string,
  track: (p: Proc) => Proc,
) => Promise<void>;

/**
 * Runs `scenario` in a fresh group (cleaned up afterwards); a failure
 * carries the output of every process it started.
 */
function runScenario(
  group: string,
  start: Start,
  scenario: Scenario,
): Promise<void> {
  return withGroup(group, async ({ prefix, track }) => {
    const procs: Proc[] = [];
    try {
      await scenario(start, prefix, (p) => track((procs.push(p), p)));
    } catch (e) {
      const outputs = procs.map((p) => `--- ${p.name}:\n${p.output}`);
      throw new Error(`${(e as Error).message}\n${outputs.join("\n")}`, {
        cause: e,
      });
    }
  });
}

/** simple_mp: a primary and a secondary send each other a message. */
async function simpleMpExchange(
  start: Start,
  prefix: string,
  track: (p: Proc) => Proc,
): Promise<void> {
  const pri = track(start(
    "simple_mp",
    [...ealArgs(prefix, "-l", "0-1"), "--proc-type=primary"],
    "simple_mp primary",
  ));
  await pri.waitFor("APP: Finished Process Init.");
  await pri.waitFor("simple_mp > ");
  const sec = track(start(
    "simple_mp",
    [...ealArgs(prefix, "--lcores=2@0,3@1"), "--proc-type=secondary"],
    "simple_mp secondary",
  ));
  await sec.waitFor("APP: Finished Process Init.");
  await sec.waitFor("simple_mp > ");
  await pri.writeLine("send hello_from_primary");
  await sec.waitFor("core 3: Received 'hello_from_primary'");
  await sec.writeLine("send hello_from_secondary");
  await pri.waitFor("core 1: Received 'hello_from_secondary'");
  await sec.writeLine("quit");
  assertEquals((await sec.exit()).code, 0, sec.output);
  await pri.writeLine("quit");
  assertEquals((await pri.exit()).code, 0, pri.output);
}

/** Waits until `ok` holds for the ports' telemetry counters. */
async function waitForPorts(
  prefix: string,
  ports: number[],
  ok: (s: Awaited<ReturnType<typeof portStats>>) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const stats = await portStats(prefix, ports).catch(() => undefined);
    if (stats && ok(stats)) return;
    if (Date.now() > deadline) {
      throw new Error(
        `${what}: not within ${timeoutMs} ms: ${JSON.stringify(stats)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The "Port P: RX - n, TX - n" lines symmetric_mp prints at exit. */
function smpCounts(output: string): Map<number, { rx: number; tx: number }> {
  const counts = new Map<number, { rx: number; tx: number }>();
  for (const m of output.matchAll(/Port (\d+): RX - (\d+), TX - (\d+)/g)) {
    counts.set(Number(m[1]), { rx: Number(m[2]), tx: Number(m[3]) });
  }
  return counts;
}

/**
 * symmetric_mp: two processes on two net_null ports, each forwarding on its
 * own queue, until both queues of both ports have sent packets.
 */
async function symmetricMpForwarding(
  start: Start,
  prefix: string,
  track: (p: Proc) => Proc,
): Promise<void> {
  const app = ["--", "-p", "3", "--num-procs", "2"];
  const pri = track(start(
    "symmetric_mp",
    [
      ...ealArgs(prefix, "-l", "0", "--vdev=net_null0", "--vdev=net_null1"),
      "--proc-type=primary",
      ...app,
      "--proc-id",
      "0",
    ],
    "symmetric_mp 0",
  ));
  await pri.waitFor("APP: Finished Process Init.", 30_000);
  const sec = track(start(
    "symmetric_mp",
    [
      ...ealArgs(prefix, "--lcores=1@1"),
      "--proc-type=secondary",
      ...app,
      "--proc-id",
      "1",
    ],
    "symmetric_mp 1",
  ));
  await sec.waitFor("APP: Finished Process Init.", 30_000);
  await waitForPorts(
    prefix,
    [0, 1],
    (s) => s.every((p) => p.q_opackets[0] > 0 && p.q_opackets[1] > 0),
    "both processes forwarding on both ports",
  );
  for (const p of [sec, pri]) {
    p.kill("SIGINT");
    assertEquals((await p.exit()).code, 0, p.output);
    const counts = smpCounts(p.output);
    for (const port of [0, 1]) {
      const c = counts.get(port);
      assert(c && c.rx > 0 && c.tx > 0, `${p.name} port ${port}:\n${p.output}`);
    }
  }
}

/** mp_server and one mp_client forwarding between two net_null ports. */
async function clientServerForwarding(
  start: Start,
  prefix: string,
  track: (p: Proc) => Proc,
): Promise<void> {
  const server = track(start(
    "mp_server",
    [
      ...ealArgs(prefix, "-l", "0", "--vdev=net_null0", "--vdev=net_null1"),
      "--",
      "-p",
      "3",
      "-n",
      "1",
    ],
    "mp_server",
  ));
  await server.waitFor("APP: Finished Process Init.", 30_000);
  const client = track(start(
    "mp_client",
    [
      ...ealArgs(prefix, "--lcores=1@1"),
      "--proc-type=secondary",
      "--",
      "-n",
      "0",
      "--json",
    ],
    "mp_client 0",
  ));
  await client.waitFor("APP: Finished Process Init.", 30_000);
  await waitForPorts(
    prefix,
    [0, 1],
    (s) => s.every((p) => p.opackets > 0),
    "the client sending on both ports",
  );
  client.kill("SIGINT");
  assertEquals((await client.exit()).code, 0, client.output);
  const final = JSON.parse(
    (await client.waitFor(/\{"type":"final".*\}/))[0],
  );
  assert(final.rx > 0 && final.tx > 0, client.output);
  server.kill("SIGINT");
  assertEquals((await server.exit()).code, 0, server.output);
}

// ------------------------------------------------------------ tests

Deno.test("compile: without a denort the task stops at once, says what to do and leaves nothing", async (t) => {
  const out = await Deno.makeTempDir({ prefix: "dpdk_compile_out_" });
  const noDenort = ["DENORT_BIN", "NO_PROXY", "no_proxy"];
  const check = async (
    r: { code: number; output: string; ms: number },
    says: RegExp,
  ) => {
    assertEquals(r.code, EXIT_NO_DENORT, r.output);
    assertStringIncludes(r.output, "no denort runtime available");
    assertMatch(r.output, says);
    assertStringIncludes(r.output, "Nothing was built");
    assertStringIncludes(r.output, "DENORT_BIN=/path/to/denort");
    assert(r.ms < 20_000, `took ${r.ms} ms`);
    assertEquals(await entries(out), [], "left files behind");
  };
  try {
    const zip = await denortCachePath();
    const cached = zip !== undefined &&
      (await Deno.stat(zip).catch(() => undefined)) !== undefined;
    if (cached) console.log(`denort is cached (${zip}): not offline here`);
    await t.step({
      name: "dl.deno.land unreachable",
      ignore: cached,
      fn: async () => {
        const proxy = `http://127.0.0.1:${closedPort()}`;
        const r = await runTask(
          ["--out", out],
          childEnv(noDenort, { HTTPS_PROXY: proxy, https_proxy: proxy }),
        );
        await check(r, /dl\.deno\.land, which cannot be reached/);
        assertStringIncludes(r.output, "dl.deno.land/release/v");
      },
    });
    await t.step({
      name: "dl.deno.land silent: gives up after --probe-timeout",
      ignore: cached,
      fn: async () => {
        const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
        const held: Deno.Conn[] = [];
        const accepting = (async () => {
          for await (const c of listener) held.push(c); // never answered
        })();
        try {
          const proxy = `http://127.0.0.1:${
            (listener.addr as Deno.NetAddr).port
          }`;
          const r = await runTask(
            ["--out", out, "--probe-timeout", "1"],
            childEnv(noDenort, { HTTPS_PROXY: proxy, https_proxy: proxy }),
          );
          await check(r, /no answer within 1 s/);
        } finally {
          listener.close();
          for (const c of held) c.close();
          await accepting.catch(() => {});
        }
      },
    });
    await t.step("DENORT_BIN is the full deno CLI", async () => {
      const r = await runTask(
        ["--out", out],
        childEnv(noDenort, { DENORT_BIN: Deno.execPath() }),
      );
      await check(r, /is the full deno CLI .*, not denort/);
    });
    await t.step("DENORT_BIN names no file", async () => {
      const r = await runTask(
        ["--out", out],
        childEnv(noDenort, { DENORT_BIN: `${out}/no-such-denort` }),
      );
      await check(r, /DENORT_BIN=.*no-such-denort: No such file/);
    });
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

/**
 * The lcore worker module each app passes to launchLcores (by hand);
 * hotplug_mp launches none.
 */
const WORKERS: Record<string, string | undefined> = {
  simple_mp: "apps/simple_mp_worker.ts",
  symmetric_mp: "apps/symmetric_mp_worker.ts",
  mp_server: "apps/client_server_mp/server_worker.ts",
  mp_client: "apps/client_server_mp/client_worker.ts",
};

Deno.test("compile: each app's include list, computed from its import graph, holds its worker module, the bootstrap and the shim", async () => {
  for (const spec of APPS) {
    const app = await resolveBuild(spec);
    for (const f of [app.entry, ...app.include]) {
      assert(
        (await Deno.stat(ROOT + f).catch(() => undefined))?.isFile,
        `${app.name}: ${f} does not exist${
          f === SHIM ? " (make -C shim)" : ""
        }`,
      );
    }
    assertEquals(
      [...app.include].sort(),
      [WORKERS[app.name], LCORE_WORKER, SHIM].filter((f) => f !== undefined)
        .sort(),
      `${app.name}: include list`,
    );

    // The graph scan sees only constant URLs: nothing else may load a
    // module by a computed name or URL.
    const refs: UrlRef[] = [];
    const dynamic: string[] = [];
    for (const f of await moduleFiles(app)) {
      const r = urlRefs(f, await Deno.readTextFile(ROOT + f));
      refs.push(...r.refs);
      if (r.dynamicImports > 0) dynamic.push(f);
    }
    // Only the bootstrap imports a module by a computed name: the worker
    // module whose URL the app passes to launchLcores.
    assertEquals(dynamic, [LCORE_WORKER], `${app.name}: computed imports`);
    // The only computed URL is the shim's, checked below.
    for (const r of refs.filter((r) => r.target === undefined)) {
      assertEquals(r.from, "ffi/lib.ts", `${app.name}: ${r.literal}`);
    }
  }
});

Deno.test("compile: the shim is looked for beside the modules first, where the binary carries it", async () => {
  const saved = Deno.env.get("DPDK_SHIM_PATH");
  Deno.env.delete("DPDK_SHIM_PATH");
  try {
    // ffi/lib.ts resolves ../shim/libdpdk_shim.so against its own URL; in
    // a binary that is the embedded copy of the same relative path.
    assertEquals(shimCandidates()[0], ROOT + SHIM);
    for (const app of APPS) {
      assert((await resolveBuild(app)).include.includes(SHIM), app.name);
    }
  } finally {
    if (saved !== undefined) Deno.env.set("DPDK_SHIM_PATH", saved);
  }
});

Deno.test("compile: the permission sets are narrow: FFI, no prompt, nothing else unscoped", () => {
  for (const app of APPS) {
    for (const flag of app.permissions) {
      assert(
        flag === "--allow-ffi" || flag === "--no-prompt" ||
          /^--allow-read=./.test(flag),
        `${app.name}: ${flag} is wider than the documented set`,
      );
    }
    assert(app.permissions.includes("--no-prompt"), app.name);
  }
  assertEquals(appByName("simple_mp").permissions, PERMISSIONS);
});

/** Runs `scenario` with the apps started from copies of their binaries' files. */
async function fromCopies(
  names: string[],
  group: string,
  scenario: Scenario,
): Promise<void> {
  const layouts = new Map<string, Layout>();
  try {
    for (const n of names) {
      layouts.set(n, await makeLayout(await resolveBuild(appByName(n))));
    }
    await runScenario(
      group,
      (app, args, name) => startCopied(layouts.get(app)!, args, name),
      scenario,
    );
    for (const l of layouts.values()) {
      assert(await assertAuditGranted(l) > 0, `${l.app.name}: no audit`);
    }
  } finally {
    for (const l of layouts.values()) await removeLayout(l);
  }
}

Deno.test("compile: simple_mp exchanges messages from its binary's files under its compile-time permissions", async () => {
  await fromCopies(["simple_mp"], "cmp_smp", simpleMpExchange);
});

Deno.test("compile: symmetric_mp forwards from its binary's files under its compile-time permissions", async () => {
  await fromCopies(["symmetric_mp"], "cmp_sym", symmetricMpForwarding);
});

Deno.test("compile: mp_server and mp_client forward from their binaries' files under their compile-time permissions", async () => {
  await fromCopies(
    ["mp_server", "mp_client"],
    "cmp_cs",
    clientServerForwarding,
  );
});

Deno.test("compile: without DPDK's libraries each app says which is missing and exits 1", async () => {
  // A stand-in shim that needs a DPDK library this machine lacks.
  const dir = await Deno.makeTempDir({ prefix: "dpdk_compile_nodpdk_" });
  const layouts: Layout[] = [];
  try {
    await Deno.writeTextFile(
      `${dir}/rte.c`,
      "int rte_stub(void) { return 0; }\n",
    );
    await Deno.writeTextFile(
      `${dir}/shim.c`,
      "extern int rte_stub(void);\nint shim_stub(void) { return rte_stub(); }\n",
    );
    const cc = async (args: string[]) => {
      const r = await new Deno.Command("cc", {
        args,
        cwd: dir,
        stderr: "piped",
      })
        .output();
      assert(r.success, decoder.decode(r.stderr));
    };
    await cc([
      "-shared",
      "-fPIC",
      "-Wl,-soname,librte_eal.so.99",
      "-o",
      "librte_eal.so.99",
      "rte.c",
    ]);
    await cc([
      "-shared",
      "-fPIC",
      "-o",
      "libshim.so",
      "shim.c",
      "./librte_eal.so.99",
    ]);
    await Deno.remove(`${dir}/librte_eal.so.99`);

    for (const app of APPS) {
      const layout = await makeLayout(
        await resolveBuild(app),
        `${dir}/libshim.so`,
      );
      layouts.push(layout);
      const p = startCopied(layout, ["-l", "0", "--no-pci"], app.name);
      const status = await p.exit();
      assertEquals(status.code, 1, p.output);
      assertStringIncludes(p.output, `${app.name}: cannot load the DPDK shim`);
      assertStringIncludes(p.output, "librte_eal.so.99");
      assertStringIncludes(p.output, "DPDK's shared libraries");
      assert(!p.output.includes("Uncaught"), p.output);
    }
  } finally {
    for (const l of layouts) await removeLayout(l);
    await Deno.remove(dir, { recursive: true });
  }
});

// ------------------------------------------------ real binaries (denort)

/** Builds every binary and copies them to a folder outside the repo. */
async function buildBinaries(): Promise<
  { lab: string; remove: () => Promise<void> }
> {
  const base = await Deno.makeTempDir({ prefix: "dpdk_compile_bin_" });
  const r = await runTask(["--out", `${base}/build`], childEnv([]));
  assertEquals(r.code, 0, r.output);
  const lab = `${base}/lab`;
  await Deno.mkdir(lab);
  for (const app of APPS) {
    await Deno.copyFile(`${base}/build/${app.binary}`, `${lab}/${app.binary}`);
    await Deno.chmod(`${lab}/${app.binary}`, 0o755);
  }
  return {
    lab,
    remove: () => Deno.remove(base, { recursive: true }),
  };
}

Deno.test({
  name:
    "compile: built executables, copied out of the repository, run simple_mp both ways, symmetric_mp and mp_server/mp_client",
  ignore: !denort.ok,
  async fn(t) {
    const { lab, remove } = await buildBinaries();
    const start: Start = (app, args, name) =>
      new Proc(`${lab}/${appByName(app).binary}`, args, {
        name,
        cwd: lab,
        env: { NO_COLOR: "1" },
      });
    try {
      await t.step(
        "simple_mp",
        () => runScenario("cmp_bin_smp", start, simpleMpExchange),
      );
      await t.step(
        "symmetric_mp",
        () => runScenario("cmp_bin_sym", start, symmetricMpForwarding),
      );
      await t.step(
        "mp_server and mp_client",
        () => runScenario("cmp_bin_cs", start, clientServerForwarding),
      );
    } finally {
      await remove();
    }
  },
});
