/**
 * Toolkit core: real processes, real hugepages, real rings and pools.
 * Every program under test is tests/fixtures/core_peer.ts in some mode.
 */
import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "@std/assert";
import { RTE } from "../mod.ts";
import {
  denoRun,
  ealArgs,
  possibleCpuCount,
  type Proc,
  withGroup,
} from "../support/proc.ts";

const PEER = "tests/fixtures/core_peer.ts";

/**
 * The last JSON object core_peer.ts printed: it ends a line, though EAL's
 * own output (C stdio, flushed late) may precede it on that line.
 */
function lastJson(output: string): Record<string, unknown> {
  const found = [...output.matchAll(/\{".*\}$/gm)];
  if (found.length === 0) throw new Error(`no JSON line in:\n${output}`);
  return JSON.parse(found[found.length - 1][0]);
}

/** What core_peer.ts prints when EAL does not start. */
interface InitError {
  name: string;
  message: string;
  lcore?: number;
  pid?: number;
}

/** Waits for `p` to exit with status 1 and returns the init error it printed. */
async function initFailure(p: Proc): Promise<InitError> {
  const st = await p.exit();
  assertEquals(st.signal, null, p.output);
  assertEquals(st.code, 1, p.output);
  const r = lastJson(p.output);
  assert(r.initError, `no initError line:\n${p.output}`);
  return r.initError as InitError;
}

/** Waits for `p` to exit with status 0 and returns its last JSON line. */
async function success(p: Proc): Promise<Record<string, unknown>> {
  assertEquals((await p.exit(60_000)).code, 0, p.output);
  return lastJson(p.output);
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
    const s = await success(sec);
    const p = await success(pri);
    assertEquals(s.moved, 200_000);
    assertEquals(s.outOfOrder, 0);
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
    const e = await initFailure(sec);
    // refused before EAL starts (initEal's attach check), in one line that
    // names the group and what to do, and leaving no runtime folder
    assertEquals(e.name, "NoPrimaryError");
    assertMatch(
      e.message,
      new RegExp(
        `^no DPDK primary process runs under --file-prefix=${prefix} ` +
          `\\(.*\\): start the primary first`,
      ),
    );
    assert(!sec.output.includes("Cannot init config"), sec.output);
    assertEquals(
      await Deno.stat(`/var/run/dpdk/${prefix}`).then(() => true, () => false),
      false,
    );
  });
});

/**
 * Runs core_peer.ts in `mode` (default `workers`) on `--lcores=0@0,3@1`
 * with `arg` as its app argument, expects a clean exit, returns its JSON
 * result.
 */
