/**
 * simple_mp (apps/simple_mp.ts): real primary and secondary processes,
 * real hugepages and rings; interop with the C original both ways.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { startCOriginal } from "../support/c_build.ts";
import { denoRun, ealArgs, type Proc, withGroup } from "../support/proc.ts";

/** Whether a path exists. */
async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

const APP = "apps/simple_mp.ts";
const PRIMARY_LCORES = ["-l", "0-1"];
const SECONDARY_LCORES = ["--lcores=2@0,3@1"];
const INIT = "APP: Finished Process Init.";
const FULL_POOL =
  /MSG_POOL: 1024\/1024 available, PRI_2_SEC: 0 queued, SEC_2_PRI: 0 queued/;

type Track = (p: Proc) => Proc;

/** Starts our app and waits until its objects exist. */
async function startApp(
  track: Track,
  prefix: string,
  lcores: string[],
  procType?: string,
): Promise<Proc> {
  const type = procType ? [`--proc-type=${procType}`] : [];
  const p = track(denoRun(APP, [...lcores, ...ealArgs(prefix), ...type]));
  await p.waitFor(INIT);
  return p;
}

/** Starts the C original (see startCOriginal) and waits for it to be ready. */
async function startC(
  track: Track,
  prefix: string,
  lcores: string[],
  procType: string,
): Promise<Proc> {
  const p = track(await startCOriginal("simple_mp", prefix, lcores, procType));
  await p.waitFor(INIT);
  return p;
}

/** Writes a command; resolves with the first match of `expect` after it. */
async function command(
  p: Proc,
  line: string,
  expect: RegExp | string,
  timeoutMs = 20_000,
): Promise<RegExpMatchArray> {
  const from = p.output.length;
  await p.writeLine(line);
  return await p.waitFor(expect, timeoutMs, from);
}

/** The texts `p` printed as received, in order, that start with `tag`. */
function received(p: Proc, lcore: number, tag: string): string[] {
  const re = new RegExp(`core ${lcore}: Received '(${tag}[^']*)'$`, "gm");
  return [...p.output.matchAll(re)].map((m) => m[1]);
}

/** Checks `texts` is exactly tag0, tag1, ... tag(count-1). */
function assertSequence(texts: string[], tag: string, count: number): void {
  assertEquals(texts.length, count, `${tag}: ${texts.length} of ${count}`);
  for (let i = 0; i < count; i++) {
    if (texts[i] !== tag + i) {
      throw new Error(`${tag}: message ${i} is '${texts[i]}'`);
    }
  }
}

/** Quits with `quit` (or EOF) and checks a clean exit. */
async function quit(p: Proc, eof = false): Promise<void> {
  if (eof) await p.closeStdin();
  else await p.writeLine("quit");
  const st = await p.exit();
  assertEquals(st.code, 0, p.output);
}

Deno.test("messages both ways with the exact Received lines; prompt and help as in C", async () => {
  await withGroup("smp_basic", async ({ prefix, track }) => {
    // no --proc-type: primary; then auto: secondary (as in C)
    const pri = await startApp(track, prefix, PRIMARY_LCORES);
    const sec = await startApp(track, prefix, SECONDARY_LCORES, "auto");
    assertMatch(pri.output, /\nsimple_mp > /);

    await command(pri, "send hello_from_primary", "");
    await sec.waitFor(/core 3: Received 'hello_from_primary'$/m);
    await command(sec, "send hello_from_secondary", "");
    await pri.waitFor(/core 1: Received 'hello_from_secondary'$/m);
    await command(sec, "send two words", "");
    await pri.waitFor(/core 1: Received 'two words'$/m);

    // longer than an element: cut to 127 bytes (+ NUL), at a character end
    await command(pri, `send ${"x".repeat(200)}`, "longer than 127 bytes");
    await sec.waitFor(
      new RegExp(`core 3: Received '${"x".repeat(127)}'$`, "m"),
    );
    await command(pri, `send ${"é".repeat(100)}`, "longer than 127 bytes");
    await sec.waitFor(
      new RegExp(`core 3: Received '${"é".repeat(63)}'$`, "m"),
    );

    const help = "Simple demo example of multi-process in RTE\n\n" +
      "This is a readline-like interface that can be used to\n" +
      "send commands to the simple app. Commands supported are:\n\n" +
      "- send [string]\n- help\n- quit\n\n\nsimple_mp > ";
    await command(pri, "help", help);
    await command(pri, "bogus", /Command not found: 'bogus'/);
    await command(pri, "send", /Bad arguments/);
    await command(pri, "stats", FULL_POOL);

    await quit(sec, true); // EOF quits
    await quit(pri);
    assertEquals(received(pri, 1, ""), ["hello_from_secondary", "two words"]);
    assertEquals(received(sec, 3, ""), [
      "hello_from_primary",
      "x".repeat(127),
      "é".repeat(63),
    ]);
  });
});

