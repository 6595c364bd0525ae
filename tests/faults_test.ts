/**
 * Issue 16: faults of the sample apps, each reproduced as it was found
 * (kills at random moments, restarts, a restart with an old secondary,
 * non-root runs, a pipe closed early, hostile input) and checked: nothing
 * lost silently, nothing hangs silently, every refusal says what is wrong.
 * (Item 1, a same-lcore pair, is in simple_mp_test.ts.)
 *
 * Every test runs in its own `--file-prefix` groups, under a watchdog
 * that SIGKILLs every process it started when the test overruns; the
 * groups' processes are all stopped and their files removed afterwards,
 * so a wedged group never outlives its test.
 *
 *   deno test -A tests/faults_test.ts
 *
 * @module
 */

import { assert, assertEquals, assertMatch } from "@std/assert";
import { DEFAULT_BASE_VIRTADDR } from "../mod.ts";
import { cOriginal } from "../support/c_build.ts";
import {
  denoRun,
  ealArgs,
  Proc,
  removePrefixFiles,
  ROOT,
  uniquePrefix,
  withGroup,
} from "../support/proc.ts";

const SIMPLE = "apps/simple_mp.ts";
const SYMMETRIC = "apps/symmetric_mp.ts";
const SERVER = "apps/mp_server.ts";
const CLIENT = "apps/mp_client.ts";
const HAMMER = "tests/fixtures/pool_hammer.ts";
const INIT = "APP: Finished Process Init.";
const NULL2 = ["--vdev=net_null0", "--vdev=net_null1"];
const BASE_VA = `--base-virtaddr=${DEFAULT_BASE_VIRTADDR}`;
const POOL = "MProc_pktmbuf_pool";
/** The apps' exit status for a stuck group. */
const EXIT_STUCK = 3;

type Track = (p: Proc) => Proc;
interface Group {
  prefix: string;
  track: Track;
}

/**
 * One process of a two-process symmetric_mp group on two net_null ports:
 * `--lcores=LCORES`, `--proc-type=TYPE`, `--proc-id ID`.
 */
function symmetricPair(
  prefix: string,
  lcores: string,
  id: number,
  type = "auto",
): Proc {
  return denoRun(SYMMETRIC, [
    `--lcores=${lcores}`,
    ...ealArgs(prefix),
    `--proc-type=${type}`,
    ...NULL2,
    "--",
    "-p",
    "3",
    "--num-procs",
    "2",
    "--proc-id",
    String(id),
  ], { name: `symmetric_mp ${id}` });
}

/**
 * Runs `fn` in a fresh group (support/proc.ts `withGroup`: every tracked
 * process SIGKILLed and the group's files removed at the end) under a
 * watchdog: after `limitMs` every tracked process is SIGKILLed and the
 * test fails.
 */
async function guarded(
  name: string,
  limitMs: number,
  fn: (g: Group) => Promise<void>,
): Promise<void> {
  await withGroup(name, async ({ prefix, track }) => {
    const mine: Proc[] = [];
    let expired = false;
    const t: Track = (p) => {
      if (expired) {
        // the test body runs on after its watchdog: start nothing more
        p.kill("SIGKILL");
        throw new Error(`watchdog: ${name} is over`);
      }
      mine.push(p);
      return track(p);
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const watchdog = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        expired = true;
        for (const p of mine) p.kill("SIGKILL");
        reject(
          new Error(
            `watchdog: ${name} ran over ${limitMs} ms; every process was ` +
              `killed. Output:\n${
                mine.map((p) => `--- ${p.name}:\n${p.output}`).join("\n")
              }`,
          ),
        );
      }, limitMs);
    });
    const run = fn({ prefix, track: t });
    run.catch(() => {}); // reported by the race below
    try {
      await Promise.race([run, watchdog]);
    } finally {
      clearTimeout(timer);
    }
  });
}

/** Lines of a process's output that contain no stack trace frame. */
function assertNoStack(p: Proc): void {
  assert(!/\n\s+at /.test(p.output), `${p.name}: a stack trace:\n${p.output}`);
  assert(!/Uncaught/.test(p.output), `${p.name}: uncaught:\n${p.output}`);
}

/** Whether a path exists. */
async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Waits until `p` prints `pattern`, or `ms` pass: whether it printed it. */
async function seen(
  p: Proc,
  pattern: RegExp | string,
  ms: number,
  from = 0,
): Promise<boolean> {
  try {
    await p.waitFor(pattern, ms, from);
    return true;
  } catch {
    return false;
  }
}

// ------------------------------------------------------ client_server_mp

/** Our mp_server, `-p 3 -n N --json`, on lcore 0. */
function server(prefix: string, n: number, more: string[] = []): Proc {
  return denoRun(SERVER, [
    "--lcores=0@0",
    ...ealArgs(prefix, BASE_VA),
    ...NULL2,
    "--",
    "-p",
    "3",
    "-n",
    String(n),
    "--json",
    ...more,
  ], { name: "mp_server" });
}

/** Our mp_client `id` with `--json`. */
function client(prefix: string, id: number, lcores: string): Proc {
  return denoRun(CLIENT, [
    `--lcores=${lcores}`,
    ...ealArgs(prefix, BASE_VA),
    "--proc-type=secondary",
    "--",
    "-n",
    String(id),
    "--json",
  ], { name: `mp_client ${id}` });
}

interface ServerStats {
  type: "stats" | "final";
  time: number;
  clients: { client: number; pid: number; rx: number; tx: number }[];
  ports: { port: number; rx: number; tx: number }[];
  mbufs?: { size: number; in_use: number };
  left?: number[];
  lost?: number;
  stuck?: string;
}
interface ClientFinal {
  type: "final";
  client: number;
  rx: number;
  tx: number;
  tx_drop: number;
  reason: string;
}

