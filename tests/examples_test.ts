/**
 * The experiments in examples/ run for a few seconds each on virtual
 * devices; their output must hold plausible, consistent numbers, and they
 * must leave no runtime files behind.
 *
 * @module
 */

import { assert, assertEquals } from "@std/assert";
import {
  denoRun,
  ealArgs,
  type Proc,
  removePrefixFiles,
  withGroup,
} from "../support/proc.ts";
import { swapAndCount } from "../examples/l2fwd.ts";

/** The JSON line an example prints last. */
function resultOf(p: Proc, example: string): Record<string, unknown> {
  const line = p.output.split("\n").find((l) =>
    l.startsWith(`{"example":"${example}"`)
  );
  if (!line) throw new Error(`no JSON line from ${example}:\n${p.output}`);
  return JSON.parse(line);
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

Deno.test("ring_pingpong: percentiles ordered, every object echoed", async () => {
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
    assert(rtt.p50 > 0, `p50 ${rtt.p50}`);
    assert(
      rtt.p50 <= rtt.p90 && rtt.p90 <= rtt.p99 && rtt.p99 <= rtt.p999 &&
        rtt.p999 <= rtt.max,
      `percentiles out of order: ${JSON.stringify(rtt)}`,
    );
    assert((r.meanBatchNs as number) > 0 && (r.timerNs as number) >= 0);
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
    // after the first second (start-up), each second is close to the rate
    for (const pps of perSecond.slice(1)) {
      assert(
        Math.abs(pps - rate) < 0.2 * rate,
        `${pps} pps, target ${rate}`,
      );
    }
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
    assert(/2s: [\d.]+ Mpps forwarded/.test(p.output), p.output);
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

Deno.test("examples refuse bad arguments with a message", async () => {
  await withGroup("ex_bad", async ({ prefix, track }) => {
    const p = track(denoRun("examples/pktgen.ts", [
      ...ealArgs(prefix, "-l", "0,1", "--vdev=net_null0"),
      "--",
      "--size",
      "20",
    ]));
    const st = await p.exit(30_000);
    assert(st.code !== 0, "pktgen accepted --size 20");
    assert(/--size must be in/.test(p.output), p.output);
    assertNoFiles(prefix);
  });
});
