/**
 * client_server_mp (apps/mp_server.ts, apps/mp_client.ts): real processes
 * on virtual ports, one `--file-prefix` group per test.
 *
 * The server runs with `--json`, so its statistics (every second and at
 * exit) are read as JSON lines; the clients print their final counts as
 * JSON too. Port counters are cross-checked over DPDK's telemetry socket.
 *
 * Run: deno test -A tests/client_server_test.ts
 *
 * @module
 */

import { DEFAULT_BASE_VIRTADDR } from "../mod.ts";
import { assert, assertEquals, assertMatch } from "@std/assert";
import { portStats } from "../support/telemetry.ts";
import { cOriginal } from "../support/c_build.ts";
import { ealArgs, Proc, ROOT, withGroup } from "../support/proc.ts";
import { readPcap, writePcap } from "../support/pcap.ts";

const NULL2 = ["--vdev=net_null0", "--vdev=net_null1"];
/**
 * DPDK maps hugepage memory at the same address in every process of a
 * group, and V8 takes random addresses below 2^46: our apps put EAL's
 * memory above that by default (lib/eal.ts); the C originals get the same
 * address here, so a Deno secondary of a C primary attaches every time.
 */
const BASE_VA = `--base-virtaddr=${DEFAULT_BASE_VIRTADDR}`;

interface PortLine {
  port: number;
  rx: number;
  tx: number;
  tx_drop: number;
}
interface ClientLine {
  client: number;
  pid: number;
  rx: number;
  rx_drop: number;
  tx: number;
  tx_drop: number;
}
/** The server's JSON lines. */
interface ServerStats {
  type: "stats" | "final";
  time: number;
  ports: PortLine[];
  clients: ClientLine[];
  ethdev?: { port: number; ipackets: number; opackets: number }[];
  left?: number[];
  freed?: number[];
  mbufs?: { size: number; in_use: number };
}
/** A client's final JSON line. */
interface ClientFinal {
  type: "final";
  client: number;
  rx: number;
  tx: number;
  tx_drop: number;
  reason: string;
}

interface Start {
  prefix: string;
  lcores: string;
  app: string[];
  vdevs?: string[];
  c?: string;
  cwd?: string;
  name?: string;
}

/** Our app (`mp_server` or `mp_client`), or the C binary `s.c`. */
function start(app: "server" | "client", s: Start): Proc {
  const args = [
    `--lcores=${s.lcores}`,
    ...ealArgs(s.prefix, BASE_VA),
    ...(app === "client" ? ["--proc-type=secondary"] : []),
    ...(s.vdevs ?? []),
    "--",
    ...s.app,
  ];
  const name = s.name ?? `mp_${app}`;
  return s.c ? new Proc(s.c, args, { name, cwd: s.cwd }) : new Proc(
    Deno.execPath(),
    ["run", "-A", `${ROOT}apps/mp_${app}.ts`, ...args],
    { name, cwd: s.cwd },
  );
}

/** Our server with `-p 3 -n N --json` (plus `more`) on lcore 0. */
function server(
  prefix: string,
  n: number,
  more: string[] = [],
  vdevs = NULL2,
): Proc {
  return start("server", {
    prefix,
    lcores: "0@0",
    vdevs,
    app: ["-p", "3", "-n", String(n), "--json", ...more],
  });
}

/** Our client `id` with `--json` on the given lcores. */
function client(prefix: string, id: number, lcores: string): Proc {
  return start("client", {
    prefix,
    lcores,
    app: ["-n", String(id), "--json"],
    name: `mp_client ${id}`,
  });
}

/** JSON objects among the complete lines of a process's output. */
function jsonLines<T>(p: Proc): T[] {
  const lines = p.output.split("\n").slice(0, -1);
  return lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
}

/**
 * Waits for a JSON line of `p` for which `pred` holds; on failure shows
 * the output of `p` and of the `others`.
 */
async function waitJson<T>(
  p: Proc,
  pred: (x: T) => boolean,
  others: Proc[] = [],
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = jsonLines<T>(p).find(pred);
    if (hit !== undefined) return hit;
    const left = deadline - Date.now();
    try {
      if (left <= 0) throw new Error("timed out");
      await p.waitFor(/\n/, left, p.output.length);
    } catch (e) {
      const more = others.map((o) => `\n--- ${o.name}:\n${o.output}`);
      throw new Error(
        `${p.name}: no JSON line as expected (${
          (e as Error).message.split("\n")[0]
        }); ` +
          `output:\n${p.output}${more.join("")}`,
      );
    }
  }
}