/** The JSON objects among the complete lines of `p`'s output. */
function jsonLines<T>(p: Proc): T[] {
  return p.output.split("\n").slice(0, -1)
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l));
}

/** Waits for a JSON line of `p` for which `pred` holds. */
async function waitJson<T>(
  p: Proc,
  pred: (x: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = jsonLines<T>(p).find(pred);
    if (hit !== undefined) return hit;
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new Error(`${p.name}: no such JSON line:\n${p.output}`);
    }
    await p.waitFor(/\n/, left, p.output.length);
  }
}

/**
 * What the group reports once the pool is wedged: the server names the
 * pool, the side, and (when given) the killed process as the likely
 * cause, and exits 3 with its final counts; each client exits 3 (stuck)
 * or 1 (server gone) with true counts.
 */
async function assertWedgeReported(
  srv: Proc,
  clients: Proc[],
  culprits: number[],
): Promise<void> {
  const st = await srv.exit(15_000);
  assertEquals(st.code, EXIT_STUCK, srv.output);
  const m = srv.output.match(
    new RegExp(
      `mp_server: the group is stuck: pool "${POOL}" \\(the ring behind ` +
        "it\\): (producer|consumer) head \\d+ and tail \\d+ have stayed " +
        "apart for \\d+\\.\\d s: a process stopped inside a (put|get) .*" +
        "Likely cause: process (\\d+) ",
    ),
  );
  if (m === null) {
    throw new Error(`no report naming the pool and a process:\n${srv.output}`);
  }
  assert(
    culprits.includes(Number(m[3])),
    `likely cause ${m[3]} is not a killed process (${culprits})`,
  );
  const fin = jsonLines<ServerStats>(srv).find((x) => x.type === "final");
  assert(fin?.stuck?.includes("the group is stuck"), srv.output);
  assertNoStack(srv);
  for (const c of clients) {
    const cs = await c.exit(15_000);
    assert(
      cs.code === EXIT_STUCK || cs.code === 1,
      `${c.name} exit ${cs.code}:\n${c.output}`,
    );
    const f = jsonLines<ClientFinal>(c).find((x) => x.type === "final");
    if (f === undefined) throw new Error(`${c.name}: no final:\n${c.output}`);
    // issue 16: the stuck client said "rx 0" after receiving 257,264
    assert(f.rx > 0, `${c.name}: rx ${f.rx}`);
    assert(f.rx >= f.tx + f.tx_drop, `${c.name}: ${JSON.stringify(f)}`);
    assert(["stuck", "server-gone"].includes(f.reason), JSON.stringify(f));
    assertNoStack(c);
  }
}

Deno.test("item 2: a process killed inside a pool operation wedges the pool: server and clients say which object and which process, and exit with true counts", async () => {
  await guarded("f16_wedge", 150_000, async ({ prefix, track }) => {
    const srv = track(server(prefix, 2));
    await srv.waitFor(INIT);
    const cs = [0, 1].map((id) => track(client(prefix, id, `${id + 1}@1`)));
    for (const c of cs) await c.waitFor("handling packets");
    await waitJson<ServerStats>(srv, (s) => s.clients.every((c) => c.tx > 0));
    // a process whose thread lives in the pool's ring operations, killed
    // at a random moment: usually between a head and a tail update
    const killed: number[] = [];
    for (let i = 0; i < 6; i++) {
      const h = track(denoRun(HAMMER, [
        `--lcores=${5 + i}@0`,
        ...ealArgs(prefix, BASE_VA),
        "--proc-type=secondary",
        "--",
        POOL,
        "256",
        "wedge", // the kill below always leaves the pool half-updated
      ], { name: "pool_hammer" }));
      await h.waitFor("hammering");
      const mark = srv.output.length;
      h.kill("SIGKILL");
      await h.exit();
      killed.push(h.child.pid);
      if (await seen(srv, "the group is stuck", 5000, mark)) break;
    }
    console.log(`  stuck after ${killed.length} kill(s) of the hammer`);
    assert(
      srv.output.includes("the group is stuck"),
      `no wedge after ${killed.length} kills:\n${srv.output}`,
    );
    await assertWedgeReported(srv, cs, killed);
  });
});

/**
 * Starts the hammer on `pool` and SIGKILLs it until one of `watchers`
 * says the group is stuck (at most `tries` times); returns the killed PIDs.
 */
async function wedge(
  track: Track,
  prefix: string,
  pool: string,
  watchers: Proc[],
  tries = 6,
): Promise<number[]> {
  const killed: number[] = [];
  for (let i = 0; i < tries; i++) {
    const h = track(denoRun(HAMMER, [
      `--lcores=${20 + i}@0`,
      ...ealArgs(prefix, BASE_VA),
      "--proc-type=secondary",
      "--",
      pool,
      "256",
      "wedge", // the kill below always leaves the pool half-updated
    ], { name: "pool_hammer" }));
    await h.waitFor("hammering");
    const marks = watchers.map((w) => w.output.length);
    h.kill("SIGKILL");
    await h.exit();
    killed.push(h.child.pid);
    const said = await Promise.all(
      watchers.map((w, j) => seen(w, "the group is stuck", 5000, marks[j])),
    );
    if (said.some((x) => x)) return killed;
  }
  throw new Error(
    `no wedge reported after ${tries} kills:\n` +
      watchers.map((w) => `--- ${w.name}:\n${w.output}`).join("\n"),
  );
}

