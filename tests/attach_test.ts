/**
 * Robust attach (lib/attach.ts): TypeScript secondaries attaching to the C
 * simple_mp primary started as its users start it, without
 * `--base-virtaddr` (its memory at DPDK's default addresses, where V8
 * sometimes reserves its own); a clash forced on purpose is detected and
 * recovered by a fresh start of the same process (same PID), or refused
 * with a message saying what to do; no primary: one line, no files.
 */
import { assert, assertEquals, assertMatch, assertRejects } from "@std/assert";
import {
  readGroupLayout,
  runtimeRoot,
  SecondaryStartError,
  startSecondary,
} from "../mod.ts";
import { cOriginal } from "../support/c_build.ts";
import {
  denoRun,
  ealArgs,
  Proc,
  ROOT,
  uniquePrefix,
  withGroup,
} from "../support/proc.ts";

const FIXTURE = "tests/fixtures/attach_secondary.ts";
const INIT = "APP: Finished Process Init.";

/** The C simple_mp primary on lcores 0-1, EAL's default addresses. */
async function cPrimary(track: (p: Proc) => Proc, prefix: string) {
  const bin = await cOriginal("simple_mp");
  const p = track(
    new Proc("stdbuf", [
      "-oL",
      bin,
      "-l",
      "0-1",
      ...ealArgs(prefix),
      "--proc-type=primary",
    ], { name: "C simple_mp primary" }),
  );
  await p.waitFor(INIT);
  return p;
}

/** Runs the fixture secondary once; returns its output and status. */
async function secondary(
  prefix: string,
  lcore: number,
  extra: string[] = [],
): Promise<{ out: string; code: number; pid: number }> {
  const p = denoRun(FIXTURE, [
    ...extra,
    `--lcores=${lcore}@${lcore % 2}`,
    ...ealArgs(prefix),
    "--proc-type=secondary",
  ]);
  const s = await p.exit(30_000);
  return { out: p.output, code: s.code, pid: p.child.pid };
}

Deno.test("the primary's layout read from its runtime config matches its own mappings", async () => {
  await withGroup("attach_layout", async ({ prefix, track }) => {
    const prim = await cPrimary(track, prefix);
    const layout = readGroupLayout(`${runtimeRoot()}/${prefix}`);
    assert(layout.ready);
    // DPDK's view of its own address space: the primary's maps name each
    // backing file (config, fbarray tables, hugepages) at those addresses
    const maps = await Deno.readTextFile(`/proc/${prim.child.pid}/maps`);
    const at = (a: bigint) =>
      maps.split("\n").find((l) => l.startsWith(`${a.toString(16)}-`));
    const cfg = layout.ranges.find((r) => r.what === "runtime config")!;
    assertMatch(at(cfg.start) ?? "", new RegExp(`/${prefix}/config$`));
    const tables = layout.ranges.filter((r) => r.what.startsWith("table "));
    assert(tables.length >= 2, "the memzone table and a memseg list's");
    for (const t of tables) {
      assertMatch(
        at(t.start) ?? "",
        new RegExp(`/${prefix}/fbarray_${t.what.slice(6)}$`),
      );
    }
    const mem = layout.ranges.filter((r) => r.what.startsWith("memory of "));
    assert(mem.length >= 1);
    // the first page of the first list is a hugepage file of this group
    assertMatch(at(mem[0].start) ?? "", new RegExp(`/${prefix}map_0$`));
  });
});

Deno.test("100 attaches to a C primary without --base-virtaddr: no failure", async () => {
  await withGroup("attach_100", async ({ prefix, track }) => {
    await cPrimary(track, prefix);
    const N = 100, PARALLEL = 3;
    let next = 0, reexecs = 0;
    const failures: string[] = [];
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: PARALLEL }, async (_, w) => {
        while (next < N) {
          next++;
          const r = await secondary(prefix, 2 + w);
          const m = r.out.match(/ATTACHED reexecs=(\d+) checked=true/);
          if (r.code !== 0 || m === null) failures.push(r.out);
          else reexecs += Number(m[1]);
        }
      }),
    );
    console.log(
      `${N} attaches in ${((Date.now() - t0) / 1000).toFixed(1)} s, ` +
        `${reexecs} fresh start(s) needed`,
    );
    for (const f of failures) console.log(`failed attach:\n${f}`);
    assertEquals(failures.length, 0, failures[0]);
  });
});

