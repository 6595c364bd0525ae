/**
 * Pure tests of client_server_mp (apps/mp_server.ts, apps/mp_client.ts):
 * the argument parsers, the round-robin split, the `struct port_info`
 * layout for any number of ports, and the statistics text. No root, no
 * hugepages, no shim, no permissions:
 *
 *   deno test tests/unit/client_server_test.ts
 *
 * @module
 */

import { assert, assertEquals, assertThrows } from "@std/assert";
import { UsageError } from "../../apps/common.ts";
import {
  outputPairs,
  parseClientArgs,
  parseServerArgs,
} from "../../apps/client_server_mp/args.ts";
import {
  firstOfClient,
  nextPosition,
  shareOf,
} from "../../apps/client_server_mp/round_robin.ts";
import {
  MAX_CLIENTS,
  portInfoLayout,
} from "../../apps/client_server_mp/shared.ts";
import {
  finalLines,
  screen,
  type Snapshot,
} from "../../apps/client_server_mp/stats.ts";

/** RTE_MAX_ETHPORTS as passed to the parsers (the shim is not loaded). */
const PORTS = 32;

// ---- mp_server's arguments ----

Deno.test("server args: -p and -n, separate or attached, and the long options", () => {
  assertEquals(parseServerArgs(["-p", "3", "-n", "2"], PORTS), {
    ports: [0, 1],
    numClients: 2,
    stats: false,
    json: false,
    waitClients: false,
  });
  assertEquals(
    parseServerArgs(
      ["--json", "-p0xf", "-n16", "--stats", "--wait-clients"],
      PORTS,
    ),
    {
      ports: [0, 1, 2, 3],
      numClients: MAX_CLIENTS,
      stats: true,
      json: true,
      waitClients: true,
    },
  );
  assertEquals(parseServerArgs(["-n", "1", "-p", "c"], PORTS).ports, [2, 3]);
});

Deno.test("server args: each mistake is a UsageError saying what is wrong", () => {
  const bad: [string[], string][] = [
    [["-p", "3"], "-n NUM_CLIENTS is missing"],
    [["-n", "2"], "no port mask given"],
    [["-p", "3", "-n", "0"], "invalid number of clients '0': expected 1..16"],
    [["-p", "3", "-n", "17"], "invalid number of clients '17'"],
    [["-p", "3", "-n", "2x"], "invalid number of clients '2x'"],
    [["-p", "3", "-n", "-1"], "invalid number of clients '-1'"],
    [["-p", "1", "-n", "1"], "an even number of ports is needed"],
    [["-p", "7", "-n", "1"], "an even number of ports is needed"],
    [["-p", "xyz", "-n", "1"], "invalid port mask 'xyz'"],
    [["-p", "0", "-n", "1"], "port mask is 0"],
    [["-p", "3", "-n"], "-n needs a value"],
    [["-p", "3", "-n", "1", "--verbose"], "unknown option '--verbose'"],
  ];
  for (const [args, message] of bad) {
    assertThrows(() => parseServerArgs(args, PORTS), UsageError, message);
  }
});

Deno.test("server args: port IDs are limited by the max-ports parameter", () => {
  // port 4 (mask 0x30) exists with 32 ports, not with 4
  assertEquals(parseServerArgs(["-p", "30", "-n", "1"], PORTS).ports, [4, 5]);
  assertThrows(
    () => parseServerArgs(["-p", "30", "-n", "1"], 4),
    UsageError,
    "names port 5, above the maximum 3",
  );
});

// ---- mp_client's arguments and port pairs ----

Deno.test("client args: -n CLIENT_ID and --json", () => {
  assertEquals(parseClientArgs(["-n", "0"]), { clientId: 0, json: false });
  assertEquals(parseClientArgs(["-n15", "--json"]), {
    clientId: MAX_CLIENTS - 1,
    json: true,
  });
  const bad: [string[], string][] = [
    [[], "-n CLIENT_ID is missing"],
    [["-n"], "-n needs a value"],
    [["-n", "16"], "invalid client ID '16': expected 0..15"],
    [["-n", "-1"], "invalid client ID '-1'"],
    [["-n", "1.5"], "invalid client ID '1.5'"],
    [["-n", "1", "-p", "3"], "unknown option '-p'"],
  ];
  for (const [args, message] of bad) {
    assertThrows(() => parseClientArgs(args), UsageError, message);
  }
});

Deno.test("client output pairs: ports paired in order, both ways", () => {
  assertEquals(outputPairs([0, 1]), [[0, 1], [1, 0]]);
  assertEquals(outputPairs([2, 5, 7, 9]), [[2, 5], [5, 2], [7, 9], [9, 7]]);
  // as C's loop `i < num_ports - 1`: a last odd port is not routed
  assertEquals(outputPairs([0, 1, 4]), [[0, 1], [1, 0]]);
  assertEquals(outputPairs([]), []);
});

// ---- the round-robin split ----

Deno.test("round robin: each client's share is what C's per-packet loop gives it", () => {
  for (let clients = 1; clients <= 5; clients++) {
    for (let position = 0; position < clients; position++) {
      for (let n = 0; n <= 40; n++) {
        // process_packets: packet i goes to client (position + i) % clients
        const want: number[][] = Array.from({ length: clients }, () => []);
        for (let i = 0; i < n; i++) want[(position + i) % clients].push(i);
        for (let c = 0; c < clients; c++) {
          const first = firstOfClient(position, c, clients);
          const count = shareOf(n, first, clients);
          const got = Array.from(
            { length: count },
            (_, k) => first + k * clients,
          );
          assertEquals(
            got,
            want[c],
            `k=${clients} pos=${position} n=${n} c=${c}`,
          );
        }
        assertEquals(
          nextPosition(position, n, clients),
          (position + n) % clients,
        );
      }
    }
  }
});