Deno.test("item 2: simple_mp and symmetric_mp report a wedged pool the same way, and exit 3", async () => {
  await guarded("f16_wedge_smp", 120_000, async ({ prefix, track }) => {
    const pri = await simple(track, prefix, ["-l", "0-1"], "primary");
    const sec = await simple(track, prefix, ["--lcores=2@0,3@1"], "secondary");
    const killed = await wedge(track, prefix, "MSG_POOL", [pri, sec]);
    for (const p of [pri, sec]) {
      assertEquals((await p.exit(15_000)).code, EXIT_STUCK, p.output);
      const m = p.output.match(
        /simple_mp: the group is stuck: pool "MSG_POOL" \(the ring behind it\): (producer|consumer) head \d+ and tail \d+ have stayed apart .*Likely cause: process (\d+) /,
      );
      if (m === null) throw new Error(p.output);
      assert(killed.includes(Number(m[2])), p.output);
      assertNoStack(p);
    }
  });
  await guarded("f16_wedge_sym", 120_000, async ({ prefix, track }) => {
    const smp = (lcores: string, id: number) =>
      track(symmetricPair(prefix, lcores, id));
    const pri = smp("0@0", 0);
    await pri.waitFor(INIT);
    const sec = smp("1@1", 1);
    await sec.waitFor(INIT);
    const killed = await wedge(track, prefix, "SMP_MBUF_POOL", [pri, sec]);
    for (const p of [pri, sec]) {
      assertEquals((await p.exit(15_000)).code, EXIT_STUCK, p.output);
      const m = p.output.match(
        /symmetric_mp: the group is stuck: (pool "SMP_MBUF_POOL" \(the ring behind it\)|lcore \d+ of symmetric_mp proc-id \d has made no progress).*Likely cause: process (\d+) /,
      );
      if (m === null) throw new Error(p.output);
      assert(killed.includes(Number(m[2])), p.output);
      // its counts, as on a signal
      assertMatch(p.output, /Port 0: RX - \d+, TX - \d+, Drop - \d+/);
      assertNoStack(p);
    }
  });
});

Deno.test("item 2: mp_client SIGKILLed mid-traffic and restarted, in a loop: the group goes on or says it is stuck; lost mbufs are reported", async () => {
  await guarded("f16_ckill", 150_000, async ({ prefix, track }) => {
    const srv = track(server(prefix, 2));
    await srv.waitFor(INIT);
    const c0 = track(client(prefix, 0, "1@1"));
    let c1 = track(client(prefix, 1, "2@1"));
    await c0.waitFor("handling packets");
    await c1.waitFor("handling packets");
    const killed: number[] = [];
    let stuck = false;
    for (let i = 0; i < 8 && !stuck; i++) {
      await waitJson<ServerStats>(
        srv,
        (s) => s.clients[1].pid === c1.child.pid && s.clients[1].tx > 0,
      );
      const mark = srv.output.length;
      c1.kill("SIGKILL");
      await c1.exit();
      killed.push(c1.child.pid);
      c1 = track(client(prefix, 1, "2@1"));
      // a killed client usually leaves the group working: the new one
      // forwards; when it died inside a pool operation, the group must
      // say it is stuck. Neither within 20 s: it hangs silently (a failure)
      const t0 = jsonLines<ServerStats>(srv).at(-1)?.time ?? 0;
      const deadline = Date.now() + 20_000;
      for (;;) {
        if (srv.output.slice(mark).includes("the group is stuck")) {
          stuck = true;
          break;
        }
        const last = jsonLines<ServerStats>(srv).at(-1);
        if (
          last !== undefined && last.time > t0 + 1 &&
          last.clients[1].pid === c1.child.pid && last.clients[1].tx > 0
        ) break;
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new Error(
            `after kill ${killed.length}: no forwarding, no report:\n` +
              `${srv.output.slice(mark)}\n--- new client:\n${c1.output}`,
          );
        }
        await srv.waitFor(/\n/, left, srv.output.length).catch(() => {});
      }
    }
    console.log(`  ${killed.length} kill(s); the group got stuck: ${stuck}`);
    if (stuck) {
      await assertWedgeReported(srv, [c0], killed);
      // the client started last came into a stuck group: it says so, or
      // finds the server gone, in one line and without a stack trace
      const st = await c1.exit(15_000);
      assert(st.code === 1 || st.code === EXIT_STUCK, c1.output);
      assertMatch(
        c1.output,
        /the group is stuck|the server has stopped|mp_server of --file-prefix \S+ has exited/,
      );
      assertNoStack(c1);
      return;
    }
    for (const c of [c0, c1]) {
      c.kill("SIGINT");
      assertEquals((await c.exit()).code, 0, c.output);
    }
    srv.kill("SIGINT");
    assertEquals((await srv.exit()).code, 0, srv.output);
    const fin = jsonLines<ServerStats>(srv).find((x) => x.type === "final")!;
    console.log(
      `  mbufs not back: ${fin.mbufs!.in_use}, reported: ${fin.lost ?? 0}`,
    );
    // nothing lost silently: what did not come back is counted and said
    assertEquals(fin.mbufs!.in_use, fin.lost ?? 0, srv.output);
    if ((fin.lost ?? 0) > 0) {
      assertMatch(
        srv.output,
        new RegExp(
          `mp_server: ${fin.lost} mbuf\\(s\\) did not come back to the pool`,
        ),
      );
    }
    assertNoStack(srv);
  });
});

// ------------------------------------------------------------- simple_mp

