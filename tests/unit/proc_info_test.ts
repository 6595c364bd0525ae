/**
 * Pure tests of proc_info and what it relies on: its option parser, port
 * selection, text and JSON output, rates; the lcore options of EAL
 * command lines (the watcher's lcore pick reads other processes' command
 * lines) and the clash check of the robust attach (/proc/PID/maps).
 * No root, no shim, no EAL, no permissions:
 *
 *   deno test tests/unit/proc_info_test.ts
 *
 * @module
 */

import { assertEquals, assertMatch, assertThrows } from "@std/assert";
import {
  formatMemzones,
  formatRates,
  formatRings,
  formatStats,
  formatXstats,
  parseProcInfoArgs,
  rates,
  selectPorts,
  si,
  table,
  toJson,
  UsageError,
} from "../../apps/proc_info.ts";
import {
  describeClash,
  ealPart,
  failureReason,
  filePrefixOf,
  findClashes,
  foreignClashes,
  lcoresOfEalArgs,
  optionValues,
  parseCoreMask,
  parseLcoreList,
  parseLcoreMap,
  parseMaps,
  type PortStats,
  programArgs,
} from "../../mod.ts";

Deno.test("options: defaults, every flag, optional names", () => {
  const d = parseProcInfoArgs([]);
  assertEquals(d.stats, true); // no action: --stats, as C
  assertEquals([d.json, d.watch, d.portMask], [false, undefined, undefined]);
  const o = parseProcInfoArgs([
    "-p",
    "0x5",
    "--xstats",
    "--stats-reset",
    "--xstats-reset",
    "--show-port",
    "--show-ring=PRI_2_SEC",
    "--show-mempool",
    "--show-memzone",
    "--version",
    "--json",
    "--watch",
    "0.5",
  ]);
  assertEquals(o.portMask, 5n);
  assertEquals(o.stats, false); // an action was given
  assertEquals(
    [o.xstats, o.statsReset, o.xstatsReset, o.showPort, o.showMemzone],
    [true, true, true, true, true],
  );
  assertEquals([o.showRing, o.showMempool], ["PRI_2_SEC", true]);
  assertEquals([o.version, o.json, o.watch], [true, true, 0.5]);
  assertEquals(parseProcInfoArgs(["-p3"]).portMask, 3n);
  assertEquals(parseProcInfoArgs(["--watch=2"]).watch, 2);
  assertEquals(parseProcInfoArgs(["-m"]).showMemzone, true);
  assertEquals(parseProcInfoArgs(["--help"]).help, true);
});

Deno.test("options: unknown or malformed ones are refused", () => {
  for (
    const [args, msg] of [
      [["--bogus"], "unknown option --bogus"],
      [["stats"], "unknown option stats"],
      [["-p"], "-p needs a value"],
      [["-p", "0xg"], "not a hexadecimal port mask"],
      [["--watch"], "--watch needs a value"],
      [["--watch", "--json"], "--watch needs a value"],
      [["--watch", "0"], "not a number of seconds"],
      [["--watch", "-1"], "not a number of seconds"],
      [["--watch", "soon"], "not a number of seconds"],
      [["--show-ring="], "--show-ring= needs a name"],
    ] as const
  ) {
    assertThrows(() => parseProcInfoArgs([...args]), UsageError, msg);
  }
});

Deno.test("ports selected by mask", () => {
  assertEquals(selectPorts([0, 1, 2, 3]), [0, 1, 2, 3]);
  assertEquals(selectPorts([0, 1, 2, 3], 0b1010n), [1, 3]);
  assertEquals(selectPorts([0, 2], 0b10n), []);
});

const STATS: PortStats = {
  ipackets: 100,
  opackets: 90,
  ibytes: 6400,
  obytes: 5760,
  imissed: 1,
  ierrors: 2,
  oerrors: 3,
  rxNoMbuf: 4,
  qIpackets: [60, 40],
  qOpackets: [50, 40],
};

