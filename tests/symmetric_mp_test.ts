/**
 * symmetric_mp (apps/symmetric_mp.ts): real processes on virtual ports.
 *
 * Port counters are read by an "inspector": a small DPDK secondary
 * (`deno eval`) that prints `rte_eth_stats` of every port on request. It
 * can attach after the forwarding processes, and even after the primary
 * died, so the final counts can be compared with what each process
 * printed at exit.
 *
 * Run: deno test -A tests/symmetric_mp_test.ts
 *
 * @module
 */

import { DEFAULT_BASE_VIRTADDR } from "../mod.ts";
import { assert, assertEquals, assertMatch } from "@std/assert";
import { cOriginal } from "../support/c_build.ts";
import { ealArgs, Proc, ROOT, withGroup } from "../support/proc.ts";
import { readPcap, writePcap } from "../support/pcap.ts";

const APP = `${ROOT}apps/symmetric_mp.ts`;
const NULL2 = ["--vdev=net_null0", "--vdev=net_null1"];

interface Start {
  prefix: string;
  lcore: string;
  vdevs: string[];
  app: string[];
  eal?: string[];
  cwd?: string;
  name?: string;
}

/** Our symmetric_mp, or the C original when `cBin` is given. */
function smp(s: Start, cBin?: string): Proc {
  const args = [
    `--lcores=${s.lcore}`,
    ...ealArgs(s.prefix),
    ...s.vdevs,
    ...(s.eal ?? []),
    "--",
    ...s.app,
  ];
  return cBin
    ? new Proc(cBin, args, { name: s.name ?? "C symmetric_mp", cwd: s.cwd })
    : new Proc(Deno.execPath(), ["run", "-A", APP, ...args], {
      name: s.name ?? "symmetric_mp",
      cwd: s.cwd,
    });
}

const app = (n: number | undefined, id: number, mask = "3") => [
  "-p",
  mask,
  ...(n === undefined ? [] : ["--num-procs", String(n)]),
  "--proc-id",
  String(id),
];

/** Counts a process printed at exit, by port. */
type ExitStats = Map<number, { rx: number; tx: number; drop: number }>;

async function stopAndRead(
  p: Proc,
  signal: "SIGINT" | "SIGTERM" = "SIGINT",
): Promise<ExitStats> {
  p.kill(signal);
  const status = await p.exit();
  assertEquals(status.code, 0, `${p.name} exit status; output:\n${p.output}`);
  const at = p.output.indexOf(
    `Exiting on signal ${signal === "SIGINT" ? 2 : 15}`,
  );
  assert(at >= 0, `${p.name} printed no exit stats:\n${p.output}`);
  const tail = p.output.slice(at);
  const out: ExitStats = new Map();
  for (
    const m of tail.matchAll(
      /Port (\d+): RX - (\d+), TX - (\d+), Drop - (\d+)/g,
    )
  ) {
    out.set(Number(m[1]), {
      rx: Number(m[2]),
      tx: Number(m[3]),
      drop: Number(m[4]),
    });
  }
  return out;
}

/** Port counters as the inspector prints them (from Port.stats). */
interface Stats {
  ipackets: number;
  opackets: number;
  qIpackets: number[];
  qOpackets: number[];
}

const INSPECTOR = `
import { initEal, Port } from "${ROOT}mod.ts";
// it may join a group whose primary died (the restart test): EAL decides
initEal(Deno.args, {
  progName: "inspector",
  attach: { requirePrimary: false },
});
const ports = Port.ids().map((p) => new Port(p));
console.log("inspector ready: " + ports.length + " ports");
let buf = "";
for await (const chunk of Deno.stdin.readable) {
  buf += new TextDecoder().decode(chunk);
  let i;
  while ((i = buf.indexOf("\\n")) >= 0) {
    const n = Number(buf.slice(0, i));
    buf = buf.slice(i + 1);
    console.log("stats " + n + " " + JSON.stringify(ports.map((p) => p.stats(4))));
  }
}
`;