async function workers(
  group: string,
  arg?: string,
  mode = "workers",
): Promise<Record<string, unknown>> {
  let result: Record<string, unknown> = {};
  await withGroup(group, async ({ prefix, track }) => {
    const args = [mode, "--lcores=0@0,3@1", ...ealArgs(prefix)];
    result = await success(
      track(denoRun(PEER, arg ? [...args, "--", arg] : args)),
    );
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

Deno.test("group.started resolves while the workers still run", async () => {
  // Each worker blocks until the main thread, having seen `started`,
  // releases it: were `started` to wait for the workers to finish, they
  // would time out ("timed-out") and the group would be finished by then.
  const res = await workers("core_started", undefined, "started");
  assertEquals(res.finishedAtStart, false);
  for (const r of res.released as string[]) {
    assert(r === "ok" || r === "not-equal", `a worker was not released: ${r}`);
  }
  assertEquals((res.released as string[]).length, 2);
});

Deno.test("a Ring, PktmbufPool, TxBuffer and TxQueue in launch data are usable in the worker", async () => {
  await withGroup("core_handles", async ({ prefix, track }) => {
    const n = 8;
    const res = await success(track(denoRun(PEER, [
      "handles",
      "--lcores=0@0,1@1",
      "--vdev=net_null0",
      ...ealArgs(prefix),
      "--",
      String(n),
    ]))) as {
      queued: number;
      worker: {
        kinds: string[];
        names: string[];
        dequeued: number;
        badStamps: number;
        sent: number;
        queuedBack: number;
      };
      main: Record<string, number>;
    };
    const w = res.worker;
    assertEquals(res.queued, n);
    assertEquals(w.kinds, ["Ring", "PktmbufPool", "TxBuffer", "TxQueue"]);
    assertEquals(w.names, ["core_handles", "core_mbufs"]);
    // the worker read the main thread's packets through its pool handle
    assertEquals(w.dequeued, n);
    assertEquals(w.badStamps, 0);
    assertEquals(w.sent, n);
    assertEquals(w.queuedBack, n);
    // the main thread sees the worker's packets and the same TX buffer;
    // the port's own counter (DPDK's) confirms what was sent
    assertEquals(res.main, {
      dequeued: n,
      badStamps: 0,
      txbSent: n,
      txbDropped: 0,
      portOpackets: n,
      ringCount: 0,
      poolInUse: 0,
    });
  });
});

Deno.test("initEal claims lcore IDs: a second process on one fails naming the holder, other IDs work", async () => {
  await withGroup("core_claims", async ({ prefix, track }) => {
    const hold = (name: string, eal: string[]) =>
      track(denoRun(PEER, ["hold", ...eal, ...ealArgs(prefix)], { name }));
    const init = (name: string, eal: string[]) =>
      track(denoRun(PEER, ["init", ...eal, ...ealArgs(prefix)], { name }));
    const secondary = "--proc-type=secondary";

    const pri = hold("primary on 0", ["-l", "0"]);
    const priPid = (await pri.waitFor(/"ready":true,"pid":(\d+)/))[1];
    assertEquals(Number(priPid), pri.child.pid);

    // lcore ID 0 again (on another CPU): refused, naming the primary
    const clash = await initFailure(
      init("secondary on 0", ["--lcores=0@1", secondary]),
    );
    assertEquals(clash.name, "LcoreClashError", clash.message);
    assertEquals(clash.lcore, 0);
    assertEquals(clash.pid, pri.child.pid);
    assertStringIncludes(
      clash.message,
      `lcore ID 0 is used by process ${pri.child.pid}`,
    );

    // another ID works, and a secondary's claim binds the next one too
    const sec = hold("secondary on 1", ["--lcores=1@1", secondary]);
    await sec.waitFor(/"ready":true/);
    const clash2 = await initFailure(
      init("secondary on 1", ["--lcores=1@0", secondary]),
    );
    assertEquals([clash2.name, clash2.lcore, clash2.pid], [
      "LcoreClashError",
      1,
      sec.child.pid,
    ]);

    // a holder that exits cleanly releases its ID ...
    await sec.closeStdin();
    assertEquals((await sec.exit()).code, 0, sec.output);
    const again = await success(
      init("secondary on 1 after release", ["--lcores=1@0", secondary]),
    );
    assertEquals(again.processType, "secondary");

    // ... and one that is killed leaves a stale claim, which is taken over
    const doomed = hold("secondary on 2", ["--lcores=2@1", secondary]);
    await doomed.waitFor(/"ready":true/);
    doomed.kill("SIGKILL");
    await doomed.status;
    const takeover = await success(
      init("secondary on 2 after kill", ["--lcores=2@0", secondary]),
    );
    assertEquals(takeover.processType, "secondary");

    await pri.closeStdin();
    assertEquals((await pri.exit()).code, 0, pri.output);
  });
});

Deno.test("bad EAL arguments give an error, not a crash", async () => {
  // An lcore ID DPDK was not built for, and a CPU this machine lacks.
  const noLcore = String(RTE.RTE_MAX_LCORE);
  const noCpu = possibleCpuCount();
  await withGroup("core_badargs", async ({ prefix, track }) => {
    for (
      const bad of [
        ["--no-such-option"],
        ["-l", noLcore],
        [`--lcores=0@${noCpu}`],
        ["--proc-type=bogus"],
      ]
    ) {
      const e = await initFailure(
        track(denoRun(PEER, ["init", ...bad, ...ealArgs(prefix)])),
      );
      assertEquals(e.name, "DpdkError", bad.join(" "));
      assertMatch(e.message, /^rte_eal_init\(.*\) failed/);
      assertStringIncludes(e.message, bad.join(" "));
    }
  });
});

Deno.test("a missing shim names every path tried and how to build it", async () => {
  const p = denoRun(PEER, ["init", "-l", "0"], {
    env: { DPDK_SHIM_PATH: "/nonexistent/libdpdk_shim.so" },
  });
  const e = await initFailure(p);
  assertEquals(e.name, "ShimLoadError");
  assertMatch(e.message, /\/nonexistent\/libdpdk_shim\.so/);
  assertMatch(e.message, /make -C \S*shim/);
});