Deno.test("text output: counters, extended counters, tables", () => {
  const s = formatStats(0, STATS);
  assertMatch(s, /NIC statistics for port 0/);
  assertMatch(s, /RX-packets: 100\s+RX-errors: 2\s+RX-bytes: 6400/);
  assertMatch(s, /RX-missed: {2}1\s+RX-nombuf: 4/);
  assertMatch(s, /TX-packets: 90\s+TX-errors: 3\s+TX-bytes: 5760/);
  assertMatch(s, /Stats reg {2}1 RX-packets: 40\s+TX-packets: 40/);
  const x = formatXstats(1, [
    { id: 0, name: "rx_good_packets", value: 7 },
    { id: 1, name: "tx_errors", value: 0 },
  ]);
  assertEquals(x.split("\n").slice(1, 3), [
    "  rx_good_packets: 7",
    "  tx_errors      : 0",
  ]);
  assertEquals(
    table(["name", "n"], [["a", 1], ["bbb", 22]]),
    "name   n\na      1\nbbb   22",
  );
  assertEquals(
    formatRings([{
      name: "R",
      flags: 3,
      flagNames: ["SP_ENQ", "SC_DEQ"],
      size: 64,
      capacity: 63,
      count: 1,
      free: 62,
      memzone: "RG_R",
    }]).split("\n")[1],
    "R       64        63      1    62  SP_ENQ,SC_DEQ",
  );
  assertMatch(
    formatMemzones([{
      name: "Z",
      len: 896,
      socket: 0,
      flags: 0,
      flagNames: [],
      hugepageSize: 2097152,
      addr: "0x1003d9ac0",
      iova: "0x0",
    }]),
    /^Z\s+896\s+0\s+2097152\s+0x1003d9ac0\s+-$/m,
  );
});

Deno.test("rates between two readings", () => {
  const later = { ...STATS, ipackets: 1100, opackets: 590, ibytes: 70400 };
  const r = rates(2, STATS, later, 0.5);
  assertEquals(r, {
    port: 2,
    rxPps: 2000,
    txPps: 1000,
    rxBps: 1024000,
    txBps: 0,
    dropPps: 0,
  });
  // counters reset meanwhile: no negative rate
  assertEquals(rates(0, later, STATS, 1).rxPps, 0);
  assertEquals([si(999), si(14_880_000), si(1500)], [
    "999",
    "14.88 M",
    "1.50 k",
  ]);
  assertEquals(
    formatRates(r),
    "port 2: rx 2.00 kpps 1.02 Mbit/s  tx 1.00 kpps 0 bit/s  drop 0 pps",
  );
});

Deno.test("JSON output: BigInt as text, parses back", () => {
  const text = toJson({ a: 1n << 60n, b: [1, "x"] });
  assertEquals(JSON.parse(text), { a: "1152921504606846976", b: [1, "x"] });
});

Deno.test("EAL lcore options: lists, maps, masks, defaults", () => {
  assertEquals(parseLcoreList("0-2,5"), [0, 1, 2, 5]);
  assertEquals(parseLcoreList("(3-1)"), [1, 2, 3]);
  assertThrows(() => parseLcoreList("1-x"), RangeError);
  assertEquals(parseLcoreMap("2@1"), [2]);
  assertEquals(parseLcoreMap("(0-1)@0,3@(0,1),7"), [0, 1, 3, 7]);
  assertEquals(parseCoreMask("0x13"), [0, 1, 4]);
  assertEquals(parseCoreMask("f"), [0, 1, 2, 3]);
  assertEquals(lcoresOfEalArgs(["-l", "0-1", "--no-pci"], 8), [0, 1]);
  assertEquals(lcoresOfEalArgs(["-l3"], 8), [3]);
  assertEquals(lcoresOfEalArgs(["--lcores=2@0,3@1"], 8), [2, 3]);
  assertEquals(lcoresOfEalArgs(["--lcores", "4@1"], 8), [4]);
  assertEquals(lcoresOfEalArgs(["-c", "0x6", "--main-lcore=1"], 8), [1, 2]);
  // none given: EAL's default, one lcore ID per CPU
  assertEquals(lcoresOfEalArgs(["--no-pci", "--file-prefix=x"], 2), [0, 1]);
  // -l's value is not mistaken for another option's
  assertEquals(lcoresOfEalArgs(["--log-level", "lib.eal:error"], 1), [0]);
});

