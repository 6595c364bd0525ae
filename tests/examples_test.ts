/**
 * The experiments in examples/ run for a few seconds each on virtual
 * devices; their output must hold plausible, consistent numbers, and they
 * must leave no runtime files behind, whether they end by their time
 * limit, a signal, a failure or a refused command line (the skeleton they
 * share, lib/experiment.ts, has its pure logic tested in
 * tests/unit/experiment_test.ts).
 *
 * What the examples write is judged by other tools: tshark reads pktgen's
 * capture and checks every checksum, scapy makes the captures replay.ts
 * replays and reads back what came out (frames equal, in order), tcpdump
 * prints the lines l2fwd's `--dump` must print.
 *
 * @module
 */

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import {
  denoRun,
  ealArgs,
  Proc,
  removePrefixFiles,
  ROOT,
  withGroup,
} from "../support/proc.ts";
import { dumpFrames, swapAndCount } from "../examples/l2fwd.ts";
import { STATS_COLUMNS } from "../lib/measure/mod.ts";

const PYTHON = "/usr/bin/python3"; // Debian's, where python3-scapy lives
const CI = Deno.env.get("CI") !== undefined && Deno.env.get("CI") !== "";

function toolMissing(cmd: string, args: string[]): boolean {
  try {
    return !new Deno.Command(cmd, { args, stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return true;
  }
}
const noScapy = toolMissing(PYTHON, ["-c", "import scapy.all"]);
const noTshark = toolMissing("tshark", ["--version"]);
const noTcpdump = toolMissing("tcpdump", ["--version"]);
/** Skip only off CI: in CI every tool is installed, a missing one fails. */
const skip = (missing: boolean) => missing && !CI;

/** Runs a tool to its end; its stdout (throws with stderr on failure). */
async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}:\n${dec.decode(out.stderr)}`);
  }
  return dec.decode(out.stdout);
}

/** Starts an example with working folder `cwd` (for short relative paths). */
function exampleIn(cwd: string, example: string, args: string[]): Proc {
  return new Proc(
    Deno.execPath(),
    ["run", "-A", `${ROOT}examples/${example}.ts`, ...args],
    { name: example, cwd },
  );
}

/** Runs `fn` with a fresh temporary folder, removed afterwards. */
async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ex_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * scapy: writes N frames of every common kind (UDP, TCP, ICMP, ARP, IPv6,
 * 802.1Q, sizes up to 1400 bytes of payload, one truncated IPv4 frame),
 * GAP seconds apart, to PATH (pcapng for a .pcapng name). No well-known
 * ports, so that tcpdump decodes no application protocol.
 */
const SCAPY_MAKE = `
import random, sys
from scapy.all import *
path, n, gap = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
random.seed(11)
pkts = []
for i in range(n):
    e = Ether(src="02:00:00:00:00:%02x" % (i % 256), dst="02:00:00:00:01:02")
    k = i % 7
    if k == 0: p = e/IP(src="10.0.0.1", dst="10.0.0.2")/UDP(sport=40000+i, dport=41000)/Raw(b"x" * random.randint(0, 1400))
    elif k == 1: p = e/IP(src="10.0.0.3", dst="10.0.0.4")/TCP(sport=42000+i, dport=43000, flags="S", seq=i)
    elif k == 2: p = e/IP(src="10.0.0.5", dst="10.0.0.6")/ICMP(id=i, seq=i)/Raw(b"ping")
    elif k == 3: p = e/ARP(psrc="10.0.0.7", pdst="10.0.0.8")
    elif k == 4: p = e/IPv6(src="fe80::1", dst="fe80::2")/UDP(sport=44000+i, dport=45000)/Raw(b"y" * random.randint(0, 200))
    elif k == 5: p = e/Dot1Q(vlan=i % 4096)/IP(src="10.0.0.9", dst="10.0.0.10")/UDP(sport=46000, dport=46001)
    else: p = e/IP(src="10.0.0.11", dst="10.0.0.12", len=200)/UDP(sport=47000, dport=47001)/b"cut"
    p.time = 1700000000 + i * gap
    pkts.append(p)
(wrpcapng if path.endswith(".pcapng") else wrpcap)(path, pkts)
`;

/** scapy: the frames of each capture given, as hex strings, in order. */
const SCAPY_FRAMES = `
import json, sys
from scapy.all import rdpcap
print(json.dumps([[bytes(p).hex() for p in rdpcap(f)] for f in sys.argv[1:]]))
`;

/** The frames of captures (pcap or pcapng), as scapy reads them. */
async function scapyFrames(...paths: string[]): Promise<string[][]> {
  return JSON.parse(await run(PYTHON, ["-c", SCAPY_FRAMES, ...paths]));
}

/** The JSON lines of an example's output. */
function jsonLines(p: Proc): string[] {
  return p.output.split("\n").filter((l) => l.startsWith(`{"example":`));
}

/** The one JSON line an example prints, at the end. */
function resultOf(p: Proc, example: string): Record<string, unknown> {
  const lines = jsonLines(p);
  assertEquals(lines.length, 1, `not one JSON line:\n${p.output}`);
  const r = JSON.parse(lines[0]);
  assertEquals(r.example, example);
  return r;
}

/** Runs an example to its end; asserts success and that it cleaned up. */
async function runExample(
  proc: Proc,
  prefix: string,
  timeoutMs = 60_000,
): Promise<void> {
  const st = await proc.exit(timeoutMs);
  assertEquals(st.code, 0, `${proc.name} failed:\n${proc.output}`);
  assertNoFiles(prefix);
}

function assertNoFiles(prefix: string): void {
  let runtimeDir = true;
  try {
    Deno.statSync(`/var/run/dpdk/${prefix}`);
  } catch {
    runtimeDir = false;
  }
  assert(!runtimeDir, `/var/run/dpdk/${prefix} left behind`);
  const huge = [...Deno.readDirSync("/dev/hugepages")]
    .filter((e) => e.name.startsWith(`${prefix}map_`));
  assertEquals(huge.map((e) => e.name), [], "hugepage files left behind");
}

Deno.test("ring_pingpong: round trips timed, every object echoed", async () => {
  await withGroup("ex_pingpong", async ({ prefix, track }) => {
    const p = track(denoRun("examples/ring_pingpong.ts", [
      ...ealArgs(prefix, "-l", "0,1"),
      "--",
      "--samples",
      "20000",
      "-t",
      "1",
    ]));
    await runExample(p, prefix);
    const r = resultOf(p, "ring_pingpong");
    const rtt = r.rttNs as Record<string, number>;
    assertEquals(r.samples, 20000);
    // a round trip crosses two rings and two threads: more than a TSC read
    assert(rtt.p50 > (r.timerNs as number), JSON.stringify(r));
    assert((r.meanBatchNs as number) > 0, "batch mean");
    assert((r.throughputMops as number) > 0, "no throughput");
    // everything sent came back, and pong echoed exactly that much
    assertEquals(r.received, r.sent);
    assertEquals(r.echoed, r.sent);
    assertEquals(r.mbufsInUse, 0, "mbufs lost on the way");
    // 10000 warm-up and 20000 timed round trips, then the throughput phase
    assert((r.sent as number) > 30000, "the throughput phase sent nothing");
  });
});

Deno.test("pktgen: holds the chosen rate, every frame counted by the port", async () => {
  await withGroup("ex_pktgen", async ({ prefix, track }) => {
    const rate = 200_000;
    const p = track(denoRun("examples/pktgen.ts", [
      ...ealArgs(prefix, "-l", "0,1", "--vdev=net_null0"),
      "--",
      "--rate",
      String(rate),
      "--size",
      "128",
      "-t",
      "3",
    ]));
    await runExample(p, prefix);
    const r = resultOf(p, "pktgen");
    // one text line per second (a pipe: no terminal codes), then totals
    assertEquals(
      p.output.match(/^ +\d+\.\d s {2}tx\.packets [\d.]+k?\/s /gm)?.length,
      3,
      p.output,
    );
    assert(
      !p.output.includes("\r") && !p.output.includes("\x1b"),
      "terminal control codes in a pipe",
    );
    const perSecond = r.perSecond as number[];
    assertEquals(perSecond.length, 3, p.output);
    // after the first second (start-up), the rate is held: a generator
    // stalled by a busy machine catches up in the next second, so the
    // seconds are judged together
    const steady = perSecond.slice(1).reduce((a, b) => a + b, 0) /
      (perSecond.length - 1);
    assert(
      Math.abs(steady - rate) < 0.2 * rate,
      `${steady} pps over ${perSecond.slice(1)}, target ${rate}`,
    );
    assertEquals(r.sent, r.generated, "net_null refused frames");
    assertEquals(r.portOpackets, r.sent, "port TX counter != frames sent");
    assert((r.generated as number) >= 2 * rate, `generated ${r.generated}`);
    checkPace(r, rate);
  });
});

/**
 * A paced pktgen run sent at `rate` over its schedule's time: never more
 * (but for Poisson's spread and a burst), whatever the machine does. How
 * close it comes from below depends on the CPU it got (a generator stalled
 * by a busy machine catches up, but not after the end): judged loosely
 * here, to 1% by bench/rate_bench.ts.
 */
function checkPace(r: Record<string, unknown>, rate: number): void {
  const s = r.schedule as Record<string, number>;
  const why = JSON.stringify({ sent: r.sent, ...s });
  assert(s.seconds > 0.9 * (r.perSecond as number[]).length, why);
  const sent = r.sent as number;
  assert(sent <= rate * s.seconds * 1.03 + 32, `faster than ${rate}: ${why}`);
  assert(sent >= rate * s.seconds * 0.5, `far slower than ${rate}: ${why}`);
}

/** tshark's fields of every frame of a capture, checksums checked. */
async function tsharkFields(
  path: string,
  fields: string[],
): Promise<string[][]> {
  const out = await run("tshark", [
    "-r",
    path,
    "-o",
    "ip.check_checksum:TRUE",
    "-o",
    "udp.check_checksum:TRUE",
    "-T",
    "fields",
    ...fields.flatMap((f) => ["-e", f]),
  ]);
  return out.split("\n").filter((l) => l !== "").map((l) => l.split("\t"));
}

for (
  const [checksum, count, flows, size] of [
    ["incremental", 1000, 100, 60],
    ["full", 777, 7, 300],
  ] as const
) {
  Deno.test({
    name: `pktgen --count ${count} --flows ${flows} --pcap (--checksum ` +
      `${checksum}): tshark sees exactly that, every checksum right`,
    ignore: skip(noTshark),
    fn: () =>
      withTempDir((dir) =>
        withGroup("ex_pktgen_pcap", async ({ prefix, track }) => {
          const p = track(exampleIn(dir, "pktgen", [
            ...ealArgs(prefix),
            "--",
            "--count",
            String(count),
            "--flows",
            String(flows),
            "--size",
            String(size),
            "--checksum",
            checksum,
            "--pcap",
            "out.pcap", // short and relative (see dpdk-notes)
          ]));
          await runExample(p, prefix);
          const r = resultOf(p, "pktgen");
          assertEquals([r.sent, r.portOpackets], [count, count]);
          const rows = await tsharkFields(`${dir}/out.pcap`, [
            "frame.len",
            "ip.src",
            "ip.dst",
            "udp.srcport",
            "udp.dstport",
            "ip.checksum.status",
            "udp.checksum.status",
            "_ws.expert.severity",
          ]);
          assertEquals(rows.length, count, "frames in the capture");
          const ports = new Set<string>();
          rows.forEach((f, i) => {
            assertEquals(
              f,
              [
                String(size),
                "10.0.0.1",
                "10.0.0.2",
                String(10000 + i % flows), // cycling, in order
                "9",
                "1", // 1: Good
                "1",
                "",
              ],
              `frame ${i}`,
            );
            ports.add(f[3]);
          });
          assertEquals(ports.size, flows, "distinct source ports");
        })
      ),
  });
}

Deno.test("pktgen --poisson --csv --json: per-second rows of the one schema, on a pipe", async () => {
  await withTempDir((dir) =>
    withGroup("ex_pktgen_csv", async ({ prefix, track }) => {
      const rate = 100_000;
      const p = track(exampleIn(dir, "pktgen", [
        ...ealArgs(prefix),
        "--",
        "--rate",
        String(rate),
        "--poisson",
        "--csv",
        "stats.csv",
        "--json",
        "-t",
        "2",
      ]));
      await runExample(p, prefix);
      const r = resultOf(p, "pktgen");
      assertEquals(r.poisson, true);
      const names = ["tx.packets", "tx.bytes", "tx.errors"];
      // CSV: the header, then per second one row per counter, then totals
      const csv = Deno.readTextFileSync(`${dir}/stats.csv`).trimEnd()
        .split("\n").map((l) => l.split(","));
      assertEquals(csv[0], [...STATS_COLUMNS]);
      assertEquals(csv.length, 1 + 2 * 3 + 3, csv.join("\n"));
      const kinds = csv.slice(1).map((c) => `${c[1]} ${c[2]}`);
      assertEquals(kinds, [
        ...names.map((n) => `interval ${n}`),
        ...names.map((n) => `interval ${n}`),
        ...names.map((n) => `total ${n}`),
      ]);
      assert(Math.abs(Number(csv[1][0]) - 1) < 0.2, `time ${csv[1][0]}`);
      assert(Math.abs(Number(csv[4][0]) - 2) < 0.2, `time ${csv[4][0]}`);
      // JSON Lines on stdout: the same rows, keys in schema order
      const rows = p.output.split("\n").filter((l) => l.startsWith('{"time"'))
        .map((l) => JSON.parse(l));
      assertEquals(rows.length, csv.length - 1);
      rows.forEach((row, i) => {
        assertEquals(Object.keys(row), [...STATS_COLUMNS]);
        assertEquals(
          STATS_COLUMNS.map((c) => String(row[c])),
          csv[i + 1],
          `row ${i}`,
        );
      });
      const total = rows.find((x) => x.kind === "total" && x.name === names[0]);
      assertEquals(total.total, r.portOpackets);
      assertEquals(
        r.perSecond,
        rows.filter((x) =>
          x.kind === "interval" &&
          x.name === names[0]
        ).map((x) => Math.round(x.rate)),
      );
      checkPace(r, rate); // Poisson departures at that mean rate
      assert(
        !p.output.includes("\r") && !p.output.includes("\x1b"),
        "terminal control codes in a pipe",
      );
    })
  );
});

/** Checks an l2fwd result: counts add up across ports and EtherTypes. */
function checkL2fwd(r: Record<string, unknown>): void {
  const ports = r.ports as {
    port: number;
    rx: number;
    tx: number;
    dropped: number;
  }[];
  assertEquals(ports.length, 2);
  // port 0's packets leave by port 1 and the other way round
  assertEquals(ports[0].rx, ports[1].tx + ports[1].dropped);
  assertEquals(ports[1].rx, ports[0].tx + ports[0].dropped);
  assertEquals(r.rx, ports[0].rx + ports[1].rx);
  assertEquals(r.tx, ports[0].tx + ports[1].tx);
  assertEquals(r.dropped, 0, "net_null never refuses");
  assertEquals(r.portOpackets, r.tx, "port TX counters != frames sent");
  assert((r.rx as number) > 0 && (r.mpps as number) > 0);
  const types = r.etherTypes as Record<string, number>;
  for (const t of Object.keys(types)) {
    assert(["0x0800", "0x86dd", "0x0806"].includes(t), `EtherType ${t}?`);
  }
  const counted = Object.values(types).reduce((a, b) => a + b, 0);
  assertEquals(counted, r.work ? r.rx : 0, "EtherType counts != received");
}

Deno.test("l2fwd: the per-packet work swaps MACs and counts EtherTypes", () => {
  const frames = new Uint8Array(256);
  const frame = [1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16, 0x86, 0xdd, 0x60];
  frames.set(frame, 10);
  frames.set(frame, 130);
  frames[142] = 0x08; // second frame: IPv4
  frames[143] = 0x00;
  const byType = new Float64Array(65536);
  swapAndCount(
    new DataView(frames.buffer),
    new Uint32Array([10, 130]),
    2,
    byType,
  );
  const swapped = [11, 12, 13, 14, 15, 16, 1, 2, 3, 4, 5, 6];
  assertEquals([...frames.subarray(10, 22)], swapped);
  assertEquals([...frames.subarray(130, 142)], swapped);
  assertEquals(frames[24], 0x60, "beyond the header: untouched");
  assertEquals(byType[0x86dd], 1);
  assertEquals(byType[0x0800], 1);
  assertEquals(byType.reduce((a, b) => a + b, 0), 2);
});

Deno.test("l2fwd: --dump numbers its lines across bursts and stops at N", () => {
  const frames = new Uint8Array(128);
  frames.set([0x08, 0x06], 12); // ARP EtherType, the rest cut short
  const lines: string[] = [];
  const off = new Uint32Array([0, 0, 0]), len = new Uint16Array([20, 20, 20]);
  let done = dumpFrames(frames, off, len, 3, 1, 0, 4, (l) => lines.push(l));
  assertEquals(done, 3);
  done = dumpFrames(frames, off, len, 3, 0, done, 4, (l) => lines.push(l));
  assertEquals(done, 4);
  assertEquals(lines.map((l) => l.split(":")[0]), [
    "#1 port 1",
    "#2 port 1",
    "#3 port 1",
    "#4 port 0",
  ]);
  assertStringIncludes(lines[0], "[|arp]"); // tcpdump's word for it
});

Deno.test("l2fwd: forwards both ways, counts add up; --dump on garbage frames", async () => {
  await withGroup("ex_l2fwd", async ({ prefix, track }) => {
    const p = track(denoRun("examples/l2fwd.ts", [
      ...ealArgs(prefix, "-l", "0,1", "--vdev=net_null0", "--vdev=net_null1"),
      "--",
      "-t",
      "2",
      "--dump",
      "25",
    ]));
    await runExample(p, prefix);
    // -t 2: exactly two per-second lines, then the result
    assertEquals(p.output.match(/^\d+s: [\d.]+ Mpps forwarded$/gm)?.length, 2);
    checkL2fwd(resultOf(p, "l2fwd"));
    // net_null hands out the pool's frames: headers, then zeros (malformed
    // IPv4/IPv6/ARP): described, never a throw, exactly 25 lines
    const dumped = p.output.match(/^#\d+ port [01]: .+$/gm) ?? [];
    assertEquals(dumped.length, 25, p.output);
    assertEquals(
      dumped.map((l) => Number(l.slice(1, l.indexOf(" ")))),
      Array.from({ length: 25 }, (_, i) => i + 1),
    );
  });
});

Deno.test({
  name:
    "l2fwd --dump: the lines tcpdump prints for the same frames; frames leave MAC-swapped, in order",
  ignore: skip(noScapy || noTcpdump),
  fn: () =>
    withTempDir((dir) =>
      withGroup("ex_l2fwd_dump", async ({ prefix, track }) => {
        const n = 70;
        await run(PYTHON, [
          "-c",
          SCAPY_MAKE,
          `${dir}/in.pcap`,
          String(n),
          "0.001",
        ]);
        // port 0 receives the file; what it forwards leaves by port 1
        const p = track(exampleIn(dir, "l2fwd", [
          ...ealArgs(
            prefix,
            "-l",
            "0,1",
            "--vdev=net_pcap0,rx_pcap=in.pcap,tx_pcap=o0.pcap",
            "--vdev=net_pcap1,tx_pcap=o1.pcap",
          ),
          "--",
          "-t",
          "1",
          "--dump",
          String(n),
        ]));
        await runExample(p, prefix);
        const r = resultOf(p, "l2fwd");
        assertEquals([r.rx, r.tx, r.dropped], [n, n, 0]);
        const want =
          (await run("tcpdump", ["-n", "-t", "-r", `${dir}/in.pcap`]))
            .trimEnd().split("\n");
        assertEquals(want.length, n);
        const got = p.output.match(/^#\d+ port \d: .*$/gm) ?? [];
        assertEquals(got, want.map((l, i) => `#${i + 1} port 0: ${l}`));
        const [input, output] = await scapyFrames(
          `${dir}/in.pcap`,
          `${dir}/o1.pcap`,
        );
        assertEquals(output.length, n);
        output.forEach((hex, i) => {
          const f = input[i];
          assertEquals(
            hex,
            f.slice(12, 24) + f.slice(0, 12) + f.slice(24),
            `frame ${i}`,
          );
        });
      })
    ),
});

