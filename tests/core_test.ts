/**
 * Toolkit core: real processes, real hugepages, real rings and pools.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { denoRun, ealArgs, withGroup } from "../support/proc.ts";

const PEER = "tests/fixtures/core_peer.ts";

function lastJson(output: string): Record<string, unknown> {
  const lines = output.split("\n").filter((l) => l.startsWith("{"));
  return JSON.parse(lines[lines.length - 1]);
}

Deno.test("200,000 objects through a ring to a secondary and back", async () => {
  await withGroup("core_ring", async ({ prefix, track }) => {
    const pri = track(
      denoRun(PEER, ["primary", "-l", "0", ...ealArgs(prefix), "--", "200000"]),
    );
    await pri.waitFor(/"ready":true/);
    const sec = track(denoRun(PEER, [
      "secondary",
      "--lcores=1@1",
      "--proc-type=secondary",
      ...ealArgs(prefix),
    ]));
    assertEquals((await sec.exit(60_000)).code, 0, sec.output);
    assertEquals((await pri.exit(60_000)).code, 0, pri.output);
    const s = lastJson(sec.output);
    assertEquals(s.moved, 200_000);
    assertEquals(s.outOfOrder, 0);
    const p = lastJson(pri.output);
    assertEquals(p.received, 200_000);
    assertEquals(p.duplicates, 0);
    assertEquals(p.missing, 0);
    assertEquals(p.availEnd, p.availStart);
  });
});

Deno.test("a secondary without a primary fails with a clear message", async () => {
  await withGroup("core_noprimary", async ({ prefix, track }) => {
    const sec = track(denoRun(PEER, [
      "init",
      "-l",
      "1",
      "--proc-type=secondary",
      ...ealArgs(prefix),
    ]));
    const st = await sec.exit();
    assertEquals(st.code, 1, sec.output);
    assertEquals(st.signal, null);
    assertMatch(sec.output, /rte_eal_init\(.*\) failed: .*\(errno \d+\)/);
  });
});

/**
 * Runs core_peer.ts in `workers` mode on `--lcores=0@0,3@1` (with `mode`
 * as its app argument), expects a clean exit, returns its JSON result.
 */
async function workers(
  group: string,
  mode?: string,
): Promise<Record<string, unknown>> {
  let result: Record<string, unknown> = {};
  await withGroup(group, async ({ prefix, track }) => {
    const args = ["workers", "--lcores=0@0,3@1", ...ealArgs(prefix)];
    const p = track(denoRun(PEER, mode ? [...args, "--", mode] : args));
    assertEquals((await p.exit()).code, 0, p.output);
    result = lastJson(p.output);
  });
  return result;
}

Deno.test("workers on --lcores=0@0,3@1 report their lcore ID and CPU", async () => {
  const { workers: w } = await workers("core_workers");
  assertEquals(w, [
    { lcoreId: 0, expected: 0, cpu: 0 },
    { lcoreId: 3, expected: 3, cpu: 1 },
  ]);
});

Deno.test("workers get data, post messages, stop and join on request", async () => {
  const res = await workers("core_stop", "loop") as {
    workers: { lcoreId: number }[];
    started: number;
  };
  assertEquals(res.started, 2);
  assertEquals(res.workers.map((w) => w.lcoreId), [0, 3]);
});

Deno.test("a worker that ignores the stop request is reported, not waited for", async () => {
  const { error } = await workers("core_stuck", "stuck") as { error: string };
  assertMatch(error, /lcore\(s\) 3 did not stop within 300 ms/);
});

Deno.test("bad EAL arguments give an error, not a crash", async () => {
  await withGroup("core_badargs", async ({ prefix, track }) => {
    for (
      const bad of [["--no-such-option"], ["-l", "999"], ["--lcores=0@7"], [
        "--proc-type=bogus",
      ]]
    ) {
      const p = track(denoRun(PEER, ["init", ...bad, ...ealArgs(prefix)]));
      const st = await p.exit();
      assertEquals(st.signal, null, p.output);
      assertEquals(st.code, 1, p.output);
      assertMatch(p.output, /rte_eal_init\(.*\) failed/);
    }
  });
});

Deno.test("a missing shim names every path tried and how to build it", async () => {
  const p = denoRun(PEER, ["init", "-l", "0"], {
    env: { DPDK_SHIM_PATH: "/nonexistent/libdpdk_shim.so" },
  });
  const st = await p.exit();
  assert(!st.success);
  assertMatch(p.output, /\/nonexistent\/libdpdk_shim\.so/);
  assertMatch(p.output, /make -C shim/);
});