/** Our simple_mp, waiting until its objects exist. */
async function simple(
  track: Track,
  prefix: string,
  lcores: string[],
  type: string,
): Promise<Proc> {
  const p = track(denoRun(SIMPLE, [
    ...lcores,
    ...ealArgs(prefix),
    `--proc-type=${type}`,
  ], { name: `simple_mp ${type}` }));
  await p.waitFor(INIT);
  return p;
}

/** Sums the numbers of `re`'s first group over the outputs. */
function total(procs: Proc[], re: RegExp): number {
  let n = 0;
  for (const p of procs) {
    for (const m of p.output.matchAll(re)) n += Number(m[1]);
  }
  return n;
}

Deno.test("item 3: simple_mp killed 20 times while sendn waits for ring room: its messages come back to the pool, or are reported", async () => {
  await guarded("f16_sendn", 180_000, async ({ prefix, track }) => {
    const pri = await simple(track, prefix, ["-l", "0-1"], "primary");
    const secs: Proc[] = [];
    let stuck = false;
    const stalled = () =>
      [pri, ...secs].some((p) => p.output.includes("the group is stuck"));
    for (let i = 0; i < 20 && !stuck; i++) {
      try {
        const sec = await simple(
          track,
          prefix,
          ["--lcores=2@0,3@1"],
          "secondary",
        );
        secs.push(sec);
        const mark = pri.output.length;
        await sec.writeLine(`sendn 1000000 k${i}_`);
        // it sends faster than the primary prints: it waits for room
        await pri.waitFor(`Received 'k${i}_300'`, 20_000, mark);
        sec.kill("SIGKILL");
        await sec.exit();
      } catch (e) {
        // a kill inside an enqueue wedges SEC_2_PRI: everyone says so
        if (!stalled()) throw e;
        stuck = true;
      }
    }
    console.log(`  ${secs.length} kill(s); the group got stuck: ${stuck}`);
    if (stuck) {
      // killed inside an enqueue: the ring is wedged, and it is said
      assertEquals((await pri.exit()).code, EXIT_STUCK, pri.output);
      assertMatch(pri.output, /the group is stuck: ring "SEC_2_PRI"/);
      return;
    }
    // the last one's record is settled by the primary (every 500 ms)
    const returned = /returned (\d+) message buffer\(s\) it held/g;
    const unknown = /up to (\d+) message buffer\(s\) may be lost/g;
    const deadline = Date.now() + 20_000;
    let avail = 0;
    for (;;) {
      const mark = pri.output.length;
      await pri.writeLine("stats");
      avail = Number(
        (await pri.waitFor(/MSG_POOL: (\d+)\/1024 available/, 5000, mark))[1],
      );
      const lost = total([pri, ...secs], unknown);
      if (avail + lost === 1024 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200)); // the settling timer
    }
    const back = total([pri, ...secs], returned);
    const lost = total([pri, ...secs], unknown);
    console.log(
      `  returned: ${back}, possibly lost: ${lost}, available: ${avail}`,
    );
    // issue 16: 20 kills left 384/1024; now every message is accounted for
    assertEquals(avail + lost, 1024, pri.output);
    assert(back >= 32, `only ${back} returned:\n${pri.output}`);
    // and sending still works
    const sec = await simple(track, prefix, ["--lcores=2@0,3@1"], "secondary");
    await sec.writeLine("sendn 2000 after");
    await sec.waitFor("sent 2000 messages", 60_000);
    await pri.waitFor("Received 'after1999'", 30_000);
    await sec.writeLine("quit");
    assertEquals((await sec.exit()).code, 0, sec.output);
    await pri.writeLine("quit");
    assertEquals((await pri.exit()).code, 0, pri.output);
    assertNoStack(pri);
  });
});

// ------------------------------------------------------ signals at start

Deno.test("item 4: SIGTERM right at the ready line stops every app cleanly", async () => {
  await guarded("f16_term", 240_000, async ({ prefix, track }) => {
    for (let i = 0; i < 5; i++) {
      const p = track(denoRun(SIMPLE, ["-l", "0-1", ...ealArgs(prefix)]));
      await p.waitFor(INIT);
      p.kill("SIGTERM");
      assertEquals((await p.exit()).code, 0, p.output);
      assertMatch(p.output, /simple_mp: SIGTERM received, exiting/);
    }
    for (let i = 0; i < 3; i++) {
      const s = track(server(prefix, 1));
      await s.waitFor(INIT);
      s.kill("SIGTERM");
      assertEquals((await s.exit()).code, 0, s.output);
      assertMatch(s.output, /mp_server: SIGTERM: stopping/);
      assert(jsonLines<ServerStats>(s).some((x) => x.type === "final"));
    }
    const srv = track(server(prefix, 1));
    await srv.waitFor(INIT);
    for (let i = 0; i < 5; i++) {
      const c = track(client(prefix, 0, "1@1"));
      await c.waitFor(INIT);
      c.kill("SIGTERM");
      assertEquals((await c.exit()).code, 0, c.output);
      assertMatch(c.output, /mp_client 0: SIGTERM: stopping/);
      const f = jsonLines<ClientFinal>(c).find((x) => x.type === "final");
      assertEquals(f?.reason, "signal", c.output);
    }
    srv.kill("SIGINT");
    assertEquals((await srv.exit()).code, 0, srv.output);
  });
  await guarded("f16_term_smp", 120_000, async ({ prefix, track }) => {
    for (let i = 0; i < 3; i++) {
      const p = track(denoRun(SYMMETRIC, [
        "-l",
        "0",
        ...ealArgs(prefix),
        ...NULL2,
        "--",
        "-p",
        "3",
        "--num-procs",
        "1",
        "--proc-id",
        "0",
      ]));
      await p.waitFor(INIT);
      p.kill("SIGTERM");
      assertEquals((await p.exit()).code, 0, p.output);
      assertMatch(p.output, /Exiting on signal 15/);
    }
  });
});