Deno.test("l2fwd: stops cleanly on SIGINT, with its defaults", async () => {
  const p = denoRun("examples/l2fwd.ts", ["--", "-t", "0", "--no-work"]);
  const prefix = `ex_l2fwd_${p.child.pid}`; // the example's default
  try {
    await p.waitFor(/1s: [\d.]+ Mpps forwarded/, 30_000);
    p.kill("SIGINT");
    await runExample(p, prefix, 20_000);
    const r = resultOf(p, "l2fwd");
    assertEquals(r.work, false);
    checkL2fwd(r);
  } finally {
    p.kill("SIGKILL");
    await p.exit();
    await removePrefixFiles(prefix);
  }
});

Deno.test("pktgen: SIGTERM ends a run without a time limit", async () => {
  await withGroup("ex_pktgen_term", async ({ prefix, track }) => {
    const p = track(denoRun("examples/pktgen.ts", [
      ...ealArgs(prefix, "-l", "0,1", "--vdev=net_null0"),
      "--",
      "--rate",
      "0",
      "-t",
      "0",
    ]));
    await p.waitFor(/^ +1\.\d s {2}tx\.packets /m, 30_000);
    p.kill("SIGTERM");
    await runExample(p, prefix, 20_000);
    const r = resultOf(p, "pktgen");
    assert((r.perSecond as number[]).length >= 1, p.output);
    assert((r.meanPps as number) > 0, "full speed generated nothing");
    assertEquals(r.sent, r.generated, "net_null refused frames");
    assertEquals(r.portOpackets, r.sent, "port TX counter != frames sent");
  });
});