Deno.test("100,000 messages each way arrive in order, none lost or duplicated; pool full again", async () => {
  await withGroup("smp_100k", async ({ prefix, track }) => {
    const pri = await startApp(track, prefix, PRIMARY_LCORES, "primary");
    const sec = await startApp(track, prefix, SECONDARY_LCORES, "secondary");
    const n = 100_000;
    await Promise.all([
      command(pri, `sendn ${n} p`, `sent ${n} messages`, 120_000),
      command(sec, `sendn ${n} s`, `sent ${n} messages`, 120_000),
    ]);
    await sec.waitFor(`core 3: Received 'p${n - 1}'`, 60_000);
    await pri.waitFor(`core 1: Received 's${n - 1}'`, 60_000);
    assertSequence(received(sec, 3, "p"), "p", n);
    assertSequence(received(pri, 1, "s"), "s", n);
    await command(pri, "stats", FULL_POOL);
    assert(!/Failed/.test(pri.output + sec.output));

    await quit(sec);
    // SIGINT: clean shutdown
    pri.kill("SIGINT");
    const st = await pri.exit();
    assertEquals(st.code, 0, pri.output);
    assertMatch(pri.output, /SIGINT received, exiting/);
  });
});

Deno.test("restarting the secondary mid-exchange leaves the primary working", async () => {
  await withGroup("smp_restart", async ({ prefix, track }) => {
    const pri = await startApp(track, prefix, PRIMARY_LCORES, "primary");
    const sec1 = await startApp(track, prefix, SECONDARY_LCORES, "secondary");
    const n = 20_000;
    const sent = command(pri, `sendn ${n} r`, `sent ${n} messages`, 60_000);
    sent.catch(() => {}); // awaited below; no unhandled rejection if we fail first
    await sec1.waitFor("Received 'r2000'");
    sec1.kill("SIGTERM"); // mid-exchange: clean stop, the ring keeps the rest
    assertEquals((await sec1.exit()).code, 0, sec1.output);
    assertMatch(sec1.output, /SIGTERM received, exiting/);

    const sec2 = await startApp(track, prefix, SECONDARY_LCORES, "secondary");
    await sent;
    await sec2.waitFor(`Received 'r${n - 1}'`, 60_000);
    assertSequence(
      [...received(sec1, 3, "r"), ...received(sec2, 3, "r")],
      "r",
      n,
    );
    await command(sec2, "send after_restart", "");
    await pri.waitFor(/core 1: Received 'after_restart'$/m);

    // SIGKILL an idle secondary: the primary still works with the next one
    sec2.kill("SIGKILL");
    await sec2.exit();
    const sec3 = await startApp(track, prefix, SECONDARY_LCORES, "secondary");
    await command(pri, "send to_third", "");
    await sec3.waitFor(/core 3: Received 'to_third'$/m);
    await command(sec3, "send from_third", "");
    await pri.waitFor(/core 1: Received 'from_third'$/m);
    await command(pri, "stats", FULL_POOL);
    await quit(sec3);

    // nobody receives now: sendn waits on the full ring; SIGINT still stops it
    await command(pri, "sendn 1000 z", "sendn 1000 z\n");
    pri.kill("SIGINT");
    assertEquals((await pri.exit()).code, 0, pri.output);
    assertMatch(pri.output, /SIGINT received, exiting/);
    assertMatch(pri.output, /sent 32 messages/);
  });
});