/** Sends SIGINT, expects exit status `code`, returns the final JSON line. */
async function stop<T>(p: Proc, code = 0): Promise<T> {
  p.kill("SIGINT");
  const status = await p.exit();
  assertEquals(status.code, code, `${p.name} exit status:\n${p.output}`);
  const fin = jsonLines<{ type: string }>(p).find((x) => x.type === "final");
  assert(fin, `${p.name} printed no final counts:\n${p.output}`);
  return fin as T;
}

/** Waits for the exit and expects status 1 with `message` in the output. */
async function refused(p: Proc, message: RegExp): Promise<void> {
  const status = await p.exit();
  assertEquals(status.code, 1, `${p.name} should be refused:\n${p.output}`);
  assertMatch(p.output, message);
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

Deno.test("net_null: two clients forward, and every count adds up", async () => {
  await withGroup("csmp_null", async ({ prefix, track }) => {
    const srv = track(server(prefix, 2));
    await srv.waitFor("Finished Process Init");
    const c0 = track(client(prefix, 0, "1@1"));
    const c1 = track(client(prefix, 1, "2@1"));
    await c0.waitFor("Client process 0 handling packets");
    await c1.waitFor("Client process 1 handling packets");
    await waitJson<ServerStats>(
      srv,
      (s) => s.clients.every((c) => c.tx > 10_000 && c.pid > 0),
      [c0, c1],
    );
    const f0 = await stop<ClientFinal>(c0);
    const f1 = await stop<ClientFinal>(c1);
    const clients = [f0, f1];
    // the clients are gone: what left the ports is final
    const tel = await portStats(prefix, [0, 1]);
    const fin = await stop<ServerStats>(srv);

    for (const [c, f] of clients.entries()) {
      assertEquals(f.reason, "signal");
      // everything dequeued went out (flushed at exit)
      assertEquals(f.rx, f.tx + f.tx_drop, `client ${c} rx`);
      const s = fin.clients[c];
      assertEquals(s.tx, f.tx, `client ${c} tx in port_info`);
      assertEquals(s.tx_drop, f.tx_drop, `client ${c} tx_drop in port_info`);
      // what the server enqueued was dequeued, or freed from the ring at exit
      assertEquals(s.rx, f.rx + fin.left![c] + fin.freed![c], `client ${c}`);
      assertEquals(fin.left![c], 0, "rings of stopped clients are drained");
    }
    for (const [j, p] of fin.ports.entries()) {
      assertEquals(p.rx, fin.ethdev![j].ipackets, `port ${p.port} rx`);
      assertEquals(p.tx, fin.ethdev![j].opackets, `port ${p.port} tx`);
      assertEquals(p.tx, tel[j].opackets, `port ${p.port} tx (telemetry)`);
    }
    // the server's RX all went to a ring or was dropped as the ring was full
    assertEquals(
      sum(fin.ports.map((p) => p.rx)),
      sum(fin.clients.map((c) => c.rx + c.rx_drop)),
    );
    assertEquals(
      sum(fin.ports.map((p) => p.tx)),
      sum(clients.map((f) => f.tx)),
    );
    assertEquals(fin.mbufs!.in_use, 0, "every mbuf is back in the pool");
  });
});

// ---- exact packets through net_pcap ----

/** Frame i: distinct length and contents. */
function frame(i: number): Uint8Array {
  const f = new Uint8Array(60 + (i % 40));
  f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xb5]); // local ethertype
  new DataView(f.buffer).setUint32(14, i);
  for (let k = 18; k < f.length; k++) f[k] = (i * 7 + k) & 0xff;
  return f;
}

