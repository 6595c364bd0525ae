/**
 * proc_info (apps/proc_info.ts) attached to running groups: the C
 * simple_mp and symmetric_mp originals and our mp_server with clients.
 * DPDK's telemetry socket (served by the primary) is the oracle for
 * mempools, memzones, port details and counters; the C sources' constants
 * for ring sizes. Also: no primary, bad options, and the lcore ID a
 * watcher takes.
 */
import {
  assert,
  assertEquals,
  assertGreater,
  assertLessOrEqual,
  assertMatch,
  assertRejects,
} from "@std/assert";
import {
  type MempoolInfo,
  type MemzoneInfo,
  pickFreeLcore,
  type PortDetails,
  type PortStats,
  type RingInfo,
  RTE,
  runtimeRoot,
  usedLcores,
  type Xstat,
} from "../mod.ts";
import { cOriginal } from "../support/c_build.ts";
import {
  denoRun,
  ealArgs,
  possibleCpuCount,
  Proc,
  ROOT,
  uniquePrefix,
  withGroup,
} from "../support/proc.ts";
import { portStats, telemetry } from "../support/telemetry.ts";

const APP = `${ROOT}apps/proc_info.ts`;
const INIT = "APP: Finished Process Init.";
const NULL2 = ["--vdev=net_null0", "--vdev=net_null1"];
type Track = (p: Proc) => Proc;

interface Report {
  prefix: string;
  lcore: number;
  dpdk: string;
  rings?: RingInfo[];
  mempools?: MempoolInfo[];
  memzones?: MemzoneInfo[];
  ports?: {
    port: number;
    name: string;
    stats?: PortStats;
    xstats?: Xstat[];
    details?: PortDetails;
  }[];
}

