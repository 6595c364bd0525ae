/**
 * `struct port_info` of client_server_mp: the layout apps/client_server_mp/
 * shared.ts derives must be the one gcc gives the C example's own
 * `shared/common.h`. A small C probe includes that header (with DPDK's
 * build config, `pkg-config --cflags libdpdk`) and prints `offsetof` and
 * `sizeof` of every field, `MAX_CLIENTS` and the shared names as JSON.
 * It is built once as DPDK was built, and again with other values of
 * `RTE_MAX_ETHPORTS`, so the derivation is checked, not one number.
 *
 * Run: deno test -A tests/port_info_probe_test.ts (needs gcc, libdpdk-dev
 * and dpdk-doc; no root, no hugepages)
 *
 * @module
 */

import { assertEquals } from "@std/assert";
import { RTE } from "../mod.ts";
import {
  clientRingName,
  dpdkPortInfoLayout,
  MAX_CLIENTS,
  MZ_PORT_INFO,
  PKTMBUF_POOL_NAME,
  type PortInfoLayout,
  portInfoLayout,
} from "../apps/client_server_mp/shared.ts";

const SHARED = "/usr/share/dpdk/examples/multi_process/client_server_mp/shared";

const PROBE = `
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <rte_common.h>
#include <rte_log.h>
#ifdef PROBE_MAX_ETHPORTS
#undef RTE_MAX_ETHPORTS
#define RTE_MAX_ETHPORTS PROBE_MAX_ETHPORTS
#endif
#include "common.h"

int main(void)
{
	printf("{\\"RTE_MAX_ETHPORTS\\":%d,\\"MAX_CLIENTS\\":%d,"
	       "\\"RTE_CACHE_LINE_SIZE\\":%d,",
	       RTE_MAX_ETHPORTS, MAX_CLIENTS, RTE_CACHE_LINE_SIZE);
	printf("\\"num_ports\\":%zu,\\"id\\":%zu,\\"rx_stats\\":%zu,"
	       "\\"rx_stats_size\\":%zu,\\"tx_stats\\":%zu,"
	       "\\"tx_stats_size\\":%zu,\\"tx_drop\\":%zu,\\"tx_stats_1\\":%zu,"
	       "\\"size\\":%zu,",
	       offsetof(struct port_info, num_ports),
	       offsetof(struct port_info, id),
	       offsetof(struct port_info, rx_stats),
	       sizeof(struct rx_stats),
	       offsetof(struct port_info, tx_stats),
	       sizeof(struct tx_stats),
	       offsetof(struct tx_stats, tx_drop),
	       offsetof(struct port_info, tx_stats[1]),
	       sizeof(struct port_info));
	printf("\\"ring_3\\":\\"%s\\",\\"pool\\":\\"%s\\",\\"port_info\\":\\"%s\\"}\\n",
	       get_rx_queue_name(3), PKTMBUF_POOL_NAME, MZ_PORT_INFO);
	return 0;
}
`;

/** What the probe prints. */
interface Probe {
  RTE_MAX_ETHPORTS: number;
  MAX_CLIENTS: number;
  RTE_CACHE_LINE_SIZE: number;
  num_ports: number;
  id: number;
  rx_stats: number;
  rx_stats_size: number;
  tx_stats: number;
  tx_stats_size: number;
  tx_drop: number;
  tx_stats_1: number;
  size: number;
  ring_3: string;
  pool: string;
  port_info: string;
}

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const text = new TextDecoder();
  if (!out.success) {
    throw new Error(
      `${cmd} ${args.join(" ")} failed:\n${text.decode(out.stderr)}`,
    );
  }
  return text.decode(out.stdout);
}

/** Builds and runs the probe, with `RTE_MAX_ETHPORTS` = `maxPorts` if given. */
async function probe(dir: string, maxPorts?: number): Promise<Probe> {
  const cflags = (await run("pkg-config", ["--cflags", "libdpdk"])).trim()
    .split(/\s+/);
  const bin = `${dir}/probe_${maxPorts ?? "dpdk"}`;
  await run("gcc", [
    ...cflags,
    `-I${SHARED}`,
    ...(maxPorts === undefined ? [] : [`-DPROBE_MAX_ETHPORTS=${maxPorts}`]),
    "-Wall",
    "-Wno-unused-function",
    "-o",
    bin,
    `${dir}/probe.c`,
  ]);
  return JSON.parse(await run(bin, []));
}

/** The probe's numbers as shared.ts names them. */
function fromC(p: Probe): PortInfoLayout {
  assertEquals(p.tx_stats_1 - p.tx_stats, p.tx_stats_size, "tx_stats stride");
  return {
    maxPorts: p.RTE_MAX_ETHPORTS,
    maxClients: p.MAX_CLIENTS,
    numPorts: p.num_ports,
    id: p.id,
    rxStats: p.rx_stats,
    rxStatsSize: p.rx_stats_size,
    txStats: p.tx_stats,
    txStatsSize: p.tx_stats_size,
    txDrop: p.tx_drop,
    size: p.size,
  };
}

async function withProbeDir(fn: (dir: string) => Promise<void>): Promise<void> {
  try {
    await Deno.stat(`${SHARED}/common.h`);
  } catch {
    throw new Error(
      `${SHARED}/common.h is missing: apt-get install -y dpdk-doc`,
    );
  }
  const dir = await Deno.makeTempDir({ prefix: "port_info_probe_" });
  try {
    await Deno.writeTextFile(`${dir}/probe.c`, PROBE);
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("port_info: shared.ts lays it out as gcc lays out common.h", async () => {
  await withProbeDir(async (dir) => {
    const c = await probe(dir);
    assertEquals(c.RTE_MAX_ETHPORTS, RTE.RTE_MAX_ETHPORTS, "shim vs headers");
    assertEquals(c.MAX_CLIENTS, MAX_CLIENTS);
    assertEquals(dpdkPortInfoLayout(), fromC(c));
    assertEquals(
      [c.ring_3, c.pool, c.port_info],
      [clientRingName(3), PKTMBUF_POOL_NAME, MZ_PORT_INFO],
    );
  });
});

Deno.test("port_info: the derivation holds for other RTE_MAX_ETHPORTS", async () => {
  await withProbeDir(async (dir) => {
    // below, at, between and above cache-line multiples of the arrays
    for (const ports of [1, 4, 7, 31, 33, 64, 1024]) {
      const c = await probe(dir, ports);
      assertEquals(c.RTE_MAX_ETHPORTS, ports);
      assertEquals(
        portInfoLayout(ports, c.MAX_CLIENTS, c.RTE_CACHE_LINE_SIZE),
        fromC(c),
        `RTE_MAX_ETHPORTS ${ports}`,
      );
    }
  });
});