/** A secondary that reads port counters (see the module docs). */
class Inspector {
  readonly proc: Proc;
  #n = 0;
  constructor(prefix: string, lcore: string, vdevs: string[], cwd?: string) {
    this.proc = new Proc(Deno.execPath(), [
      "eval",
      INSPECTOR,
      "--",
      `--lcores=${lcore}`,
      ...ealArgs(prefix),
      ...vdevs,
      "--proc-type=secondary",
    ], { name: "inspector", cwd });
  }
  async ready(): Promise<void> {
    await this.proc.waitFor(/inspector ready: \d+ ports/);
  }
  async stats(): Promise<Stats[]> {
    const n = ++this.#n;
    const from = this.proc.output.length;
    await this.proc.writeLine(String(n));
    const m = await this.proc.waitFor(
      new RegExp(`stats ${n} (.*)\\n`),
      10_000,
      from,
    );
    return JSON.parse(m[1]);
  }
  /** Polls until `cond` holds on the counters (or times out). */
  async until(
    cond: (s: Stats[]) => boolean,
    what: string,
    timeoutMs = 15_000,
  ): Promise<Stats[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.stats();
      if (cond(s)) return s;
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}: ${JSON.stringify(s)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/**
 * A process that alone used queue `q` of ports 0 and 1: its counts equal
 * DPDK's counters of that queue, and what came in on one port went out
 * on the other (or was counted as dropped there).
 */
function assertOwnQueue(
  name: string,
  s: ExitStats,
  ports: Stats[],
  q: number,
): void {
  for (const p of [0, 1]) {
    assertEquals(s.get(p)!.rx, ports[p].qIpackets[q], `${name}: port ${p} RX`);
    assertEquals(s.get(p)!.tx, ports[p].qOpackets[q], `${name}: port ${p} TX`);
    assert(s.get(p)!.rx > 0, `${name}: port ${p} received nothing`);
  }
  for (const [a, b] of [[0, 1], [1, 0]]) {
    assertEquals(
      ports[a].qIpackets[q],
      ports[b].qOpackets[q] + s.get(b)!.drop,
      `${name}: port ${a} queue ${q} RX = port ${b} queue ${q} TX + Drop`,
    );
  }
}

Deno.test("two processes forward on their own queues; counts add up", async () => {
  await withGroup("smp_two", async ({ prefix, track }) => {
    const p0 = track(
      smp({ prefix, lcore: "0@0", vdevs: NULL2, app: app(2, 0) }),
    );
    await p0.waitFor("Finished Process Init");
    const p1 = track(smp({
      prefix,
      lcore: "1@1",
      vdevs: NULL2,
      app: app(2, 1),
      eal: ["--proc-type=auto"],
    }));
    await p1.waitFor("Finished Process Init");
    await p0.waitFor(
      /Lcore 0 using ports 0 1 \nlcore 0 using queue 0 of each port/,
    );
    await p1.waitFor(
      /Lcore 1 using ports 0 1 \nlcore 1 using queue 1 of each port/,
    );
    const insp = new Inspector(prefix, "5@0", NULL2);
    track(insp.proc);
    await insp.ready();
    // both queues of both ports move
    await insp.until(
      (s) => s.every((p) => p.qIpackets[0] > 0 && p.qIpackets[1] > 0),
      "traffic on queues 0 and 1",
    );

    const s1 = await stopAndRead(p1);
    const s0 = await stopAndRead(p0);
    const ports = await insp.stats();
    assertOwnQueue("proc 0", s0, ports, 0);
    assertOwnQueue("proc 1", s1, ports, 1);
    for (const p of [0, 1]) {
      assertEquals(ports[p].ipackets, s0.get(p)!.rx + s1.get(p)!.rx);
      assertEquals(ports[p].opackets, s0.get(p)!.tx + s1.get(p)!.tx);
      assertEquals(ports[p].qIpackets.slice(2), [0, 0], "only 2 queues");
    }
  });
});

Deno.test("port pairs are spread over the lcores as in C", async () => {
  await withGroup("smp_lcores", async ({ prefix, track }) => {
    const four = [...NULL2, "--vdev=net_null2", "--vdev=net_null3"];
    const p = track(smp({
      prefix,
      lcore: "0@0,1@1,2@1",
      vdevs: four,
      app: app(1, 0, "f"),
    }));
    // lines of the two lcores may interleave: match each on its own
    await p.waitFor(/^Lcore 0 using ports 0 1 $/m);
    await p.waitFor(/^lcore 0 using queue 0 of each port$/m);
    await p.waitFor(/^Lcore 1 using ports 2 3 $/m);
    await p.waitFor(/^lcore 1 using queue 0 of each port$/m);
    await p.waitFor(/Lcore 2 has nothing to do/);
    const insp = new Inspector(prefix, "5@0", four);
    track(insp.proc);
    await insp.ready();
    await insp.until(
      (s) => s.every((q) => q.ipackets > 0),
      "traffic on 4 ports",
    );
    const s = await stopAndRead(p);
    const ports = await insp.stats();
    for (const q of [0, 1, 2, 3]) {
      assertEquals(s.get(q)!.rx, ports[q].ipackets, `port ${q} RX`);
      assertEquals(s.get(q)!.tx, ports[q].opackets, `port ${q} TX`);
    }
    for (const [a, b] of [[0, 1], [1, 0], [2, 3], [3, 2]]) {
      assertEquals(
        ports[a].ipackets,
        ports[b].opackets + s.get(b)!.drop,
        `port ${a} RX = port ${b} TX + Drop`,
      );
    }
  });
});

// ------------------------------------------------------------ exact frames

/** `count` distinct Ethernet frames, tagged `tag`, of varied lengths. */
function makeFrames(tag: number, count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => {
    const f = new Uint8Array(60 + 37 * i);
    f.set([2, 0, 0, 0, tag, i, 2, 0, 0, 0, tag, 0x80, 0x88, 0xb5]);
    for (let k = 14; k < f.length; k++) f[k] = (tag * 31 + i * 7 + k) & 0xff;
    return f;
  });
}

/** Waits until `file` holds `count` frames (polling its size). */
async function waitFrames(file: string, count: number): Promise<Uint8Array[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const frames = readPcap(
      await Deno.readFile(file).catch(() => new Uint8Array()),
    );
    if (frames.length >= count) return frames;
    if (Date.now() > deadline) {
      throw new Error(`${file}: ${frames.length} of ${count} frames`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

Deno.test("exact frames through net_pcap ports, both directions", async () => {
  const dir = await Deno.makeTempDir({ prefix: "smp_pcap" });
  try {
    await withGroup("smp_pcap1", async ({ prefix, track }) => {
      const a = makeFrames(1, 5), b = makeFrames(2, 3);
      await Deno.writeFile(`${dir}/a`, writePcap(a));
      await Deno.writeFile(`${dir}/b`, writePcap(b));
      // short relative paths (see the net_pcap notes): run in `dir`
      const vdevs = [
        "--vdev=net_pcap0,rx_pcap=a,tx_pcap=x",
        "--vdev=net_pcap1,rx_pcap=b,tx_pcap=y",
      ];
      const p = track(
        smp({ prefix, lcore: "0@0", vdevs, app: app(1, 0), cwd: dir }),
      );
      await p.waitFor("Finished Process Init");
      assertEquals(
        await waitFrames(`${dir}/y`, a.length),
        a,
        "port 0 in, port 1 out",
      );
      assertEquals(
        await waitFrames(`${dir}/x`, b.length),
        b,
        "port 1 in, port 0 out",
      );
      const s = await stopAndRead(p, "SIGTERM");
      assertEquals(s.get(0), { rx: 5, tx: 3, drop: 0 });
      assertEquals(s.get(1), { rx: 3, tx: 5, drop: 0 });
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("exact frames through a secondary's queue of net_pcap ports", async () => {
  // Every process opens (and truncates) every tx_pcap file when it
  // attaches, so the frames go through the last process: the secondary,
  // on queue 1. Queue 0's files stay empty: nothing crosses queues.
  const dir = await Deno.makeTempDir({ prefix: "smp_pcap" });
  try {
    await withGroup("smp_pcap2", async ({ prefix, track }) => {
      const a = makeFrames(3, 4), b = makeFrames(4, 6);
      await Deno.writeFile(`${dir}/e`, writePcap([]));
      await Deno.writeFile(`${dir}/a`, writePcap(a));
      await Deno.writeFile(`${dir}/b`, writePcap(b));
      const vdevs = [
        "--vdev=net_pcap0,rx_pcap=e,rx_pcap=a,tx_pcap=x0,tx_pcap=x1",
        "--vdev=net_pcap1,rx_pcap=e,rx_pcap=b,tx_pcap=y0,tx_pcap=y1",
      ];
      const p0 = track(
        smp({ prefix, lcore: "0@0", vdevs, app: app(2, 0), cwd: dir }),
      );
      await p0.waitFor("Finished Process Init");
      const p1 = track(smp({
        prefix,
        lcore: "1@1",
        vdevs,
        app: app(2, 1),
        eal: ["--proc-type=secondary"],
        cwd: dir,
      }));
      await p1.waitFor("Finished Process Init");
      assertEquals(
        await waitFrames(`${dir}/y1`, a.length),
        a,
        "port 0 q1 -> port 1 q1",
      );
      assertEquals(
        await waitFrames(`${dir}/x1`, b.length),
        b,
        "port 1 q1 -> port 0 q1",
      );
      const s1 = await stopAndRead(p1);
      const s0 = await stopAndRead(p0);
      assertEquals(s1.get(0), { rx: 4, tx: 6, drop: 0 });
      assertEquals(s1.get(1), { rx: 6, tx: 4, drop: 0 });
      assertEquals(s0.get(0), { rx: 0, tx: 0, drop: 0 });
      assertEquals(s0.get(1), { rx: 0, tx: 0, drop: 0 });
      assertEquals(readPcap(await Deno.readFile(`${dir}/x0`)), []);
      assertEquals(readPcap(await Deno.readFile(`${dir}/y0`)), []);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// --------------------------------------------------------------- refusals

/** Runs a process that must be refused; returns its output. */
async function refused(p: Proc, why: RegExp): Promise<void> {
  const status = await p.exit();
  assertEquals(
    status.code,
    1,
    `${p.name} should be refused; output:\n${p.output}`,
  );
  assertMatch(p.output, why);
  assert(!p.output.includes("Finished Process Init"), p.output);
}

Deno.test("refusals: bad arguments, and what differs from the group", async () => {
  await withGroup("smp_refuse", async ({ prefix, track }) => {
    const four = [...NULL2, "--vdev=net_null2", "--vdev=net_null3"];
    const primary = track(
      smp({ prefix, lcore: "0@0", vdevs: four, app: app(2, 0) }),
    );
    await primary.waitFor("Finished Process Init");
    const pid = primary.child.pid;
    let lcore = 10;
    const sec = (appArgs: string[], lc = `${lcore++}@1`) =>
      track(smp({
        prefix,
        lcore: lc,
        vdevs: four,
        app: appArgs,
        eal: ["--proc-type=secondary"],
      }));
    const cases: [Proc, RegExp][] = [
      // against the group's record
      [sec(app(3, 1)), /--num-procs 3 differs from the group's 2/],
      [sec(app(2, 1, "f")), /port mask 0xf differs from the group's 0x3/],
      [
        sec(app(undefined, 2)),
        /--proc-id 2 is out of range: the group's --num-procs is 2/,
      ],
      [
        sec(app(2, 0)),
        new RegExp(`proc-id 0 is already running \\(pid ${pid}\\)`),
      ],
      // claimed by initEal for every process: one line, then exit 1
      [
        sec(app(2, 1), "0@1"),
        new RegExp(
          `^symmetric_mp: lcore ID 0 is used by process ${pid} of this ` +
            "group \\(symmetric_mp\\.ts\\): give every process of a group " +
            "its own lcore IDs",
          "m",
        ),
      ],
      // arguments
      [sec(app(2, 0, "1")), /an even number of ports is needed .* got 1/],
      [
        sec(app(2, 1, "0x30")),
        /port\(s\) 4, 5 that do not exist \(4 port\(s\) available/,
      ],
      [sec(app(2, 1, "xyz")), /invalid port mask 'xyz'/],
      [sec(app(2, 1, "0")), /port mask is 0/],
      [sec(["--num-procs", "2", "--proc-id", "1"]), /no port mask given/],
      [
        sec(["-p", "3", "--num-procs", "2"]),
        /Invalid or missing proc-id parameter/,
      ],
      [
        sec(["-p", "3", "--proc-id", "x"]),
        /Invalid or missing proc-id parameter/,
      ],
      [
        sec([...app(2, 1), "--bogus"]),
        /Cannot parse all command-line arguments: --bogus/,
      ],
    ];
    await Promise.all(cases.map(([p, why]) => refused(p, why)));
    // the group still works: a correct secondary joins, and forwards
    const ok = track(sec(app(2, 1)));
    await ok.waitFor("Finished Process Init");
    const insp = new Inspector(prefix, "5@0", four);
    track(insp.proc);
    await insp.ready();
    await insp.until(
      (s) => s[0].qIpackets[1] > 0 && s[1].qIpackets[1] > 0,
      "traffic on the secondary's queue",
    );
    const sOk = await stopAndRead(ok);
    const sPrimary = await stopAndRead(primary);
    const ports = await insp.stats();
    assertOwnQueue("secondary", sOk, ports, 1);
    assertOwnQueue("primary", sPrimary, ports, 0);
  });
  // a primary checks its own arguments
  await withGroup("smp_refuse_p", async ({ prefix, track }) => {
    await refused(
      track(smp({ prefix, lcore: "0@0", vdevs: NULL2, app: app(2, 2) })),
      /--proc-id 2 is out of range: --num-procs is 2/,
    );
    await refused(
      track(
        smp({ prefix, lcore: "0@0", vdevs: NULL2, app: app(undefined, 0) }),
      ),
      /Invalid or missing num-procs parameter/,
    );
  });
});

Deno.test({
  name: "the primary dies and is restarted as a secondary",
}, async () => {
  await withGroup("smp_restart", async ({ prefix, track }) => {
    const p0 = track(
      smp({ prefix, lcore: "0@0", vdevs: NULL2, app: app(2, 0) }),
    );
    await p0.waitFor("Finished Process Init");
    const p1 = track(smp({
      prefix,
      lcore: "1@1",
      vdevs: NULL2,
      app: app(2, 1),
      eal: ["--proc-type=secondary"],
    }));
    await p1.waitFor("Finished Process Init");
    p0.kill("SIGKILL");
    await p0.exit();
    await p1.waitFor("the primary process has exited");
    // proc-id 0's slot is stale (its process is gone): it may start again
    const again = track(smp({
      prefix,
      lcore: "2@0",
      vdevs: NULL2, // with no primary, a secondary finds the vdevs itself
      app: app(2, 0),
      eal: ["--proc-type=secondary"],
    }));
    await again.waitFor("Finished Process Init");
    // ... and is now taken by the restarted process
    const dup = track(smp({
      prefix,
      lcore: "3@1",
      vdevs: NULL2,
      app: app(2, 0),
      eal: ["--proc-type=secondary"],
    }));
    await refused(
      dup,
      new RegExp(`proc-id 0 is already running \\(pid ${again.child.pid}\\)`),
    );

    const insp = new Inspector(prefix, "5@1", NULL2);
    track(insp.proc);
    await insp.ready();
    const before = await insp.stats();
    await insp.until(
      (s) =>
        [0, 1].every((p) =>
          [0, 1].every((q) => s[p].qIpackets[q] > before[p].qIpackets[q])
        ),
      "both queues moving after the restart",
    );
    const s1 = await stopAndRead(p1);
    const s0 = await stopAndRead(again);
    const ports = await insp.stats();
    assertOwnQueue("proc 1 (never restarted)", s1, ports, 1);
    // queue 0 counts the killed process's packets too
    for (const p of [0, 1]) {
      const rx = s0.get(p)!.rx;
      assert(rx > 0 && rx < ports[p].qIpackets[0], `proc 0 port ${p} RX ${rx}`);
    }
  });
});

// ---------------------------------------------------------------- interop

Deno.test("interop: a C secondary joins our primary", async () => {
  const cBin = await cOriginal("symmetric_mp");
  await withGroup("smp_c_sec", async ({ prefix, track }) => {
    const ts = track(
      smp({ prefix, lcore: "0@0", vdevs: NULL2, app: app(2, 0) }),
    );
    await ts.waitFor("Finished Process Init");
    const c = track(smp({
      prefix,
      lcore: "1@1",
      vdevs: NULL2,
      app: app(2, 1),
      eal: ["--proc-type=secondary"],
    }, cBin));
    await c.waitFor("Finished Process Init");
    const insp = new Inspector(prefix, "5@0", NULL2);
    track(insp.proc);
    await insp.ready();
    await insp.until(
      (s) => s.every((p) => p.qIpackets[0] > 0 && p.qIpackets[1] > 0),
      "traffic on both queues",
    );
    const sc = await stopAndRead(c);
    const sts = await stopAndRead(ts);
    const ports = await insp.stats();
    assertOwnQueue("TS primary", sts, ports, 0);
    // C counts in a signal handler, possibly in the middle of a burst
    for (const p of [0, 1]) {
      assert(sc.get(p)!.rx > 0);
      assert(Math.abs(sc.get(p)!.rx - ports[p].qIpackets[1]) <= 32, "C RX");
      assert(Math.abs(sc.get(p)!.tx - ports[p].qOpackets[1]) <= 32, "C TX");
    }
  });
});

Deno.test("interop: ours joins a C primary", async () => {
  const cBin = await cOriginal("symmetric_mp");
  await withGroup("smp_c_pri", async ({ prefix, track }) => {
    // Our primary puts hugepage memory above V8's reach by default (see
    // BASE_VIRTADDR in the app); the C one is told to, or a Deno secondary
    // fails to map it now and then.
    const c = track(smp({
      prefix,
      lcore: "0@0",
      vdevs: NULL2,
      app: app(2, 0),
      eal: [`--base-virtaddr=${DEFAULT_BASE_VIRTADDR}`],
    }, cBin));
    await c.waitFor("Finished Process Init");
    const sec = (appArgs: string[], lcore: string) =>
      track(smp({
        prefix,
        lcore,
        vdevs: NULL2,
        app: appArgs,
        eal: ["--proc-type=secondary"],
      }));
    // what can be checked without our record: the ports' queue count
    await Promise.all([
      refused(
        sec(app(undefined, 2), "3@1"),
        /--proc-id 2 is out of range: the group's --num-procs is 2/,
      ),
      refused(
        sec(app(3, 1), "4@1"),
        /--num-procs 3 differs from the 2 RX queues the primary configured on port 0/,
      ),
    ]);
    const ts = sec(app(2, 1), "1@1");
    await ts.waitFor("Finished Process Init");
    assertMatch(ts.output, /no record of a TypeScript primary .* skipped/);
    const insp = new Inspector(prefix, "5@0", NULL2);
    track(insp.proc);
    await insp.ready();
    await insp.until(
      (s) => s.every((p) => p.qIpackets[0] > 0 && p.qIpackets[1] > 0),
      "traffic on both queues",
    );
    const sts = await stopAndRead(ts);
    const sc = await stopAndRead(c);
    const ports = await insp.stats();
    assertOwnQueue("TS secondary", sts, ports, 1);
    assert(sc.get(0)!.rx > 0 && sc.get(1)!.rx > 0, "C primary forwarded");
  });
});

Deno.test("port set-up fallbacks: the same lines as C on net_ring (no RSS, no RX checksum)", async () => {
  // net_ring reports no RSS hash functions and no RX checksum offload: C's
  // smp_port_init masks RSS (one line) and retries without the checksum
  // offload on EINVAL (another line), for each port. Ours must do and say
  // the same, then forward.
  const cBin = await cOriginal("symmetric_mp");
  const ring2 = ["--vdev=net_ring0", "--vdev=net_ring1"];
  const fallbacks = (out: string) =>
    [
      ...out.matchAll(
        /Port \d+ (?:modified RSS hash function|configuration failed)[^\n]*/g,
      ),
    ].map((m) => m[0]);
  const outputs: string[][] = [];
  for (const bin of [cBin, undefined]) {
    await withGroup("smp_ring", async ({ prefix, track }) => {
      const p = track(
        smp({ prefix, lcore: "0@0", vdevs: ring2, app: app(2, 0) }, bin),
      );
      await p.waitFor("Finished Process Init");
      await stopAndRead(p);
      outputs.push(fallbacks(p.output));
    });
  }
  const [c, ours] = outputs;
  assertEquals(c.length, 4, `C's lines: ${c.join("\n")}`);
  assertEquals(ours, c);
});