Deno.test("net_pcap: known frames in on port 0 leave port 1, round-robin over 3 clients", async () => {
  const dir = await Deno.makeTempDir({ prefix: "csmp_pcap_" });
  const CLIENTS = [0, 1, 2];
  try {
    // 100 frames: bursts of 32, 32, 32 and 4, so the round-robin position
    // carries over from burst to burst (32 % 3 != 0)
    const sent = Array.from({ length: 100 }, (_, i) => frame(i));
    await Deno.writeFile(`${dir}/in`, writePcap(sent));
    await Deno.writeFile(`${dir}/none`, writePcap([]));
    await withGroup("csmp_pcap", async ({ prefix, track }) => {
      // devargs stay short: a secondary re-reads them from 64 bytes; port
      // N's TX queue q (client q's) writes to file "pNq"
      const txs = (port: number) =>
        CLIENTS.map((q) => `tx_pcap=p${port}${q}`).join(",");
      const vdevs = [
        `--vdev=net_pcap0,rx_pcap=in,${txs(0)}`,
        `--vdev=net_pcap1,rx_pcap=none,${txs(1)}`,
      ];
      const srv = track(start("server", {
        prefix,
        lcores: "0@0",
        vdevs,
        app: ["-p", "3", "-n", "3", "--json", "--wait-clients"],
        cwd: dir,
      }));
      await srv.waitFor("Finished Process Init");
      await srv.waitFor("0/3 clients attached");
      // every process opens (and truncates) the TX files as it attaches:
      // the server forwards only once all clients are there
      const cs = CLIENTS.map((id) =>
        track(start("client", {
          prefix,
          lcores: `${id + 1}@1`,
          app: ["-n", String(id), "--json"],
          cwd: dir,
          name: `mp_client ${id}`,
        }))
      );
      await srv.waitFor("3/3 clients attached");
      await waitJson<ServerStats>(
        srv,
        (s) => sum(s.clients.map((c) => c.tx)) === 100,
        cs,
      );
      const fins = [];
      for (const c of cs) fins.push(await stop<ClientFinal>(c));
      const fin = await stop<ServerStats>(srv);

      const share = CLIENTS.map((q) => sent.filter((_, i) => i % 3 === q));
      assertEquals(fins.map((f) => f.tx), [34, 33, 33]);
      assertEquals(fin.ports.map((p) => [p.rx, p.tx]), [[100, 0], [0, 100]]);
      assertEquals(
        fin.clients.map((c) => [c.rx, c.rx_drop, c.tx]),
        [[34, 0, 34], [33, 0, 33], [33, 0, 33]],
      );
      for (const q of CLIENTS) {
        const got = readPcap(await Deno.readFile(`${dir}/p1${q}`));
        assertEquals(got.length, share[q].length, `client ${q} on port 1`);
        got.forEach((f, k) =>
          assertEquals(f, share[q][k], `client ${q}, frame ${k}`)
        );
        const back = readPcap(await Deno.readFile(`${dir}/p0${q}`));
        assertEquals(back.length, 0, "nothing goes out of port 0");
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a client restarted mid-run gets its ID back; the server runs on", async () => {
  await withGroup("csmp_restart", async ({ prefix, track }) => {
    const srv = track(server(prefix, 2));
    await srv.waitFor("Finished Process Init");
    const c0 = track(client(prefix, 0, "1@1"));
    const c1 = track(client(prefix, 1, "2@1"));
    await c0.waitFor("handling packets");
    await c1.waitFor("handling packets");
    const before = await waitJson<ServerStats>(
      srv,
      (s) => s.clients.every((c) => c.tx > 10_000),
      [c0, c1],
    );
    // Stopped, not SIGKILLed: a process killed inside a multi-producer
    // ring operation (the shared mempool's ring, on every free) leaves the
    // ring's head ahead of its tail, and every other process then spins on
    // it forever. DPDK cannot recover that; seen here as a rare hang.
    c0.kill("SIGTERM");
    await c0.exit();
    // the server sees client 0 gone, and goes on forwarding for client 1
    const gone = await waitJson<ServerStats>(
      srv,
      (s) =>
        s.time > before.time && s.clients[0].pid === 0 &&
        s.clients[1].tx > before.clients[1].tx,
      [c1],
    );
    // same client ID, on another lcore ID
    const again = track(client(prefix, 0, "3@1"));
    await again.waitFor("Client process 0 handling packets");
    const after = await waitJson<ServerStats>(
      srv,
      (s) =>
        s.clients[0].pid === again.child.pid &&
        s.clients[0].tx > gone.clients[0].tx + 10_000 &&
        s.clients[1].tx > gone.clients[1].tx,
      [again, c1],
    );
    assertEquals(after.clients[1].pid, c1.child.pid);
    const f = await stop<ClientFinal>(again);
    await stop<ClientFinal>(c1);
    const fin = await stop<ServerStats>(srv);
    assertEquals(fin.left, [0, 0]);
    // port_info.tx_stats[0] goes on from where the first client 0 left it
    const first = jsonLines<ClientFinal>(c0).find((x) => x.type === "final");
    assertEquals(first?.reason, "signal", c0.output);
    assertEquals(fin.clients[0].tx, first!.tx + f.tx);
  });
});

Deno.test("clients exit with a clear message when the server is killed", async () => {
  await withGroup("csmp_kill", async ({ prefix, track }) => {
    const srv = track(server(prefix, 2));
    await srv.waitFor("Finished Process Init");
    const cs = [0, 1].map((id) => track(client(prefix, id, `${id + 1}@1`)));
    for (const c of cs) await c.waitFor("handling packets");
    await waitJson<ServerStats>(
      srv,
      (s) => s.clients.every((c) => c.tx > 0),
      cs,
    );
    srv.kill("SIGKILL");
    await srv.exit();
    for (const c of cs) {
      const status = await c.exit(10_000);
      assertEquals(status.code, 1, c.output);
      assertMatch(c.output, /the server has stopped: exiting/);
      const fin = jsonLines<ClientFinal>(c).find((x) => x.type === "final");
      assertEquals(fin?.reason, "server-gone");
      assertEquals(fin!.rx, fin!.tx + fin!.tx_drop, "buffers were flushed");
    }
  });
});

Deno.test("a client killed while it holds its ID is replaced: its claims are stale", async () => {
  await withGroup("csmp_stale", async ({ prefix, track }) => {
    // --wait-clients: nothing is forwarded while only client 0 runs, so
    // the SIGKILL cannot catch it inside a shared ring operation
    const srv = track(server(prefix, 2, ["--wait-clients"]));
    await srv.waitFor("0/2 clients attached");
    const c0 = track(client(prefix, 0, "1@1"));
    await c0.waitFor("handling packets");
    await srv.waitFor("1/2 clients attached");
    const mark = srv.output.length;
    c0.kill("SIGKILL");
    await c0.exit();
    // its client ID (and lcore ID) still name the dead pid: not attached
    await srv.waitFor("0/2 clients attached", 20_000, mark);
    // the same client ID on the same lcore ID takes both claims over
    const again = track(client(prefix, 0, "1@1"));
    await again.waitFor("Client process 0 handling packets");
    const c1 = track(client(prefix, 1, "2@1"));
    await c1.waitFor("Client process 1 handling packets");
    await srv.waitFor("2/2 clients attached", 20_000, mark);
    const s = await waitJson<ServerStats>(
      srv,
      (s) => s.clients.every((c) => c.tx > 0),
      [again, c1],
    );
    assertEquals(
      s.clients.map((c) => c.pid),
      [again.child.pid, c1.child.pid],
    );
    await stop<ClientFinal>(again);
    await stop<ClientFinal>(c1);
    const fin = await stop<ServerStats>(srv);
    assertEquals(fin.mbufs!.in_use, 0, "every mbuf is back in the pool");
  });
});

Deno.test("refusals: client ID out of range, duplicate ID, shared lcore ID", async () => {
  await withGroup("csmp_refuse", async ({ prefix, track }) => {
    const srv = track(server(prefix, 2));
    await srv.waitFor("Finished Process Init");
    await refused(
      track(client(prefix, 2, "1@1")),
      /client ID 2 is out of range: the server runs 2 client\(s\), IDs 0\.\.1/,
    );
    await refused(
      track(client(prefix, 16, "1@1")),
      /invalid client ID '16': expected 0\.\.15/,
    );
    // lcore IDs are claimed by initEal in every process of ours
    await refused(
      track(client(prefix, 0, "0@1")),
      new RegExp(
        `lcore ID 0 is used by process ${srv.child.pid} of this group`,
      ),
    );
    const c0 = track(client(prefix, 0, "1@1"));
    await c0.waitFor("handling packets");
    await refused(
      track(client(prefix, 0, "2@1")),
      new RegExp(`client ID 0 is already attached \\(pid ${c0.child.pid}\\)`),
    );
    await refused(
      track(client(prefix, 1, "1@0")),
      new RegExp(`lcore ID 1 is used by process ${c0.child.pid} of this group`),
    );
    // the refused ones left no claim behind
    const c1 = track(client(prefix, 1, "2@1"));
    await c1.waitFor("Client process 1 handling packets");
    await waitJson<ServerStats>(
      srv,
      (s) => s.clients.every((c) => c.tx > 0),
      [c0, c1],
    );
    await stop<ClientFinal>(c0);
    await stop<ClientFinal>(c1);
    await stop<ServerStats>(srv);
  });
});

Deno.test("refusals: no server, bad server arguments", async () => {
  await withGroup("csmp_noserver", async ({ prefix, track }) => {
    // refused before EAL makes any file of the group
    const c = track(client(prefix, 0, "1@1"));
    await refused(
      c,
      new RegExp(
        `^mp_client: no mp_server is running with --file-prefix ${prefix} ` +
          `\\(looked in /var/run/dpdk/${prefix}\\): start it first$`,
        "m",
      ),
    );
    assertEquals(
      await Deno.stat(`/var/run/dpdk/${prefix}`).then(() => true, () => false),
      false,
    );
    await refused(
      track(server(prefix, 17)),
      /invalid number of clients '17': expected 1\.\.16/,
    );
    await refused(
      track(start("server", {
        prefix,
        lcores: "0@0",
        vdevs: NULL2,
        app: ["-p", "1", "-n", "1"],
      })),
      /an even number of ports is needed/,
    );
    await refused(
      track(start("server", {
        prefix,
        lcores: "0@0",
        vdevs: NULL2,
        app: ["-p", "c", "-n", "1"],
      })),
      /port\(s\) 2, 3 that do not exist/,
    );
  });
});

Deno.test("interop: the C mp_client works against our server", async () => {
  const cClient = await cOriginal("mp_client");
  await withGroup("csmp_cclient", async ({ prefix, track }) => {
    const srv = track(server(prefix, 1));
    await srv.waitFor("Finished Process Init");
    const c = track(start("client", {
      prefix,
      lcores: "1@1",
      app: ["-n", "0"],
      c: cClient,
      name: "C mp_client",
    }));
    await c.waitFor("Finished Process Init");
    // the C client's counts show up in our server's statistics
    const s = await waitJson<ServerStats>(
      srv,
      (s) => s.clients[0].tx > 10_000 && s.ports.every((p) => p.tx > 0),
      [c],
    );
    assertEquals(s.clients[0].pid, 0, "a C client does not register");
    c.kill("SIGKILL");
    await c.exit();
    const fin = await stop<ServerStats>(srv);
    const tel = fin.ethdev!;
    // C's mp_client adds what rte_eth_tx_buffer sent to its counter after
    // the call: SIGKILLed in between, one TX buffer (32 mbufs) has left
    // the port and is not counted. Nothing else may differ.
    const gap = sum(tel.map((t) => t.opackets)) -
      sum(fin.ports.map((p) => p.tx));
    assert(gap >= 0 && gap <= 32, `telemetry - server TX = ${gap}`);
  });
});

Deno.test("interop: our mp_client works against the C server", async () => {
  const cServer = await cOriginal("mp_server");
  await withGroup("csmp_cserver", async ({ prefix, track }) => {
    const srv = track(start("server", {
      prefix,
      lcores: "0@0",
      vdevs: NULL2,
      app: ["-p", "3", "-n", "1"],
      c: cServer,
      name: "C mp_server",
    }));
    await srv.waitFor("Finished Process Init");
    const c = track(client(prefix, 0, "1@1"));
    await c.waitFor("Client process 0 handling packets");
    assertMatch(c.output, /keeps no statistics of ours \(a C mp_server\?\)/);
    // client IDs are claimed among our clients even with a C server
    await refused(
      track(client(prefix, 0, "2@1")),
      new RegExp(`client ID 0 is already attached \\(pid ${c.child.pid}\\)`),
    );
    // packets leave both ports: only the client sends
    const deadline = Date.now() + 20_000;
    let tx = [0, 0];
    while (tx.some((n) => n < 1000) && Date.now() < deadline) {
      tx = (await portStats(prefix, [0, 1])).map((s) => s.opackets);
    }
    assert(tx.every((n) => n >= 1000), `ports sent ${tx}`);
    const f = await stop<ClientFinal>(c);
    assertEquals(f.rx, f.tx + f.tx_drop);
    const after = (await portStats(prefix, [0, 1])).map((s) => s.opackets);
    assertEquals(sum(after), f.tx, "the ports sent what the client sent");
    srv.kill("SIGINT");
    await srv.exit();
  });
});
