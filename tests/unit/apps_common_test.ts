/**
 * Pure tests of the sample apps' own logic: port masks, port pairs, the
 * symmetric_mp argument parser, how port pairs are spread over lcores and
 * queues, and the exit report. No root, no shim, no EAL, no permissions
 * (DPDK's limits are passed in, so nothing reads them from the shim):
 *
 *   deno test tests/unit/apps_common_test.ts
 *
 * @module
 */

import { assertEquals, assertThrows } from "@std/assert";
import {
  cHex,
  pairPorts,
  parsePortmask,
  portmaskOf,
  shorten,
  UsageError,
} from "../../apps/common.ts";
import {
  assignPortsToCores,
  checkProcId,
  formatPortStats,
  forwardingPaths,
  parseAppArgs,
  speedText,
} from "../../apps/symmetric_mp.ts";
import {
  STAT_DROP,
  STAT_RX,
  STAT_TX,
  STATS_STRIDE,
} from "../../apps/symmetric_mp_worker.ts";

/** RTE_MAX_ETHPORTS and RTE_MAX_LCORE as Debian builds DPDK 22.11. */
const MAX_PORTS = 32;
const MAX_LCORES = 128;

// ---------------------------------------------------------------- port masks

Deno.test("parsePortmask: hexadecimal, with or without 0x, any case", () => {
  assertEquals(parsePortmask("3", MAX_PORTS), [0, 1]);
  assertEquals(parsePortmask("0x3", MAX_PORTS), [0, 1]);
  assertEquals(parsePortmask("0X3", MAX_PORTS), [0, 1]);
  assertEquals(parsePortmask("f0", MAX_PORTS), [4, 5, 6, 7]);
  assertEquals(parsePortmask("0xA", MAX_PORTS), [1, 3]);
  assertEquals(parsePortmask("0003", MAX_PORTS), [0, 1]);
  assertEquals(parsePortmask("80000001", MAX_PORTS), [0, 31]);
});

Deno.test("parsePortmask: empty, missing, zero and non-hex masks are refused", () => {
  assertThrows(() => parsePortmask("", MAX_PORTS), UsageError, "no port mask");
  assertThrows(
    () => parsePortmask(undefined, MAX_PORTS),
    UsageError,
    "no port mask given (-p PORTMASK)",
  );
  assertThrows(
    () => parsePortmask("0", MAX_PORTS),
    UsageError,
    "port mask is 0",
  );
  assertThrows(() => parsePortmask("0x0", MAX_PORTS), UsageError, "is 0");
  for (const bad of ["xyz", "0x", "-1", "3g", "0x3 ", " 3", "1.5", "0o7"]) {
    assertThrows(
      () => parsePortmask(bad, MAX_PORTS),
      UsageError,
      `invalid port mask '${bad}': expected hexadecimal`,
    );
  }
});

Deno.test("parsePortmask: every bit counts, however high; the limit is a parameter", () => {
  assertThrows(
    () => parsePortmask("100000000", MAX_PORTS),
    UsageError,
    "names port 32, above the maximum 31",
  );
  // bit 80: above 63, which the old parser silently dropped
  const bit80 = "1" + "0".repeat(20);
  assertThrows(
    () => parsePortmask(bit80, MAX_PORTS),
    UsageError,
    "names port 80, above the maximum 31",
  );
  assertThrows(
    () => parsePortmask("3" + "0".repeat(20), MAX_PORTS),
    UsageError,
    "names port 81",
  );
  assertEquals(parsePortmask(bit80, 128), [80]);
  assertEquals(parsePortmask("3", 2), [0, 1]);
  assertThrows(() => parsePortmask("4", 2), UsageError, "above the maximum 1");
});

Deno.test("parsePortmask: a huge argument is refused quickly and not echoed whole", () => {
  for (const text of ["f".repeat(100_000), "z".repeat(100_000)]) {
    const t0 = performance.now();
    const e = assertThrows(() => parsePortmask(text, MAX_PORTS), UsageError);
    const ms = performance.now() - t0;
    if (e.message.length > 200) {
      throw new Error(`message of ${e.message.length} characters`);
    }
    if (ms > 1000) throw new Error(`took ${ms.toFixed(0)} ms`);
  }
});

Deno.test("portmaskOf is the inverse of parsePortmask", () => {
  for (const mask of [1, 3, 0xf0, 0x80000001, 0xffffffff]) {
    assertEquals(portmaskOf(parsePortmask(mask.toString(16), MAX_PORTS)), mask);
  }
  assertEquals(portmaskOf([]), 0);
});