/**
 * The timing of a capture (as tshark reads it) against a schedule of one
 * frame every `gap` seconds: seconds between the first and the last frame,
 * and how late frame i is against `i * gap` after the first: the earliest
 * (negative: early) and the median.
 */
async function timing(
  path: string,
  gap: number,
): Promise<{ span: number; earliest: number; medianLate: number }> {
  const t = (await run("tshark", [
    "-r",
    path,
    "-T",
    "fields",
    "-e",
    "frame.time_epoch",
  ])).trim().split("\n").map(Number);
  const late = t.map((x, i) => x - t[0] - i * gap).sort((a, b) => a - b);
  return {
    span: t[t.length - 1] - t[0],
    earliest: late[0],
    medianLate: late[late.length >> 1],
  };
}

Deno.test({
  name:
    "replay --capture (ring port, PacketCapture): scapy's frames come out equal, in order, at their timing",
  ignore: skip(noScapy || noTshark),
  fn: () =>
    withTempDir((dir) =>
      withGroup("ex_replay_ring", async ({ prefix, track }) => {
        const n = 150, gap = 0.004; // 0.596 s of traffic
        await run(PYTHON, [
          "-c",
          SCAPY_MAKE,
          `${dir}/in.pcapng`,
          String(n),
          String(gap),
        ]);
        for (const speed of [1, 4]) {
          const out = `out${speed}.pcapng`;
          const p = track(exampleIn(dir, "replay", [
            ...ealArgs(prefix),
            "--",
            "--in",
            "in.pcapng",
            "--speed",
            String(speed),
            "--capture",
            out,
          ]));
          await runExample(p, prefix);
          const r = resultOf(p, "replay");
          assertEquals(
            [r.records, r.sent, r.captured, r.dropped, r.complete],
            [n, n, n, 0, true],
            JSON.stringify(r),
          );
          const [input, output] = await scapyFrames(
            `${dir}/in.pcapng`,
            `${dir}/${out}`,
          );
          assertEquals(output, input, "frames differ or are out of order");
          // sent at the recorded timing (the capture stamps when sent):
          // never early (but by the first frame's own lateness: the first
          // pass through the loop compiles it); a late frame (a busy
          // machine) goes at once, so the span grows by at most the
          // largest lateness the example reports
          const want = (n - 1) * gap / speed;
          const got = await timing(`${dir}/${out}`, gap / speed);
          const lateMax = (r.lateMaxNs as number) / 1e9;
          assert(
            got.earliest > -lateMax - 0.02 &&
              got.span > want - lateMax - 0.02 &&
              got.span < want + lateMax + 0.05,
            `speed ${speed}: ${JSON.stringify(got)}, want ${want} s, ` +
              `late at most ${lateMax} s`,
          );
        }
      })
    ),
});