Deno.test("SIGKILL of the primary: the secondary exits within a second, saying why", async () => {
  await withGroup("smp_primary_dies", async ({ prefix, track }) => {
    const pri = await startApp(track, prefix, PRIMARY_LCORES, "primary");
    const sec = await startApp(track, prefix, SECONDARY_LCORES, "secondary");
    await command(pri, "send alive", "");
    await sec.waitFor("Received 'alive'");
    pri.kill("SIGKILL");
    await pri.exit();
    const t0 = performance.now();
    const st = await sec.exit();
    const ms = performance.now() - t0;
    assertEquals(st.code, 1, sec.output);
    assertMatch(sec.output, /the primary process has exited/);
    assert(ms < 1500, `secondary took ${ms.toFixed(0)} ms to exit`);
  });
});

Deno.test("interop: C primary with our secondary, our primary with a C secondary", async () => {
  await withGroup("smp_c_pri", async ({ prefix, track }) => {
    const cPri = await startC(track, prefix, PRIMARY_LCORES, "primary");
    const sec = await startApp(track, prefix, SECONDARY_LCORES, "secondary");
    await command(cPri, "send from_c", "");
    await sec.waitFor(/core 3: Received 'from_c'$/m);
    await command(sec, "send from_ts", "");
    await cPri.waitFor(/core 1: Received 'from_ts'$/m);
    await command(sec, `send ${"y".repeat(300)}`, "longer than 127 bytes");
    await cPri.waitFor(
      new RegExp(`core 1: Received '${"y".repeat(127)}'$`, "m"),
    );
    await command(sec, "sendn 500 t", "sent 500 messages");
    await cPri.waitFor("Received 't499'");
    assertSequence(received(cPri, 1, "t"), "t", 500);
    await quit(sec);
    await command(cPri, "quit", "");
    assertEquals((await cPri.exit()).code, 0, cPri.output);
  });
  await withGroup("smp_c_sec", async ({ prefix, track }) => {
    const pri = await startApp(track, prefix, PRIMARY_LCORES, "primary");
    const cSec = await startC(track, prefix, SECONDARY_LCORES, "secondary");
    await command(pri, "send from_ts", "");
    await cSec.waitFor(/core 3: Received 'from_ts'$/m);
    await command(cSec, "send from_c", "");
    await pri.waitFor(/core 1: Received 'from_c'$/m);
    await command(pri, "sendn 500 t", "sent 500 messages");
    await cSec.waitFor("Received 't499'");
    assertSequence(received(cSec, 3, "t"), "t", 500);
    await command(cSec, "quit", "");
    assertEquals((await cSec.exit()).code, 0, cSec.output);
    await command(pri, "stats", FULL_POOL);
    await quit(pri);
  });
});