Deno.test("round robin: the position carries over bursts (100 packets, 3 clients)", () => {
  const totals = [0, 0, 0];
  let position = 0;
  for (const n of [32, 32, 32, 4]) {
    for (let c = 0; c < 3; c++) {
      totals[c] += shareOf(n, firstOfClient(position, c, 3), 3);
    }
    position = nextPosition(position, n, 3);
  }
  // packet i overall goes to client i % 3
  assertEquals(totals, [34, 33, 33]);
});

// ---- struct port_info ----

Deno.test("port_info layout: hand-checked cases", () => {
  // 32 ports: num_ports + id[32] end at byte 66 -> rx_stats at 128, 256
  // bytes; tx_stats at 384, 512 bytes each (tx[32], tx_drop[32])
  assertEquals(portInfoLayout(32), {
    maxPorts: 32,
    maxClients: 16,
    numPorts: 0,
    id: 2,
    rxStats: 128,
    rxStatsSize: 256,
    txStats: 384,
    txStatsSize: 512,
    txDrop: 256,
    size: 384 + 16 * 512,
  });
  // 1 port: everything fits in one line each: 64 + 64 + 16 * 64
  const one = portInfoLayout(1);
  assertEquals([one.rxStats, one.rxStatsSize, one.txStats, one.txStatsSize], [
    64,
    64,
    128,
    64,
  ]);
  assertEquals(one.size, 128 + 16 * 64);
  // 33 ports: id[] ends at 68; rx 264 -> 320 bytes; tx 528 -> 576 bytes
  const l33 = portInfoLayout(33, 2);
  assertEquals([l33.rxStats, l33.rxStatsSize, l33.txStats, l33.txStatsSize], [
    128,
    320,
    448,
    576,
  ]);
  assertEquals(l33.size, 448 + 2 * 576);
});

Deno.test("port_info layout: aligned, disjoint sections for any port count", () => {
  for (let ports = 1; ports <= 300; ports++) {
    for (const line of [32, 64, 128]) {
      const l = portInfoLayout(ports, MAX_CLIENTS, line);
      const ctx = `${ports} ports, line ${line}`;
      assertEquals(l.rxStats % line, 0, ctx);
      assertEquals(l.txStats % line, 0, ctx);
      assertEquals(l.txStatsSize % line, 0, ctx);
      assertEquals(l.size % line, 0, ctx);
      assert(l.id + 2 * ports <= l.rxStats, ctx);
      assert(l.rxStats + 8 * ports <= l.txStats, ctx);
      assert(l.txDrop + 8 * ports <= l.txStatsSize, ctx);
      assert(l.rxStats + l.rxStatsSize <= l.txStats, ctx);
      // no more padding than one line per section
      assert(l.rxStats - (l.id + 2 * ports) < line, ctx);
      assert(l.txStatsSize - 16 * ports < line, ctx);
      assertEquals(l.size, l.txStats + MAX_CLIENTS * l.txStatsSize, ctx);
    }
  }
});

Deno.test("port_info layout: refuses nonsense parameters", () => {
  assertThrows(() => portInfoLayout(0), RangeError, "maxPorts 0");
  assertThrows(() => portInfoLayout(1.5), RangeError, "maxPorts 1.5");
  assertThrows(() => portInfoLayout(32, 0), RangeError, "maxClients 0");
  assertThrows(() => portInfoLayout(32, 16, 48), RangeError, "cache line 48");
});

// ---- statistics text ----

const SNAP: Snapshot = {
  ports: [
    { port: 0, mac: "02:00:00:00:00:0a", rx: 1234567, tx: 89, tx_drop: 1 },
    { port: 1, mac: "02:00:00:00:00:0b", rx: 0, tx: 123456789012, tx_drop: 0 },
  ],
  clients: [
    { client: 0, pid: 10, rx: 5, rx_drop: 6, tx: 7, tx_drop: 8 },
    { client: 11, pid: 0, rx: 0, rx_drop: 0, tx: 0, tx_drop: 0 },
  ],
};

Deno.test("stats screen: the C server's do_stats_display text", () => {
  // printf formats of do_stats_display: "Port %u: '%s'\t", "Port %u - rx:
  // %9"PRIu64"\ttx: %9"PRIu64"\n", "Client %2u - rx: %9llu, rx_drop: %9llu\n
  //             tx: %9"PRIu64", tx_drop: %9"PRIu64"\n"; MACs as
  // rte_ether_format_addr prints them (%02X)
  const want = [
    "PORTS",
    "-----",
    "Port 0: '02:00:00:00:00:0A'\tPort 1: '02:00:00:00:00:0B'\t",
    "",
    "Port 0 - rx:   1234567\ttx:        89",
    "Port 1 - rx:         0\ttx: 123456789012",
    "",
    "CLIENTS",
    "-------",
    "Client  0 - rx:         5, rx_drop:         6",
    "            tx:         7, tx_drop:         8",
    "Client 11 - rx:         0, rx_drop:         0",
    "            tx:         0, tx_drop:         0",
    "",
  ].join("\n");
  assertEquals(screen(SNAP, false), want);
  assertEquals(screen(SNAP, true), "\x1b[2J\x1b[1;1H" + want);
});

Deno.test("stats: the server's closing lines", () => {
  assertEquals(
    finalLines({
      left: [3, 0, 4],
      freed: [0, 100, 0],
      mbufs: { size: 8191, in_use: 7 },
    }),
    "Mbufs in client rings: 7 left for running clients, 100 freed at exit\n" +
      "Mbufs in use: 7 of 8191",
  );
});