Deno.test("program arguments of a command line (deno or not)", () => {
  assertEquals(
    programArgs([
      "/usr/bin/deno",
      "run",
      "-A",
      "--config",
      "deno.json",
      "/w/apps/simple_mp.ts",
      "--lcores=2@0",
      "--",
      "-n",
      "1",
    ]),
    ["--lcores=2@0", "--", "-n", "1"],
  );
  assertEquals(programArgs(["./build/simple_mp", "-l", "0-1"]), [
    "-l",
    "0-1",
  ]);
  assertEquals(programArgs(["deno"]), []);
  assertEquals(ealPart(["-l", "1", "--", "-p", "3"]), ["-l", "1"]);
  assertEquals(
    optionValues(["--file-prefix", "a", "--file-prefix=b"], "file-prefix"),
    ["a", "b"],
  );
  assertEquals(filePrefixOf(["--no-pci"]), "rte");
  assertEquals(filePrefixOf(["--file-prefix=smp", "--", "x"]), "smp");
});

Deno.test("attach: the mappings that clash with the primary's ranges", () => {
  const maps = parseMaps(
    "100000000-100007000 rw-s 00000000 00:19 1234 /run/dpdk/x/config\n" +
      "2fff00000-300100000 ---p 00000000 00:00 0 \n" +
      "55a6162f7000-55a6162f8000 r--p 00000000 08:01 99 /usr/bin/deno\n" +
      "garbage line\n",
  );
  assertEquals(maps.length, 3);
  assertEquals(maps[1], {
    start: 0x2fff00000n,
    end: 0x300100000n,
    perms: "---p",
    path: "",
  });
  const ranges = [
    { what: "memory of m0", start: 0x100200000n, end: 0x300000000n },
    { what: "runtime config", start: 0x100000000n, end: 0x100007000n },
    { what: "memory of m1", start: 0x300100000n, end: 0x400000000n },
  ];
  const clashes = findClashes(ranges, maps);
  // the reservation overlaps m0's end; the config mapping is the config
  // itself (a process that attached already); m1 starts where it ends
  assertEquals(
    clashes.map((c) => [c.range.what, c.mapping.start]),
    [["memory of m0", 0x2fff00000n], ["runtime config", 0x100000000n]],
  );
  assertEquals(
    describeClash(clashes[0]),
    "0x2fff00000-0x300100000 (an address-space reservation, V8's as a " +
      "rule) lies in the primary's memory of m0 at 0x100200000-0x300000000",
  );
});

Deno.test("attach: after EAL failed, only foreign mappings count", () => {
  const ranges = [
    { what: "runtime config", start: 0x100000000n, end: 0x100007000n },
    { what: "memory of m0", start: 0x100200000n, end: 0x500200000n },
    { what: "memory of m1", start: 0x500400000n, end: 0x900400000n },
  ];
  const maps = parseMaps([
    "100000000-100007000 rw-s 0 0:1 1 /run/dpdk/p/config",
    // EAL reserved m0 whole, a hugepage of the group mapped inside
    "100200000-100400000 rw-s 0 0:1 2 /dev/hugepages/pmap_0",
    "100400000-500200000 ---p 0 0:0 0 ",
    // m1 failed: a foreign reservation sits inside it
    "700000000-700200000 ---p 0 0:0 0 ",
  ].join("\n"));
  assertEquals(
    foreignClashes(ranges, maps, "p").map((
      c,
    ) => [c.range.what, c.mapping.start]),
    [["memory of m1", 0x700000000n]],
  );
  // another group's files inside the range are foreign too
  const other = parseMaps(
    "100000000-100007000 rw-s 0 0:1 1 /run/dpdk/q/config",
  );
  assertEquals(foreignClashes(ranges, other, "p").length, 1);
});

Deno.test("a failed attach explained in one line from DPDK's log", () => {
  const log = "EAL: Detected CPU lcores: 2\n" +
    "EAL: Cannot get a virtual area at requested address: 0x900600000 " +
    "(got 0x7f0b70000000)\n" +
    "EAL: Cannot preallocate VA space for hugepage memory\n" +
    "EAL: FATAL: Cannot init memory\n";
  assertEquals(
    failureReason(log),
    "Cannot get a virtual area at requested address: 0x900600000 " +
      "(got 0x7f0b70000000); Cannot preallocate VA space for " +
      "hugepage memory",
  );
  assertEquals(
    failureReason(
      "EAL: core 7 unavailable\nEAL: invalid parameter for --lcores\n" +
        "EAL: FATAL: Invalid 'command line' arguments.\n",
    ),
    "core 7 unavailable; invalid parameter for --lcores",
  );
  assertEquals(failureReason("EAL: Detected NUMA nodes: 1\n"), undefined);
});