/** Runs proc_info once; stdout and stderr apart. */
async function procInfo(
  eal: string[],
  opts: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", APP, ...eal, "--", ...opts],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

/** proc_info `--json` with `opts`; its report, parsed. */
async function report(prefix: string, opts: string[]): Promise<Report> {
  const r = await procInfo(ealArgs(prefix), [...opts, "--json"]);
  assertEquals(r.code, 0, r.stderr);
  try {
    return JSON.parse(r.stdout);
  } catch (e) {
    throw new Error(
      `proc_info ${opts.join(" ")}: exit 0 but ${r.stdout.length} bytes of ` +
        `stdout are not JSON (${(e as Error).message}):\n` +
        `stdout: ${r.stdout.slice(0, 2000)}\nstderr: ${r.stderr}`,
    );
  }
}

/** A C original, stdout line-buffered, stdin held open. */
async function startC(
  track: Track,
  app: "simple_mp" | "symmetric_mp" | "mp_server",
  args: string[],
): Promise<Proc> {
  const p = track(
    new Proc("stdbuf", ["-oL", await cOriginal(app), ...args], {
      name: `C ${app}`,
    }),
  );
  await p.waitFor(INIT);
  return p;
}

/** Telemetry's reply value for one command. */
async function tele(prefix: string, cmd: string): Promise<unknown> {
  const [r] = await telemetry(prefix, [cmd]);
  return Object.values(r)[0];
}

Deno.test("C simple_mp: rings, message pool and memzones with their sizes", async () => {
  await withGroup("pi_smp", async ({ prefix, track }) => {
    await startC(track, "simple_mp", [
      "-l",
      "0-1",
      ...ealArgs(prefix),
      "--proc-type=primary",
    ]);
    const r = await report(prefix, [
      "--show-ring",
      "--show-mempool",
      "--show-memzone",
    ]);
    // simple_mp/main.c: ring_size = 64, flags 0 (so 63 usable slots)
    for (const name of ["PRI_2_SEC", "SEC_2_PRI"]) {
      const ring = r.rings!.find((x) => x.name === name)!;
      assert(ring, `ring ${name} listed`);
      assertEquals(
        [ring.size, ring.capacity, ring.count, ring.free, ring.flags],
        [64, 63, 0, 63, 0],
      );
      assertEquals(ring.memzone, `RG_${name}`);
    }
    // MSG_POOL as telemetry (the primary's own view) reports it
    const pool = r.mempools!.find((p) => p.name === "MSG_POOL")!;
    const t = await tele(prefix, "/mempool/info,MSG_POOL") as Record<
      string,
      number
    >;
    assertEquals(
      [pool.size, pool.cacheSize, pool.eltSize, pool.headerSize],
      [t.size, t.cache_size, t.elt_size, t.header_size],
    );
    assertEquals(
      [pool.populated, pool.flags, pool.privateDataSize],
      [t.populated_size, t.flags, t.private_data_size],
    );
    assertEquals([pool.size, pool.cacheSize], [1024, 32]); // main.c
    assertEquals([pool.avail, pool.inUse], [1024, 0]); // idle
    assertEquals(pool.mbuf, null);
    // every memzone, with telemetry's names, lengths and addresses
    const ids = await tele(prefix, "/eal/memzone_list") as number[];
    const theirs = new Map<string, [number, string]>();
    for (const id of ids) {
      const z = await tele(prefix, `/eal/memzone_info,${id}`) as Record<
        string,
        string | number
      >;
      theirs.set(z.Name as string, [z.Length as number, z.Address as string]);
    }
    assertEquals(
      new Map(r.memzones!.map((z) => [z.name, [z.len, z.addr]])),
      theirs,
    );
    // the text form lists the same
    const text = await procInfo(ealArgs(prefix), ["--show-ring"]);
    assertEquals(text.code, 0, text.stderr);
    assertMatch(text.stdout, /^PRI_2_SEC\s+64\s+63\s+0\s+63\s+-$/m);
    // EAL refuses an argument: one line on stderr, nothing on stdout
    const cpu = possibleCpuCount();
    const bad = await procInfo(
      [`--lcores=5@${cpu}`, ...ealArgs(prefix)],
      ["--stats", "--json"],
    );
    assertEquals([bad.code, bad.stdout], [1, ""]);
    assertMatch(
      bad.stderr.trim().split("\n").at(-1)!,
      new RegExp(
        `^proc_info: cannot attach to the DPDK group "${prefix}": ` +
          `core ${cpu} unavailable; invalid parameter for --lcores$`,
      ),
    );
    // no process of those left a socket behind: only the primary's
    const files = [...Deno.readDirSync(`${runtimeRoot()}/${prefix}`)]
      .map((e) => e.name).filter((n) => n.startsWith("mp_socket"));
    assertEquals(files, ["mp_socket"]);
  });
});

Deno.test("C symmetric_mp: port counters within telemetry's, details, SMP_MBUF_POOL; forwarding unchanged while watched", async () => {
  await withGroup("pi_sym", async ({ prefix, track }) => {
    await startC(track, "symmetric_mp", [
      "--lcores=0@0",
      ...ealArgs(prefix),
      ...NULL2,
      "--",
      "-p",
      "3",
      "--num-procs=1",
      "--proc-id=0",
    ]);
    const ports = [0, 1];
    const before = await portStats(prefix, ports);
    const beforeX = await Promise.all(
      ports.map((p) => tele(prefix, `/ethdev/xstats,${p}`)),
    ) as Record<string, number>[];
    const r = await report(prefix, [
      "--stats",
      "--xstats",
      "--show-port",
      "--show-mempool=SMP_MBUF_POOL",
    ]);
    const after = await portStats(prefix, ports);
    const afterX = await Promise.all(
      ports.map((p) => tele(prefix, `/ethdev/xstats,${p}`)),
    ) as Record<string, number>[];
    assertEquals(r.ports!.map((p) => p.port), ports);
    for (const p of ports) {
      const { stats, xstats, details } = r.ports![p];
      const within = (what: string, v: number, lo: number, hi: number) =>
        assert(lo <= v && v <= hi, `port ${p} ${what}: ${lo} <= ${v} <= ${hi}`);
      within(
        "ipackets",
        stats!.ipackets,
        before[p].ipackets,
        after[p].ipackets,
      );
      within(
        "opackets",
        stats!.opackets,
        before[p].opackets,
        after[p].opackets,
      );
      within(
        "q0 ipackets",
        stats!.qIpackets[0],
        before[p].q_ipackets[0],
        after[p].q_ipackets[0],
      );
      assertGreater(stats!.ipackets, 0); // it forwards
      // xstats: telemetry's names in telemetry's order, values between
      assertEquals(xstats!.map((x) => x.name), Object.keys(afterX[p]));
      for (const x of xstats!) {
        within(x.name, x.value, beforeX[p][x.name], afterX[p][x.name]);
      }
      // details against /ethdev/info
      const info = await tele(prefix, `/ethdev/info,${p}`) as Record<
        string,
        number | string
      >;
      assertEquals(
        [details!.name, details!.rxQueues, details!.txQueues, details!.mtu],
        [info.name, info.nb_rx_queues, info.nb_tx_queues, info.mtu],
      );
      assertEquals(details!.mac?.toUpperCase(), info.mac_addr);
      assertEquals(details!.promiscuous, info.promiscuous);
      assertEquals(details!.driver, "net_null");
      assertEquals(BigInt(details!.config!.rssHf), BigInt(info.ethdev_rss_hf));
    }
    const pool = r.mempools!;
    assertEquals(pool.map((x) => x.name), ["SMP_MBUF_POOL"]);
    const t = await tele(prefix, "/mempool/info,SMP_MBUF_POOL") as Record<
      string,
      number
    >;
    assertEquals(
      [pool[0].size, pool[0].cacheSize, pool[0].eltSize],
      [t.size, t.cache_size, t.elt_size],
    );
    assertEquals(pool[0].mbuf?.dataRoom, RTE.RTE_MBUF_DEFAULT_BUF_SIZE);
    assertEquals(pool[0].inUse + pool[0].avail, pool[0].size);
    // only the primary's lcore 0 holds cached mbufs
    assertEquals(pool[0].caches.map((c) => c.lcore), [0]);

    // forwarding rate (telemetry) before and while a watcher runs
    const rate = async () => {
      const a = await portStats(prefix, [0]);
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, 500));
      const b = await portStats(prefix, [0]);
      return (b[0].opackets - a[0].opackets) /
        ((performance.now() - t0) / 1000);
    };
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[1];
    const w = track(
      new Proc(Deno.execPath(), [
        "run",
        "-A",
        APP,
        ...ealArgs(prefix),
        "--",
        "--watch",
        "0.2",
        "--json",
      ], { name: "proc_info --watch" }),
    );
    await w.waitFor(/"rates":/);
    // windows side by side, the watcher stopped (SIGSTOP) then running,
    // so that the machine's other load weighs on both alike
    const ratios: number[] = [];
    for (let i = 0; i < 3; i++) {
      w.kill("SIGSTOP");
      const quiet = await rate();
      w.kill("SIGCONT");
      const watched = await rate();
      ratios.push(watched / quiet);
    }
    w.kill("SIGINT");
    assertEquals((await w.exit()).code, 0, w.output);
    const lines = w.output.split("\n").filter((l) => l.startsWith("{"));
    const rates = lines.map((l) => JSON.parse(l)).filter((d) => d.rates);
    assertGreater(rates.length, 0);
    assertGreater(rates.at(-1).rates[0].txPps, 0);
    console.log(
      `forwarding while watched / alone: ${
        ratios.map((r) => r.toFixed(2)).join(", ")
      }`,
    );
    // within noise on a shared machine: not stopped, not halved
    assertGreater(median(ratios), 0.5);
  });
});