Deno.test({
  name:
    "replay --pcap (net_pcap) and --capture to pcap: frames equal, in order",
  ignore: skip(noScapy || noTshark),
  fn: () =>
    withTempDir((dir) =>
      withGroup("ex_replay_pcap", async ({ prefix, track }) => {
        const n = 500;
        await run(PYTHON, [
          "-c",
          SCAPY_MAKE,
          `${dir}/in.pcap`,
          String(n),
          "0.001",
        ]);
        const runs: [string[], string][] = [
          [["--rate", "0", "--pcap", "out.pcap"], "out.pcap"],
          [["--rate", "5000", "--capture", "cap.pcap"], "cap.pcap"],
        ];
        for (const [args, out] of runs) {
          const p = track(exampleIn(dir, "replay", [
            ...ealArgs(prefix),
            "--",
            "--in",
            "in.pcap",
            ...args,
          ]));
          await runExample(p, prefix);
          const r = resultOf(p, "replay");
          assertEquals([r.records, r.sent, r.portOpackets], [n, n, n]);
          const [input, output] = await scapyFrames(
            `${dir}/in.pcap`,
            `${dir}/${out}`,
          );
          assertEquals(output, input, `${out}: frames differ or out of order`);
          if (out !== "cap.pcap") continue;
          // 5000 pps: 500 frames in 100 ms, none early (as fast as
          // possible would take about a millisecond); late ones catch up
          const lateMax = (r.lateMaxNs as number) / 1e9, want = 499 / 5000;
          const got = await timing(`${dir}/cap.pcap`, 1 / 5000);
          assert(
            got.earliest > -lateMax - 0.02 &&
              got.span > want - lateMax - 0.02 &&
              got.span < want + lateMax + 0.05,
            `${JSON.stringify(got)}, late at most ${lateMax} s`,
          );
        }
      })
    ),
});