Deno.test("a clash is recovered by a fresh start of the same process", async () => {
  await withGroup("attach_clash", async ({ prefix, track }) => {
    await cPrimary(track, prefix);
    // the fixture reserves 2 MiB in the middle of the primary's memory
    // first, as a V8 reservation would
    const r = await secondary(prefix, 2, ["--occupy"]);
    assertEquals(r.code, 0, r.out);
    assertMatch(r.out, /ATTACHED reexecs=1 checked=true ring=PRI_2_SEC/);
    // execv keeps the PID: a parent that waits for it sees the same child
    assertMatch(r.out, new RegExp(`pid=${r.pid}\\b`));
  });
});

Deno.test("a clash arising after the check: EAL fails, the process starts anew", async () => {
  await withGroup("attach_late", async ({ prefix, track }) => {
    await cPrimary(track, prefix);
    // the fixture reserves its 2 MiB after prepareAttach checked: EAL
    // cannot map that list ("Cannot get a virtual area..."), then
    // recoverFailedAttach finds the foreign mapping and starts anew
    const r = await secondary(prefix, 2, ["--occupy-late"]);
    assertEquals(r.code, 0, r.out);
    assertMatch(r.out, /Cannot get a virtual area at requested address/);
    assertMatch(r.out, new RegExp(`ATTACHED reexecs=1 .* pid=${r.pid}\\b`));
    // the failed attempt's socket is gone: only the primary's is left
    const files = [...Deno.readDirSync(`${runtimeRoot()}/${prefix}`)]
      .map((e) => e.name).filter((n) => n.startsWith("mp_socket"));
    assertEquals(files, ["mp_socket"]);
    const none = await secondary(prefix, 2, [
      "--occupy-late",
      "--max-reexecs=0",
    ]);
    assertEquals(none.code, 3, none.out);
    assertMatch(
      none.out,
      /FAILED AttachClashError: .* 0 fresh start\(s\) tried/,
    );
  });
});

Deno.test("a clash with no fresh start left says what to do", async () => {
  await withGroup("attach_refuse", async ({ prefix, track }) => {
    await cPrimary(track, prefix);
    const r = await secondary(prefix, 2, ["--occupy", "--max-reexecs=0"]);
    assertEquals(r.code, 3, r.out);
    assertMatch(
      r.out,
      /FAILED AttachClashError: cannot attach to the DPDK group "[^"]+": this process's 0x[0-9a-f]+-0x[0-9a-f]+ \(.*\) lies in the primary's memory of memseg-\S+ at .*--base-virtaddr=0x500000000000/,
    );
  });
});

Deno.test("no primary: one line, exit, no runtime folder left", async () => {
  const prefix = uniquePrefix("attach_none");
  const r = await secondary(prefix, 2);
  assertEquals(r.code, 3);
  assertEquals(
    r.out.trim(),
    `FAILED NoPrimaryError: no DPDK primary process runs under ` +
      `--file-prefix=${prefix} (no ${runtimeRoot()}/${prefix}/config): ` +
      `start the primary first, with the same --file-prefix`,
  );
  await assertRejects(() => Deno.stat(`${runtimeRoot()}/${prefix}`));
});

Deno.test("startSecondary awaits the attach, or rejects with the output", async () => {
  await withGroup("attach_start", async ({ prefix, track }) => {
    const args = (p: string) => [
      "run",
      "-A",
      `${ROOT}${FIXTURE}`,
      "--hold",
      "--lcores=2@0",
      ...ealArgs(p),
      "--proc-type=secondary",
    ];
    // no primary yet: it exits before attaching, and says why
    const e = await assertRejects(
      () => startSecondary(Deno.execPath(), args(prefix)),
      SecondaryStartError,
      "exited with 3 before it attached",
    );
    assertMatch((e as SecondaryStartError).output, /NoPrimaryError/);
    await cPrimary(track, prefix);
    // attached: it maps the group's config and hugepages (no pattern)
    await using sec = await startSecondary(Deno.execPath(), args(prefix));
    const maps = await Deno.readTextFile(`/proc/${sec.pid}/maps`);
    assertMatch(maps, new RegExp(`/${prefix}map_0\\n`));
    // with a pattern: once it prints it
    await using again = await startSecondary(
      Deno.execPath(),
      args(prefix).map((a) => a === "--lcores=2@0" ? "--lcores=3@1" : a),
      { ready: /ATTACHED reexecs=\d+/ },
    );
    assertMatch(again.output, /ATTACHED/);
  });
});
