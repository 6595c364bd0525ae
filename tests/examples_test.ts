/**
 * The experiments in examples/ run for a few seconds each on virtual
 * devices; their output must hold plausible, consistent numbers, and they
 * must leave no runtime files behind, whether they end by their time
 * limit, a signal, a failure or a refused command line (the skeleton they
 * share, lib/experiment.ts, has its pure logic tested in
 * tests/unit/experiment_test.ts).
 *
 * @module
 */

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import {
  denoRun,
  ealArgs,
  type Proc,
  removePrefixFiles,
  withGroup,
} from "../support/proc.ts";
import { swapAndCount } from "../examples/l2fwd.ts";

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
    const perSecond = r.perSecond as number[];
    assertEquals(perSecond.length, 3, p.output);
    assert(perSecond.every((pps) => pps > 0), `a silent second: ${perSecond}`);
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
  });
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

Deno.test("l2fwd: forwards both ways, counts add up", async () => {
  await withGroup("ex_l2fwd", async ({ prefix, track }) => {
    const p = track(denoRun("examples/l2fwd.ts", [
      ...ealArgs(prefix, "-l", "0,1", "--vdev=net_null0", "--vdev=net_null1"),
      "--",
      "-t",
      "2",
    ]));
    await runExample(p, prefix);
    // -t 2: exactly two per-second lines, then the result
    assertEquals(p.output.match(/^\d+s: [\d.]+ Mpps forwarded$/gm)?.length, 2);
    checkL2fwd(resultOf(p, "l2fwd"));
  });
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
    await p.waitFor(/^1s: \d+ pps$/m, 30_000);
    p.kill("SIGTERM");
    await runExample(p, prefix, 20_000);
    const r = resultOf(p, "pktgen");
    assert((r.perSecond as number[]).length >= 1, p.output);
    assert((r.meanPps as number) > 0, "full speed generated nothing");
    assertEquals(r.sent, r.generated, "net_null refused frames");
    assertEquals(r.portOpackets, r.sent, "port TX counter != frames sent");
  });
});

/** Every example. */
const EXAMPLES = ["ring_pingpong", "pktgen", "l2fwd"];

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
        '--size must be an integer in 46..2048, got "20"',
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