/** Every example. */
const EXAMPLES = ["ring_pingpong", "pktgen", "l2fwd", "replay"];

Deno.test("examples refuse unknown options with the usage, exit 2, start nothing", async () => {
  await withGroup("ex_bad", async ({ prefix, track }) => {
    const runs = EXAMPLES.map((ex) =>
      track(
        denoRun(`examples/${ex}.ts`, [
          ...ealArgs(prefix),
          "--",
          "--bogus",
          "1",
        ]),
      )
    );
    for (const [i, p] of runs.entries()) {
      const st = await p.exit(30_000);
      assertEquals(st.code, 2, `${EXAMPLES[i]}:\n${p.output}`);
      assertStringIncludes(
        p.output,
        `${EXAMPLES[i]}: unknown option --bogus\n`,
      );
      assertStringIncludes(
        p.output,
        `usage: deno run -A examples/${EXAMPLES[i]}.ts [EAL options] -- `,
      );
      assertEquals(jsonLines(p), [], "a JSON line from a refused run");
    }
    assertNoFiles(prefix); // EAL never started
  });
});

Deno.test("examples refuse bad values, and app options before --", async () => {
  await withGroup("ex_badval", async ({ prefix, track }) => {
    const cases: [string, string[], string][] = [
      [
        "pktgen",
        ["--", "--size", "20"],
        '--size must be an integer in 60..2048, got "20"',
      ],
      [
        "pktgen",
        ["--", "--checksum", "fast"],
        '--checksum must be incremental or full, got "fast"',
      ],
      [
        "pktgen",
        ["--", "--rate", "0", "--poisson"],
        "--poisson needs a --rate above 0",
      ],
      [
        "pktgen",
        ["--", "--flows", "0"],
        '--flows must be an integer in 1..55536, got "0"',
      ],
      ["replay", ["--"], "replay: --in FILE is required"],
      [
        "replay",
        ["--", "--in", "/nonexistent.pcap"],
        "replay: --in /nonexistent.pcap: ",
      ],
      [
        "replay",
        ["--", "--in", "/dev/null"],
        "replay: --in /dev/null: not a capture",
      ],
      [
        "replay",
        ["--", "--in", "/dev/null", "--speed", "0"],
        "replay: --speed must be above 0",
      ],
      [
        "replay",
        ["--", "--in", "/dev/null", "--speed", "2", "--rate", "5"],
        "replay: --speed scales the recorded timing: not with --rate",
      ],
      [
        "l2fwd",
        ["--", "--dump", "x"],
        '--dump must be an integer >= 0, got "x"',
      ],
      [
        "pktgen",
        ["--", "--rate", "fast"],
        '--rate must be an integer >= 0, got "fast"',
      ],
      [
        "ring_pingpong",
        ["--", "--inflight", "8"],
        "--inflight must be an integer in 32..2048",
      ],
      [
        "l2fwd",
        ["-t", "3"],
        'l2fwd: -t is an option of l2fwd: give it after "--"',
      ],
    ];
    const runs = cases.map(([ex, args]) =>
      track(denoRun(`examples/${ex}.ts`, [...ealArgs(prefix), ...args]))
    );
    for (const [i, p] of runs.entries()) {
      const st = await p.exit(30_000);
      assertEquals(st.code, 2, p.output);
      assertStringIncludes(p.output, cases[i][2]);
      assertStringIncludes(p.output, "usage: ");
    }
    assertNoFiles(prefix);
  });
});