Deno.test("our mp_server with two clients: client rings and pool counts", async () => {
  await withGroup("pi_cs", async ({ prefix, track }) => {
    const srv = track(
      denoRun("apps/mp_server.ts", [
        "--lcores=0@0",
        ...ealArgs(prefix),
        ...NULL2,
        "--",
        "-p",
        "3",
        "-n",
        "2",
      ]),
    );
    await srv.waitFor(INIT);
    for (const id of [0, 1]) {
      const c = track(
        denoRun("apps/mp_client.ts", [
          `--lcores=${id + 1}@1`,
          ...ealArgs(prefix),
          "--proc-type=secondary",
          "--",
          "-n",
          String(id),
        ]),
      );
      await c.waitFor(`Client process ${id} handling packets`);
    }
    const r = await report(prefix, ["--show-ring", "--show-mempool"]);
    // the C original's CLIENT_QUEUE_RINGSIZE (mp_server/init.c), kept
    for (const id of [0, 1]) {
      const ring = r.rings!.find((x) => x.name === `MProc_Client_${id}_RX`)!;
      assert(ring, `client ${id}'s ring listed`);
      assertEquals([ring.size, ring.capacity], [128, 127]);
      assertEquals(ring.count + ring.free, ring.capacity);
    }
    const pool = r.mempools!.find((p) => p.name === "MProc_pktmbuf_pool")!;
    const t = await tele(prefix, "/mempool/info,MProc_pktmbuf_pool") as Record<
      string,
      number
    >;
    assertEquals(
      [pool.size, pool.cacheSize, pool.eltSize],
      [t.size, t.cache_size, t.elt_size],
    );
    assertEquals(pool.inUse + pool.avail, pool.size);
    assertEquals(
      pool.cacheCount,
      pool.caches.reduce((s, c) => s + c.count, 0),
    );
    assertLessOrEqual(pool.cacheCount, pool.avail);
    // cached mbufs sit only in the caches of the group's lcores (0, 1, 2)
    for (const c of pool.caches) {
      assert([0, 1, 2].includes(c.lcore), `${c.lcore}`);
    }
    assertEquals(pool.mbuf?.dataRoom, RTE.RTE_MBUF_DEFAULT_BUF_SIZE);
  });
});