// ------------------------------------------ a new primary, an old secondary

Deno.test({
  name:
    "item 5: a new primary while a secondary of the dead one runs is refused, naming it; the secondary is unharmed",
}, async () => {
  await guarded("f16_restart", 120_000, async ({ prefix, track }) => {
    const smp = (lcores: string, id: number, type = "auto") =>
      track(symmetricPair(prefix, lcores, id, type));
    const pri = smp("0@0", 0);
    await pri.waitFor(INIT);
    const sec = smp("1@1", 1);
    await sec.waitFor(INIT);
    pri.kill("SIGKILL");
    await pri.exit();
    for (const type of ["auto", "primary"]) {
      const again = smp("2@0", 0, type);
      assertEquals((await again.exit()).code, 1, again.output);
      assertMatch(
        again.output,
        new RegExp(
          `^symmetric_mp: process ${sec.child.pid} \\(symmetric_mp\\.ts\\) ` +
            "of the previous primary still runs with --file-prefix " +
            `${prefix}: stop it first \\(a new primary would reset the ` +
            "shared memory they run on\\), or join them with " +
            "--proc-type=secondary$",
          "m",
        ),
      );
      // refused before EAL: no "Cannot allocate memzone list"
      assert(!/memzone|Cannot init EAL/.test(again.output), again.output);
      assertNoStack(again);
    }
    // the old secondary goes on forwarding; SIGINT stops it cleanly
    // (issue 16: it died with SIGFPE after the attempt)
    const mark = sec.output.length;
    sec.kill("SIGINT");
    assertEquals((await sec.exit()).code, 0, sec.output);
    const rx = sec.output.slice(mark).match(/Port 0: RX - (\d+)/);
    assert(rx && Number(rx[1]) > 0, sec.output);
  });
});

// ------------------------------------------------------------------ hints

/** A copy of Deno's npm cache an unprivileged user can use, and a runtime folder. */
async function nobodyEnv(): Promise<
  { env: Record<string, string>; dir: string }
> {
  const dir = await Deno.makeTempDir({ prefix: "f16_nobody_" });
  const home = Deno.env.get("HOME") ?? "/root";
  const npm = Deno.env.get("DENO_DIR")
    ? `${Deno.env.get("DENO_DIR")}/npm`
    : `${home}/.cache/deno/npm`;
  const cp = await new Deno.Command("cp", {
    args: ["-r", npm, `${dir}/npm`],
  }).output();
  assert(cp.success, new TextDecoder().decode(cp.stderr));
  await Deno.mkdir(`${dir}/xdg`);
  const chown = await new Deno.Command("chown", {
    args: ["-R", "nobody:nogroup", dir],
  }).output();
  assert(chown.success, new TextDecoder().decode(chown.stderr));
  return {
    dir,
    env: { DENO_DIR: dir, HOME: dir, XDG_RUNTIME_DIR: `${dir}/xdg` },
  };
}

/** `deno run` of an app as user nobody (setpriv), with `env`. */
function asNobody(
  app: string,
  args: string[],
  env: Record<string, string>,
): Proc {
  return new Proc("setpriv", [
    "--reuid=nobody",
    "--regid=nogroup",
    "--clear-groups",
    Deno.execPath(),
    "run",
    "-A",
    "--cached-only",
    ROOT + app,
    ...args,
  ], { name: `${app} as nobody`, env });
}