Deno.test("shorten cuts long text for messages", () => {
  assertEquals(shorten("abc"), "abc");
  assertEquals(shorten("x".repeat(40)), "x".repeat(40));
  assertEquals(shorten("x".repeat(41)), "x".repeat(40) + "...");
  assertEquals(shorten("abcdef", 3), "abc...");
});

Deno.test("cHex prints as C's %#x: 0 without prefix", () => {
  // as the C symmetric_mp printed on net_ring: requested:0xa38c configured:0
  assertEquals(cHex(0xa38cn), "0xa38c");
  assertEquals(cHex(0n), "0");
  assertEquals(cHex(0xffffffffffffffffn), "0xffffffffffffffff");
});

// ---------------------------------------------------------------- port pairs

Deno.test("pairPorts pairs in the order given, both directions", () => {
  assertEquals(
    pairPorts([0, 1, 2, 3]),
    new Map([[0, 1], [1, 0], [2, 3], [3, 2]]),
  );
  assertEquals(pairPorts([3, 0]), new Map([[3, 0], [0, 3]]));
  assertEquals(pairPorts([]), new Map());
  assertThrows(
    () => pairPorts([0, 1, 2]),
    UsageError,
    "an even number of ports is needed (ports are paired), got 3: 0, 1, 2",
  );
  assertThrows(() => pairPorts([5]), UsageError, "got 1: 5");
});

// ------------------------------------------------- symmetric_mp's arguments

const parse = (args: string[], type: "primary" | "secondary" = "primary") =>
  parseAppArgs(args, type, MAX_LCORES, MAX_PORTS);

Deno.test("symmetric_mp arguments: as in C", () => {
  assertEquals(parse(["-p", "3", "--num-procs", "2", "--proc-id", "1"]), {
    ports: [0, 1],
    mask: 3,
    numProcs: 2,
    procId: 1,
  });
  assertEquals(parse(["-p", "0xf", "--num-procs=4", "--proc-id=3"]), {
    ports: [0, 1, 2, 3],
    mask: 15,
    numProcs: 4,
    procId: 3,
  });
  // values joined (as getopt_long allows), or taken whatever they look like
  assertEquals(parse(["-pc", "--proc-id=0", "--num-procs", "1"]), {
    ports: [2, 3],
    mask: 12,
    numProcs: 1,
    procId: 0,
  });
  // a secondary may leave --num-procs out (checked against the group)
  assertEquals(parse(["-p", "3", "--proc-id", "5"], "secondary"), {
    ports: [0, 1],
    mask: 3,
    numProcs: undefined,
    procId: 5,
  });
});

Deno.test("symmetric_mp arguments: refusals say what is wrong", () => {
  const cases: [string[], string, ("primary" | "secondary")?][] = [
    [["-p", "3", "--proc-id", "0"], "Invalid or missing num-procs parameter"],
    [["-p", "3", "--num-procs", "2"], "Invalid or missing proc-id parameter"],
    [
      ["-p", "3", "--num-procs", "2", "--proc-id", "x"],
      "Invalid or missing proc-id parameter",
    ],
    [
      ["-p", "3", "--num-procs=-1", "--proc-id", "0"],
      "Invalid or missing num-procs parameter",
    ],
    [
      ["-p", "3", "--num-procs", "-1", "--proc-id", "0"],
      "Invalid or missing num-procs parameter",
    ],
    [
      ["-p", "3", "--num-procs", "2", "--proc-id"],
      "Invalid or missing proc-id parameter",
    ],
    [["--num-procs", "2", "--proc-id", "0", "-p"], "no port mask given"],
    [
      ["--num-procs", "2", "--proc-id", "0", "-p", "-3"],
      "invalid port mask '-3'",
    ],
    [
      ["-p", "3", "--num-procsx=2", "--proc-id", "0"],
      "Cannot parse all command-line arguments: --num-procsx=2",
    ],
    [["-p", "3", "--num-procs", "0", "--proc-id", "0"], "at least 1"],
    [
      ["-p", "3", "--num-procs", "129", "--proc-id", "0"],
      "--num-procs 129 is above 128, the number of lcore IDs",
    ],
    [
      ["-p", "3", "--num-procs", "2", "--proc-id", "2"],
      "--proc-id 2 is out of range: --num-procs is 2, so proc-id must be below 2",
    ],
    [
      ["-p", "3", "--num-procs", "2", "--proc-id", "1" + "0".repeat(30)],
      "--proc-id 1000000000000000000000000000000 is too large",
    ],
    [["--num-procs", "2", "--proc-id", "0"], "no port mask given"],
    [["-p", "", "--num-procs", "2", "--proc-id", "0"], "no port mask given"],
    [
      ["-p", "3", "--num-procs", "2", "--proc-id", "0", "--bogus"],
      "Cannot parse all command-line arguments: --bogus",
    ],
    [
      ["-p", "3", "--num-procs", "2", "--proc-id", "0", "extra"],
      "Cannot parse all command-line arguments: extra",
    ],
    [
      ["-p", "1" + "0".repeat(9), "--num-procs", "2", "--proc-id", "0"],
      "names port 36, above the maximum 31",
    ],
  ];
  for (const [args, message, type] of cases) {
    assertThrows(() => parse(args, type), UsageError, message);
  }
  // the limit on N is a parameter (RTE_MAX_LCORE from the shim in the app)
  assertThrows(
    () =>
      parseAppArgs(
        ["-p", "3", "--num-procs", "5", "--proc-id", "0"],
        "primary",
        4,
        MAX_PORTS,
      ),
    UsageError,
    "--num-procs 5 is above 4",
  );
});