Deno.test("no primary: one line, exit 1, nothing left; bad options: usage, exit 2", async () => {
  const prefix = uniquePrefix("pi_none");
  const r = await procInfo(ealArgs(prefix), ["--stats"]);
  assertEquals(r.code, 1);
  assertEquals(r.stdout, "");
  assertEquals(
    r.stderr.trim().split("\n"),
    [
      `proc_info: no DPDK primary process runs under --file-prefix=${prefix} ` +
      `(no ${runtimeRoot()}/${prefix}/config): start the primary first, ` +
      `with the same --file-prefix`,
    ],
  );
  await assertRejects(() => Deno.stat(`${runtimeRoot()}/${prefix}`));
  for (const bad of [["--bogus"], ["--watch", "0"], ["-p", "xyz"]]) {
    const u = await procInfo(ealArgs(prefix), bad);
    assertEquals(u.code, 2, bad.join(" "));
    assertMatch(u.stderr, /^proc_info: .*\nusage: proc_info/);
  }
});

Deno.test("the watcher never takes an lcore ID the group uses", async () => {
  await withGroup("pi_lcores", async ({ prefix, track }) => {
    // C primary on 0-1, our secondary on 2-3 (claims them), a C secondary
    // on 4 (claims nothing)
    await startC(track, "simple_mp", [
      "-l",
      "0-1",
      ...ealArgs(prefix),
      "--proc-type=primary",
    ]);
    const ours = track(
      denoRun("apps/simple_mp.ts", [
        "--lcores=2@0,3@1",
        ...ealArgs(prefix),
        "--proc-type=secondary",
      ]),
    );
    await ours.waitFor(INIT);
    await startC(track, "simple_mp", [
      "--lcores=4@1",
      ...ealArgs(prefix),
      "--proc-type=secondary",
    ]);
    const used = await usedLcores(prefix);
    assertEquals(used.lcores, [0, 1, 2, 3, 4]);
    assertEquals(
      used.processes.map((p) => [p.role, p.source]).sort(),
      [["primary", "telemetry"], ["secondary", "cmdline"], [
        "secondary",
        "cmdline",
      ]],
    );
    assertEquals(await pickFreeLcore(prefix, { prefer: "lowest" }), 5);
    // watcher A holds its picked ID (claimed) while it watches
    const a = track(
      new Proc(Deno.execPath(), [
        "run",
        "-A",
        APP,
        ...ealArgs(prefix),
        "--",
        "--watch",
        "5",
        "--show-ring",
        "--json",
      ], { name: "watcher A" }),
    );
    const aLcore = Number((await a.waitFor(/"lcore":(\d+)/))[1]);
    assertEquals(aLcore, RTE.RTE_MAX_LCORE - 1); // the highest free ID
    // B cannot see A's ID on A's command line: the claim table refuses it
    // and B starts anew avoiding it
    const b = await report(prefix, ["--show-ring"]);
    assert(!used.lcores.includes(b.lcore), `B took ${b.lcore}`);
    assertEquals(b.lcore, aLcore - 1);
    // an ID given explicitly that a process of ours holds: refused
    const clash = await procInfo(
      ["--lcores=2@0", ...ealArgs(prefix)],
      ["--stats"],
    );
    assertEquals(clash.code, 1);
    assertMatch(clash.stderr, /lcore ID 2 is used by process \d+/);
    a.kill("SIGINT");
    assertEquals((await a.exit()).code, 0, a.output);
  });
});