Deno.test("a failed run exits 1 with one line, no stack, and cleans its group up", async () => {
  // l2fwd needs ports in pairs: one port fails after EAL started
  const p = denoRun("examples/l2fwd.ts", ["--vdev=net_null0", "--", "-t", "1"]);
  const prefix = `ex_l2fwd_${p.child.pid}`; // the default prefix
  try {
    const st = await p.exit(30_000);
    assertEquals(st.code, 1, p.output);
    assertStringIncludes(
      p.output,
      "l2fwd: need an even number of ports, got 1\n",
    );
    assert(!/^\s+at /m.test(p.output), `a stack trace:\n${p.output}`);
    assertEquals(jsonLines(p), []);
    assertNoFiles(prefix);
  } finally {
    p.kill("SIGKILL");
    await p.exit();
    await removePrefixFiles(prefix);
  }
});

Deno.test("EAL refusing its arguments: exit 1, the skeleton's own group removed", async () => {
  const p = denoRun("examples/pktgen.ts", ["--no-such-eal-option"]);
  const prefix = `ex_pktgen_${p.child.pid}`;
  try {
    const st = await p.exit(30_000);
    assertEquals(st.code, 1, p.output);
    // (EAL prints its usage on stdout: the lines may interleave)
    assert(/pktgen: rte_eal_init\(.*\) failed: /.test(p.output), p.output);
    assertEquals(jsonLines(p), []);
    assertNoFiles(prefix);
  } finally {
    p.kill("SIGKILL");
    await p.exit();
    await removePrefixFiles(prefix);
  }
});