Deno.test("item 6: non-root runs are told what is really wrong (permission, where EAL looks)", async () => {
  const { dir, env } = await nobodyEnv();
  try {
    await guarded("f16_nobody", 120_000, async ({ prefix, track }) => {
      // a primary: the hugepage folder is root's (issue 16: "no hugepages?")
      const p = track(asNobody(SIMPLE, ["-l", "0-1", ...ealArgs(prefix)], env));
      assertEquals((await p.exit()).code, 1, p.output);
      assertMatch(
        p.output,
        /permission denied: this process runs as uid \d+, and the hugepage folder \/dev\/hugepages is not writable by it: run as root/,
      );
      assert(!/no hugepages\?/.test(p.output), p.output);
      assertNoStack(p);
      // (the refused primary's runtime folder, which EAL made: gone)
      await Deno.remove(`${dir}/xdg/dpdk/${prefix}`, { recursive: true });
      // a secondary of root's running primary: EAL looks in XDG_RUNTIME_DIR
      // (issue 16: "no primary process is running", and nothing more)
      const pri = await simple(track, prefix, ["-l", "0-1"], "primary");
      const sec = track(asNobody(SIMPLE, [
        "--lcores=2@0,3@1",
        ...ealArgs(prefix),
        "--proc-type=secondary",
      ], env));
      assertEquals((await sec.exit()).code, 1, sec.output);
      assertMatch(
        sec.output,
        new RegExp(
          `no primary process is running with --file-prefix ${prefix} ` +
            `\\(looked in ${dir}/xdg/dpdk/${prefix}\\): start it first \\(as ` +
            `uid \\d+, EAL keeps groups in ${dir}/xdg/dpdk; a root primary's ` +
            "are in /var/run/dpdk: run as the primary's user\\)",
        ),
      );
      await pri.writeLine("quit");
      assertEquals((await pri.exit()).code, 0, pri.output);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("item 6: refusals name the real cause: second server, no server, lcore clash, missing --, dead group, failed attach", async () => {
  await guarded("f16_hints", 180_000, async ({ prefix, track }) => {
    const srv = track(server(prefix, 2));
    await srv.waitFor(INIT);
    // a second mp_server must be the primary: stop the first, not
    // --proc-type=secondary
    const two = track(server(prefix, 2));
    assertEquals((await two.exit()).code, 1, two.output);
    assertMatch(
      two.output,
      new RegExp(
        `^mp_server: another mp_server \\(pid ${srv.child.pid}\\) is ` +
          `running with --file-prefix ${prefix} \\(mp_server\\.ts\\): stop ` +
          "it first",
        "m",
      ),
    );
    assert(!/proc-type=secondary/.test(two.output), two.output);
    // an lcore clash suggests IDs nobody uses: not a C client's
    const cClient = track(
      new Proc(await cOriginal("mp_client"), [
        "--lcores=1@1",
        ...ealArgs(prefix, BASE_VA),
        "--proc-type=secondary",
        "--",
        "-n",
        "0",
      ], { name: "C mp_client" }),
    );
    await cClient.waitFor(INIT);
    const clash = track(client(prefix, 1, "0@1"));
    assertEquals((await clash.exit()).code, 1, clash.output);
    const m = clash.output.match(
      /lcore ID 0 is used by process (\d+) of this group \(mp_server\.ts\): give every process of a group its own lcore IDs \(free: ([0-9, ]+); e\.g\. --lcores=(\d+)@0\)/,
    );
    if (m === null) throw new Error(clash.output);
    assertEquals(Number(m[1]), srv.child.pid);
    const free = m[2].split(", ").map(Number);
    assert(!free.includes(0) && !free.includes(1), clash.output);
    // options without `--`: said so, before EAL (no usage dump, no files)
    const noDash = track(denoRun(CLIENT, [
      "--lcores=3@1",
      ...ealArgs(prefix, BASE_VA),
      "--proc-type=secondary",
      "-n",
      "1",
    ]));
    assertEquals((await noDash.exit()).code, 1, noDash.output);
    assertMatch(
      noDash.output,
      /no client ID: the application's options go after `--`/,
    );
    cClient.kill("SIGKILL");
    await cClient.exit();
    srv.kill("SIGINT");
    await srv.exit();
  });
  await guarded("f16_hints2", 120_000, async ({ prefix, track }) => {
    // mp_client --proc-type=auto and no server: start the server
    const auto = track(denoRun(CLIENT, [
      "--lcores=1@1",
      ...ealArgs(prefix),
      "--proc-type=auto",
      "--",
      "-n",
      "0",
    ]));
    assertEquals((await auto.exit()).code, 1, auto.output);
    assertMatch(
      auto.output,
      new RegExp(
        `^mp_client: no mp_server is running with --file-prefix ${prefix} ` +
          `\\(looked in /var/run/dpdk/${prefix}\\): start it first`,
        "m",
      ),
    );
    for (
      const [app, args] of [
        [SYMMETRIC, ["-p", "3", "--num-procs", "1", "--proc-id", "0"]],
        [SERVER, ["-p", "3", "-n", "1"]],
      ] as const
    ) {
      const p = track(denoRun(app, ["-l", "0", ...ealArgs(prefix), ...args]));
      assertEquals((await p.exit()).code, 1, p.output);
      assertMatch(
        p.output,
        /: the application's options \(-p\b.*\) come before any `--`, so EAL would take them: put `--` between EAL's options and the application's/,
      );
      assert(!/EAL common options/.test(p.output), "EAL's usage was shown");
    }
    assertEquals(await exists(`/var/run/dpdk/${prefix}`), false);
    // a secondary of a group whose primary died: refused at once, no prompt
    const pri = await simple(track, prefix, ["-l", "0-1"], "primary");
    pri.kill("SIGKILL");
    await pri.exit();
    const late = track(denoRun(SIMPLE, [
      "--lcores=2@0,3@1",
      ...ealArgs(prefix),
      "--proc-type=secondary",
    ]));
    assertEquals((await late.exit()).code, 1, late.output);
    assertMatch(
      late.output,
      new RegExp(
        `^simple_mp: the primary process of --file-prefix ${prefix} has ` +
          `exited \\(its files remain in /var/run/dpdk/${prefix}\\): start ` +
          "a new one first",
        "m",
      ),
    );
    assert(!late.output.includes("simple_mp >"), late.output);
  });
  await guarded("f16_hints3", 120_000, async ({ prefix, track }) => {
    // a failed attach to a C primary that finished starting long ago:
    // not "wait for its initialisation"
    const cPri = track(
      new Proc("stdbuf", [
        "-oL",
        await cOriginal("simple_mp"),
        "-l",
        "0-1",
        ...ealArgs(prefix),
      ], { name: "C simple_mp" }),
    );
    await cPri.waitFor(INIT);
    const sec = track(denoRun(SIMPLE, [
      "--lcores=2@0,3@1",
      ...ealArgs(prefix),
      "--proc-type=secondary",
      "--no-huge",
    ]));
    assertEquals((await sec.exit()).code, 1, sec.output);
    assertMatch(
      sec.output,
      new RegExp(
        `the primary \\(pid ${cPri.child.pid}, simple_mp, running for \\d+ ` +
          "s\\); attaching to it failed: see EAL's message above\\. " +
          "--no-huge rules out secondary processes: drop it",
      ),
    );
    assert(!/initiali[sz]ation/.test(sec.output), sec.output);
    cPri.kill("SIGKILL");
    await cPri.exit();
  });
});

// ------------------------------------------------------- output and input

/** Runs `cmd args` with its stdout or stdin redirected by the shell (exec: same PID). */
function redirected(redirect: string, app: string, args: string[]): Proc {
  return new Proc("bash", [
    "-c",
    `exec "$@" ${redirect}`,
    "bash",
    Deno.execPath(),
    "run",
    "-A",
    ROOT + app,
    ...args,
  ], { name: `${app} ${redirect}` });
}

/** The app's own lines in the output (EAL's log lines left out). */
function appLines(p: Proc, prog: string): string[] {
  return p.output.split("\n").filter((l) =>
    /^[a-z_]+( \d+)?: /.test(l) && l.startsWith(prog)
  );
}

Deno.test("item 7: stdout closed early, stdout full, stdin a directory: one line and a clean exit, no stack trace", async () => {
  await guarded("f16_io", 180_000, async ({ prefix, track }) => {
    const simpleArgs = ["-l", "0-1", ...ealArgs(prefix)];
    // stdin a directory
    const dirIn = track(redirected("< /", SIMPLE, simpleArgs));
    assertEquals((await dirIn.exit()).code, 1, dirIn.output);
    assertEquals(
      appLines(dirIn, "simple_mp"),
      ["simple_mp: cannot read standard input: it is a directory"],
    );
    assertNoStack(dirIn);
    // stdout /dev/full, for every app
    const full = [
      [SIMPLE, simpleArgs, "simple_mp"],
      [SERVER, [
        "-l",
        "0",
        ...ealArgs(prefix),
        ...NULL2,
        "--",
        "-p",
        "3",
        "-n",
        "1",
      ], "mp_server"],
      [SYMMETRIC, [
        "-l",
        "0",
        ...ealArgs(prefix),
        ...NULL2,
        "--",
        "-p",
        "3",
        "--num-procs",
        "1",
        "--proc-id",
        "0",
      ], "symmetric_mp"],
    ] as const;
    for (const [app, args, prog] of full) {
      const p = track(redirected("> /dev/full", app, [...args]));
      const st = await p.exit();
      assertEquals(st.code, 1, p.output);
      const lines = appLines(p, prog);
      assertEquals(lines.length, 1, p.output);
      assertMatch(
        lines[0],
        /cannot write to standard output: no space left on device/,
      );
      assertNoStack(p);
    }
    // and a client of a server, with stdout full
    const srv = track(server(prefix, 1));
    await srv.waitFor(INIT);
    const c = track(redirected("> /dev/full", CLIENT, [
      "--lcores=1@1",
      ...ealArgs(prefix, BASE_VA),
      "--proc-type=secondary",
      "--",
      "-n",
      "0",
    ]));
    assertEquals((await c.exit()).code, 1, c.output);
    assertMatch(
      c.output,
      /mp_client( 0)?: cannot write to standard output: no space left on device/,
    );
    assertEquals(appLines(c, "mp_client").length, 1, c.output);
    assertNoStack(c);
    srv.kill("SIGINT");
    assertEquals((await srv.exit()).code, 0, srv.output);
    // stdout closed after the first output (`| head -1`)
    for (const [app, args, prog] of [full[0], full[2]]) {
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", ROOT + app, ...args],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const stderr = new Response(child.stderr).text();
      const w = child.stdin.getWriter();
      try {
        // read until the app itself has written (EAL runs, handlers set)
        const reader = child.stdout.getReader();
        let text = "";
        while (!/APP: |# Initialising port/.test(text)) {
          const r = await reader.read();
          if (r.done) break;
          text += new TextDecoder().decode(r.value);
        }
        await reader.cancel(); // the reader goes away, as head does
        // more output: a command (simple_mp) or the exit report (SIGINT)
        if (app === SIMPLE) {
          await w.write(new TextEncoder().encode("help\nhelp\n"));
        } else child.kill("SIGINT");
        const st = await child.status;
        const err = await stderr;
        assertEquals(st.code, 1, err);
        const lines = err.split("\n").filter((l) => l.startsWith(`${prog}:`));
        assertEquals(lines.length, 1, err);
        assertMatch(
          lines[0],
          /cannot write to standard output: it was closed \(broken pipe\)/,
        );
        assert(!/\n\s+at /.test(err), err);
      } finally {
        try {
          child.kill("SIGKILL");
        } catch {
          // ended
        }
        await child.status;
        await w.close().catch(() => {});
      }
    }
  });
});

// ------------------------------------------------------------------ input

Deno.test("item 8: 40 MB without a newline: read in one pass, bounded memory, the next command works", async () => {
  await guarded("f16_long", 120_000, async ({ prefix, track }) => {
    const p = track(denoRun(SIMPLE, ["-l", "0-1", ...ealArgs(prefix)]));
    await p.waitFor(INIT);
    const t0 = performance.now();
    const line = "a".repeat(40 * 1024 * 1024);
    await p.writeLine(line);
    await p.writeLine("stats");
    await p.waitFor(
      `Line of ${line.length} bytes ignored: longer than 4096 bytes`,
      60_000,
    );
    await p.waitFor(/MSG_POOL: 1024\/1024 available/, 60_000);
    const ms = performance.now() - t0;
    const status = await Deno.readTextFile(`/proc/${p.child.pid}/status`);
    const peakKb = Number(status.match(/VmHWM:\s+(\d+) kB/)![1]);
    await p.writeLine("quit");
    assertEquals((await p.exit()).code, 0, p.output);
    console.log(
      `  40 MB line: ${ms.toFixed(0)} ms, peak RSS ${
        (peakKb / 1024).toFixed(0)
      } MB`,
    );
    // issue 16: 13.6 s and 661 MB RSS for 40 MB
    assert(ms < 10_000, `${ms.toFixed(0)} ms`);
    assert(peakKb < 400 * 1024, `peak RSS ${peakKb} kB`);
  });
});

/** A process whose output is kept as bytes (one char per byte). */
class ByteProc {
  readonly child: Deno.ChildProcess;
  readonly name: string;
  bytes = "";
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly done: Promise<void>;

  constructor(cmd: string, args: string[], name: string) {
    this.name = name;
    this.child = new Deno.Command(cmd, {
      args,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#writer = this.child.stdin.getWriter();
    const pump = async (s: ReadableStream<Uint8Array>) => {
      for await (const c of s) this.bytes += String.fromCharCode(...c);
    };
    this.done = Promise.all([pump(this.child.stdout), pump(this.child.stderr)])
      .then(() => {});
  }

  async write(bytes: number[]): Promise<void> {
    await this.#writer.write(new Uint8Array(bytes));
  }

  async waitFor(text: string, ms = 20_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.bytes.includes(text)) {
      if (Date.now() > deadline) {
        throw new Error(
          `${this.name}: no ${JSON.stringify(text)} in ${
            JSON.stringify(this.bytes)
          }`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(): Promise<void> {
    try {
      this.child.kill("SIGKILL");
    } catch {
      // ended
    }
    await this.child.status;
    await this.#writer.close().catch(() => {});
    await this.done;
  }
}

Deno.test("item 8: send passes bytes (invalid UTF-8 too) and drops NUL as C's line editor does; the C receiver prints them", async () => {
  const prefix = uniquePrefix("f16_bytes");
  const pri = new ByteProc(Deno.execPath(), [
    "run",
    "-A",
    ROOT + SIMPLE,
    "-l",
    "0-1",
    ...ealArgs(prefix),
  ], "simple_mp");
  let sec: ByteProc | undefined;
  const watchdog = setTimeout(() => {
    pri.child.kill("SIGKILL");
    sec?.child.kill("SIGKILL");
  }, 60_000);
  try {
    await pri.waitFor(INIT);
    sec = new ByteProc("stdbuf", [
      "-oL",
      await cOriginal("simple_mp"),
      "--lcores=2@0,3@1",
      ...ealArgs(prefix),
      "--proc-type=secondary",
    ], "C simple_mp");
    await sec.waitFor(INIT);
    // "send a<NUL>b<ff><fe>é"
    const line = [..."send a"].map((c) => c.charCodeAt(0));
    await pri.write([...line, 0x00, 0x62, 0xff, 0xfe, 0xc3, 0xa9, 0x0a]);
    await sec.waitFor("core 3: Received 'ab\xff\xfe\xc3\xa9'\n");
  } finally {
    clearTimeout(watchdog);
    await pri.stop();
    await sec?.stop();
    await removePrefixFiles(prefix);
  }
});

Deno.test("item 8: arguments: empty -p, bits above 63, huge numbers, 100 KB arguments: said plainly and shortened", async () => {
  await guarded("f16_args", 180_000, async ({ prefix, track }) => {
    const huge = "1" + "0".repeat(23);
    const long = "x".repeat(100_000);
    const cases: [string, string[], RegExp][] = [
      [
        SERVER,
        ["-p", "", "-n", "1"],
        /^mp_server: no port mask given \(-p PORTMASK\)$/m,
      ],
      [
        SYMMETRIC,
        ["-p", "", "--num-procs", "1", "--proc-id", "0"],
        /^Error: no port mask given \(-p PORTMASK\)$/m,
      ],
      [
        SERVER,
        ["-p", "10000000000000003", "-n", "1"],
        /port mask '10000000000000003' names port 64, above the maximum \d+/,
      ],
      [SYMMETRIC, [
        "-p",
        "10000000000000003",
        "--num-procs",
        "1",
        "--proc-id",
        "0",
      ], /names port 64, above the maximum/],
      [
        SERVER,
        ["-p", "3", "-n", huge],
        new RegExp(`invalid number of clients '${huge}': expected 1\\.\\.16`),
      ],
      [
        SYMMETRIC,
        ["-p", "3", "--num-procs", huge, "--proc-id", "0"],
        new RegExp(`--num-procs ${huge} is too large`),
      ],
      [SERVER, ["-p", "3", "-n", "1", long], /unknown option 'x{40}\.\.\.'/],
      [
        SYMMETRIC,
        ["-p", "3", "--num-procs", "1", "--proc-id", "0", long],
        /Cannot parse all command-line arguments: x{80}\.\.\./,
      ],
      [SIMPLE, [long], /takes no application arguments \(got: x{60}\.\.\.\)/],
    ];
    for (const [app, args, expect] of cases) {
      const lcores = app === SIMPLE ? ["-l", "0-1"] : ["-l", "0"];
      const p = track(
        denoRun(app, [...lcores, ...ealArgs(prefix), ...NULL2, "--", ...args]),
      );
      assertEquals((await p.exit()).code, 1, p.output);
      assertMatch(p.output, expect);
      assert(!/e\+\d/.test(p.output), `a number echoed as 1e+23:\n${p.output}`);
      assert(p.output.length < 3000, `${p.output.length} characters of output`);
      assertNoStack(p);
    }
    // mp_client: a huge client ID, shortened, never 1e+23
    const srv = track(server(prefix, 1));
    await srv.waitFor(INIT);
    const c = track(denoRun(CLIENT, [
      "--lcores=1@1",
      ...ealArgs(prefix, BASE_VA),
      "--proc-type=secondary",
      "--",
      "-n",
      huge + long,
    ]));
    assertEquals((await c.exit()).code, 1, c.output);
    assertMatch(
      c.output,
      new RegExp(
        `invalid client ID '${huge}x{16}\\.\\.\\.': expected 0\\.\\.15`,
      ),
    );
    srv.kill("SIGINT");
    await srv.exit();
  });
});