Deno.test("checkProcId names where N comes from", () => {
  checkProcId(1, 2);
  assertThrows(
    () => checkProcId(2, 2, "the group's "),
    UsageError,
    "--proc-id 2 is out of range: the group's --num-procs is 2",
  );
});

// --------------------------------------------- ports per lcore, per process

Deno.test("assignPortsToCores spreads port pairs as C's assign_ports_to_cores", () => {
  const asObj = (m: Map<number, { start: number; count: number }>) =>
    Object.fromEntries(m);
  assertEquals(asObj(assignPortsToCores([0], 2)), {
    0: { start: 0, count: 2 },
  });
  // one pair per lcore, the third lcore idle
  assertEquals(asObj(assignPortsToCores([0, 1, 2], 4)), {
    0: { start: 0, count: 2 },
    1: { start: 2, count: 2 },
    2: { start: 4, count: 0 },
  });
  // 3 pairs on 2 lcores: the first gets the extra pair
  assertEquals(asObj(assignPortsToCores([4, 9], 6)), {
    4: { start: 0, count: 4 },
    9: { start: 4, count: 2 },
  });
  // every port goes to exactly one lcore, in order
  for (let lcores = 1; lcores <= 5; lcores++) {
    for (let ports = 2; ports <= 16; ports += 2) {
      const ids = Array.from({ length: lcores }, (_, i) => 10 + i);
      let next = 0;
      for (const { start, count } of assignPortsToCores(ids, ports).values()) {
        assertEquals(start, next);
        next += count;
      }
      assertEquals(next, ports, `${ports} ports on ${lcores} lcores`);
    }
  }
});

Deno.test("forwardingPaths: each port to its partner, on the process's queue", () => {
  assertEquals(forwardingPaths([0, 1, 2, 3], 1), [
    { rxPort: 0, txPort: 1, queue: 1 },
    { rxPort: 1, txPort: 0, queue: 1 },
    { rxPort: 2, txPort: 3, queue: 1 },
    { rxPort: 3, txPort: 2, queue: 1 },
  ]);
  assertEquals(forwardingPaths([4, 6], 0), [
    { rxPort: 4, txPort: 6, queue: 0 },
    { rxPort: 6, txPort: 4, queue: 0 },
  ]);
});

// ---------------------------------------------------------------- the report

Deno.test("formatPortStats prints C's exit lines, counts past 2^32 as integers", () => {
  const stats = new Float64Array(STATS_STRIDE * MAX_PORTS);
  const set = (port: number, rx: number, tx: number, drop: number) => {
    stats[port * STATS_STRIDE + STAT_RX] = rx;
    stats[port * STATS_STRIDE + STAT_TX] = tx;
    stats[port * STATS_STRIDE + STAT_DROP] = drop;
  };
  set(0, 111518016, 111517984, 32);
  set(1, 2 ** 40 + 1, 2 ** 33, 0);
  set(31, 5, 4, 1);
  assertEquals(
    formatPortStats([0, 1, 31], stats),
    "Port 0: RX - 111518016, TX - 111517984, Drop - 32\n" +
      "Port 1: RX - 1099511627777, TX - 8589934592, Drop - 0\n" +
      "Port 31: RX - 5, TX - 4, Drop - 1",
  );
  assertEquals(formatPortStats([], stats), "");
});

Deno.test("speedText as the C sample prints link speeds", () => {
  assertEquals(speedText(10000), "10 Gbps");
  assertEquals(speedText(2500), "2.5 Gbps");
  assertEquals(speedText(100), "100 Mbps");
  assertEquals(speedText(0), "None");
  assertEquals(speedText(0xffffffff), "Unknown");
});