Deno.test("a second process on the primary's lcore IDs is refused, naming the primary", async () => {
  // issue 16: with -l 0-1 on both sides, C (and we, before) ran both and
  // the pool's per-lcore caches in shared memory lost and duplicated messages
  await withGroup("smp_same_lcores", async ({ prefix, track }) => {
    const pri = await startApp(track, prefix, PRIMARY_LCORES, "primary");
    for (const type of ["secondary", "auto"]) {
      const same = track(denoRun(APP, [
        ...PRIMARY_LCORES,
        ...ealArgs(prefix),
        `--proc-type=${type}`,
      ]));
      assertEquals((await same.exit()).code, 1, same.output);
      assertMatch(
        same.output,
        new RegExp(
          `^simple_mp: lcore ID 0 is used by process ${pri.child.pid} of ` +
            `this group \\(simple_mp\\.ts\\): give every process of a ` +
            "group its own lcore IDs \\(free: ",
          "m",
        ),
      );
      // the IDs it suggests are free: not the primary's 0 and 1
      const free = /free: ([0-9, ]+);/.exec(same.output)![1].split(", ");
      assert(!free.includes("0") && !free.includes("1"), same.output);
      assert(!same.output.includes(INIT), same.output);
      assert(!/\n\s+at /.test(same.output), `a stack trace:\n${same.output}`);
    }
    // a secondary on lcore IDs 0 and 2: refused for 0 alone
    const one = track(denoRun(APP, [
      "--lcores=2@0,0@1",
      ...ealArgs(prefix),
      "--proc-type=secondary",
    ]));
    assertEquals((await one.exit()).code, 1, one.output);
    assertMatch(one.output, /lcore ID 0 is used by process/);
    // the primary is unharmed, its lcore IDs still its own: a secondary on
    // other IDs exchanges messages with it
    const sec = await startApp(track, prefix, SECONDARY_LCORES, "secondary");
    await command(pri, "send still_here", "");
    await sec.waitFor(/core 3: Received 'still_here'$/m);
    await command(sec, "send back", "");
    await pri.waitFor(/core 1: Received 'back'$/m);
    await quit(sec);
    await command(pri, "stats", FULL_POOL);
    await quit(pri);
  });
  // a C primary claims nothing: its command line is read instead
  await withGroup("smp_same_lcores_c", async ({ prefix, track }) => {
    const cPri = await startC(track, prefix, PRIMARY_LCORES, "primary");
    const same = track(denoRun(APP, [
      ...PRIMARY_LCORES,
      ...ealArgs(prefix),
      "--proc-type=secondary",
    ]));
    assertEquals((await same.exit()).code, 1, same.output);
    assertMatch(
      same.output,
      new RegExp(
        `lcore ID 0 is used by process ${cPri.child.pid} of this group ` +
          "\\(simple_mp\\)",
      ),
    );
    const sec = await startApp(track, prefix, SECONDARY_LCORES, "secondary");
    await command(cPri, "send from_c", "");
    await sec.waitFor(/core 3: Received 'from_c'$/m);
    await quit(sec);
    await command(cPri, "quit", "");
    assertEquals((await cPri.exit()).code, 0, cPri.output);
  });
});

Deno.test("refusals: second primary, secondary without primary, no hugepages, one lcore", async () => {
  await withGroup("smp_refuse", async ({ prefix, track }) => {
    const pri = await startApp(track, prefix, PRIMARY_LCORES, "primary");
    const second = track(denoRun(APP, [
      "--lcores=4@0,5@1",
      ...ealArgs(prefix),
      "--proc-type=primary",
    ]));
    assertEquals((await second.exit()).code, 1, second.output);
    assertMatch(
      second.output,
      new RegExp(
        `another primary process \\(pid ${pri.child.pid}\\) is running`,
      ),
    );
    // the first primary is unharmed
    await command(pri, "stats", FULL_POOL);

    const oneLcore = track(denoRun(APP, [
      "--lcores=6@0",
      ...ealArgs(prefix),
      "--proc-type=secondary",
    ]));
    assertEquals((await oneLcore.exit()).code, 1, oneLcore.output);
    assertMatch(oneLcore.output, /no worker lcore to receive messages on/);
    await quit(pri);
  });
  await withGroup("smp_noprimary", async ({ prefix, track }) => {
    const sec = track(denoRun(APP, [
      ...SECONDARY_LCORES,
      ...ealArgs(prefix),
      "--proc-type=secondary",
    ]));
    assertEquals((await sec.exit()).code, 1, sec.output);
    assertMatch(
      sec.output,
      new RegExp(
        `^simple_mp: no primary process is running with --file-prefix ` +
          `${prefix} \\(looked in /var/run/dpdk/${prefix}\\): start it first`,
        "m",
      ),
    );
    // refused before EAL made any file of the group
    assertEquals(await exists(`/var/run/dpdk/${prefix}`), false);
  });
  await withGroup("smp_nohuge", async ({ prefix, track }) => {
    const dir = await Deno.makeTempDir({ prefix: "smp_nohuge_" });
    try {
      const p = track(denoRun(APP, [
        ...PRIMARY_LCORES,
        ...ealArgs(prefix),
        `--huge-dir=${dir}`,
      ]));
      assertEquals((await p.exit()).code, 1, p.output);
      assertMatch(p.output, /Cannot init EAL/);
      assertMatch(p.output, /no usable hugepages/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});
