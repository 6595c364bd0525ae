/**
 * A demo of client_server_mp: mp_server and its mp_clients on two net_null
 * ports, live statistics for about ten seconds, then the final counts
 * (checked to add up), and everything cleaned up.
 *
 * ```
 * deno run -A apps/client_server_demo.ts [--seconds 10] [--clients N]
 * ```
 *
 * Runs as root with hugepages (see the README). The processes get their
 * own `--file-prefix`, removed at the end. Laid out for the CPUs this
 * process may use: every process busy-polls, so each gets a CPU of its
 * own: the server on the first, one client on each of the next (at most
 * two clients by default: `--clients N` asks for more, or fewer). With a
 * single CPU, server and client share it and say so. Ctrl-C ends the demo
 * early, cleanly.
 *
 * @module
 */

import { removeGroupFiles } from "../mod.ts";

/** Clients when the machine has CPUs for them (one each). */
const DEFAULT_MAX_CLIENTS = 2;

/** The CPUs this process may run on (Cpus_allowed_list), lowest first. */
export function usableCpus(
  status: string = Deno.readTextFileSync("/proc/self/status"),
): number[] {
  const line = status.split("\n").find((l) =>
    l.startsWith("Cpus_allowed_list:")
  );
  if (line === undefined) return [0];
  return line.split(":")[1].trim().split(",").flatMap((r) => {
    const [a, b = a] = r.split("-").map(Number);
    return Array.from({ length: b - a + 1 }, (_, i) => a + i);
  });
}

/** Where the server and each client run: an lcore ID and its CPU. */
export interface Layout {
  /** The server's `--lcores` value (lcore 0). */
  server: string;
  /** Each client's `--lcores` value (lcore IDs 1, 2, ...). */
  clients: string[];
  /** True when some processes share a CPU (fewer CPUs than processes). */
  shared: boolean;
}

/**
 * Lays the demo out on `cpus`: the server on the first, then one client
 * per further CPU, `wanted` clients (default: as many as there are further
 * CPUs, at most {@linkcode DEFAULT_MAX_CLIENTS}, at least one). Clients
 * beyond the CPUs share them round-robin (`shared`).
 */
export function layout(cpus: number[], wanted?: number): Layout {
  const n = wanted ??
    Math.max(1, Math.min(DEFAULT_MAX_CLIENTS, cpus.length - 1));
  const others = cpus.length > 1 ? cpus.slice(1) : cpus;
  return {
    server: `0@${cpus[0]}`,
    clients: Array.from(
      { length: n },
      (_, i) => `${i + 1}@${others[i % others.length]}`,
    ),
    shared: n + 1 > cpus.length,
  };
}

const ROOT = new URL("../", import.meta.url).pathname;
const PREFIX = `csdemo_${Deno.pid}`;
const EAL = [
  "--no-pci",
  `--file-prefix=${PREFIX}`,
  "--log-level=lib.eal:error",
];

/** A child process whose output is read line by line. */
class Child {
  readonly name: string;
  readonly proc: Deno.ChildProcess;
  readonly lines: string[] = [];
  readonly done: Promise<Deno.CommandStatus>;
  #waiters: (() => void)[] = [];

  constructor(name: string, app: string, args: string[]) {
    this.name = name;
    // in a session of its own (setsid), so that Ctrl-C reaches the demo
    // only, which then stops the clients first and the server last
    this.proc = new Deno.Command("setsid", {
      args: [Deno.execPath(), "run", "-A", `${ROOT}apps/${app}`, ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const pumps = [this.#pump(this.proc.stdout), this.#pump(this.proc.stderr)];
    this.done = this.proc.status.then(async (s) => {
      await Promise.all(pumps);
      this.#wake();
      return s;
    });
  }

  async #pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    let rest = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      this.lines.push(...parts);
      this.#wake();
    }
    if (rest) this.lines.push(rest);
  }

  #wake(): void {
    const ws = this.#waiters;
    this.#waiters = [];
    ws.forEach((w) => w());
  }

  /** Waits for a line matching `re` (from line `from`); undefined if it ended. */
  async waitLine(re: RegExp, from = 0): Promise<string | undefined> {
    let ended = false;
    this.done.then(() => ended = true);
    for (let i = from;;) {
      for (; i < this.lines.length; i++) {
        if (re.test(this.lines[i])) return this.lines[i];
      }
      if (ended) return undefined;
      await new Promise<void>((r) => this.#waiters.push(r));
    }
  }

  kill(sig: Deno.Signal): void {
    try {
      this.proc.kill(sig);
    } catch {
      // already gone
    }
  }
}

interface Stats {
  type: string;
  time: number;
  ports: { port: number; rx: number; tx: number }[];
  clients: { client: number; rx: number; rx_drop: number; tx: number }[];
  ethdev?: { port: number; ipackets: number; opackets: number }[];
  left?: number[];
  freed?: number[];
  mbufs?: { size: number; in_use: number };
}

const mpps = (n: number, s: number) => `${(n / s / 1e6).toFixed(2)} Mpps`;
const big = (n: number) => n.toLocaleString("en-US");

/** One block of live statistics: rates since the previous one. */
function live(s: Stats, prev: Stats | undefined): string {
  const dt = prev ? s.time - prev.time : s.time;
  const d = (now: number, before: number | undefined) => now - (before ?? 0);
  const ports = s.ports.map((p, i) =>
    `port ${p.port}: rx ${mpps(d(p.rx, prev?.ports[i].rx), dt)}, ` +
    `tx ${mpps(d(p.tx, prev?.ports[i].tx), dt)}`
  ).join(" | ");
  const clients = s.clients.map((c, i) =>
    `client ${c.client}: rx ${mpps(d(c.rx, prev?.clients[i].rx), dt)}, ` +
    `ring full ${mpps(d(c.rx_drop, prev?.clients[i].rx_drop), dt)}, ` +
    `tx ${mpps(d(c.tx, prev?.clients[i].tx), dt)}`
  ).join(" | ");
  return `[${s.time.toFixed(0).padStart(3)} s] ${ports}\n        ${clients}`;
}

/** Shows what the processes printed, then throws `why`. */
function fail(why: string, children: Child[]): never {
  for (const c of children) {
    console.error(`--- ${c.name} output:\n${c.lines.join("\n")}`);
  }
  throw new Error(why);
}

async function demo(
  seconds: number,
  children: Child[],
  wanted?: number,
): Promise<boolean> {
  const cpus = usableCpus();
  const plan = layout(cpus, wanted);
  const numClients = plan.clients.length;
  let interrupted = false;
  let wake = () => {};
  const onSignal = () => {
    interrupted = true;
    wake();
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    const where = (l: string) => `CPU ${l.split("@")[1]}`;
    console.log(
      `client_server_mp demo: mp_server + ${numClients} mp_client${
        numClients > 1 ? "s" : ""
      }, ports net_null0 <-> net_null1, --file-prefix ${PREFIX}\n` +
        `${cpus.length} CPU${cpus.length > 1 ? "s" : ""} here: server on ` +
        `${where(plan.server)}, ${
          plan.clients.map((l, i) => `client ${i} on ${where(l)}`).join(", ")
        }` +
        (plan.shared
          ? `\n(fewer CPUs than processes: those sharing a CPU take turns, ` +
            `so each forwards a fraction of what it would alone)`
          : ""),
    );
    const server = new Child("mp_server", "mp_server.ts", [
      `--lcores=${plan.server}`,
      ...EAL,
      "--vdev=net_null0",
      "--vdev=net_null1",
      "--",
      "-p",
      "3",
      "-n",
      String(numClients),
      "--json",
      "--wait-clients",
    ]);
    children.push(server);
    if (!await server.waitLine(/Finished Process Init/)) {
      fail("the server did not start", children);
    }
    console.log(
      `mp_server: ports 0 and 1 up, rings for client${
        numClients > 1 ? "s" : ""
      } ${plan.clients.map((_, i) => i).join(", ")}`,
    );
    const clients = plan.clients.map((lcores, id) =>
      new Child(`mp_client ${id}`, "mp_client.ts", [
        `--lcores=${lcores}`,
        ...EAL,
        "--proc-type=secondary",
        "--",
        "-n",
        String(id),
        "--json",
      ])
    );
    children.push(...clients);
    for (const [id, c] of clients.entries()) {
      if (!await c.waitLine(/handling packets/)) {
        fail(`client ${id} did not start`, children);
      }
      console.log(`mp_client ${id}: attached, forwarding 0 <-> 1`);
    }
    console.log(
      `\nHow to read the numbers: net_null is an endless source: it hands ` +
        `the server a\npacket whenever asked, so the server receives as fast ` +
        `as its CPU can poll ("port\nrx"). Each client can forward only so ` +
        `many (its CPU, a packet at a time through\nits ring); what it cannot ` +
        `take is dropped at its full ring ("ring full"). The\npipeline's ` +
        `throughput is what the clients send ("port tx", "client tx"); port ` +
        `rx\nbeing far above it is expected with net_null, not a fault.\n`,
    );

    // live statistics: the server's JSON lines, one a second
    let prev: Stats | undefined;
    let line = 0;
    const deadline = Date.now() + seconds * 1000;
    while (!interrupted && Date.now() < deadline) {
      const next = server.waitLine(/^\{"type":"stats"/, line);
      const woken = new Promise<undefined>((r) => wake = () => r(undefined));
      const l = await Promise.race([next, woken]);
      if (l === undefined) break;
      line = server.lines.indexOf(l, line) + 1;
      const s = JSON.parse(l) as Stats;
      console.log(live(s, prev));
      prev = s;
    }
    if (interrupted) console.log("\ninterrupted: stopping");

    // stop the clients first (they flush), then the server
    const finals: { rx: number; tx: number }[] = [];
    for (const c of clients) {
      c.kill("SIGINT");
      const st = await c.done;
      const f = c.lines.find((l) => l.startsWith('{"type":"final"'));
      if (!st.success || !f) fail(`${c.name} did not stop cleanly`, children);
      finals.push(JSON.parse(f) as { rx: number; tx: number });
    }
    server.kill("SIGINT");
    const st = await server.done;
    const f = server.lines.find((l) => l.startsWith('{"type":"final"'));
    if (!st.success || !f) fail("the server did not stop cleanly", children);
    const fin = JSON.parse(f) as Stats;

    console.log(`\nFinal counts after ${fin.time.toFixed(1)} s`);
    for (const [j, p] of fin.ports.entries()) {
      console.log(
        `  port ${p.port}: received ${big(p.rx).padStart(15)}, ` +
          `sent ${big(p.tx).padStart(13)}   (port counters: ` +
          `${big(fin.ethdev![j].ipackets)} in, ${
            big(fin.ethdev![j].opackets)
          } out)`,
      );
    }
    for (const [i, c] of fin.clients.entries()) {
      console.log(
        `  client ${c.client}: given ${big(c.rx).padStart(13)}, ` +
          `ring full ${big(c.rx_drop).padStart(15)}, ` +
          `sent ${big(c.tx).padStart(13)}, ` +
          `left in ring at exit ${fin.freed![i] + fin.left![i]}`,
      );
    }
    const received = fin.ports.reduce((a, p) => a + p.rx, 0);
    const sent = fin.ports.reduce((a, p) => a + p.tx, 0);
    const accounted = fin.clients.reduce(
      (a, c, i) => a + finals[i].rx + c.rx_drop + fin.freed![i] + fin.left![i],
      0,
    );
    const dropped = fin.clients.reduce(
      (a, c) => a + c.rx_drop,
      0,
    );
    console.log(
      `\nThroughput: ${mpps(sent, fin.time)} went all the way through ` +
        `(server -> client -> port);\nthe server received ` +
        `${mpps(received, fin.time)}, ${
          received > 0 ? (100 * dropped / received).toFixed(0) : 0
        }% of it dropped at full client rings (an endless\nsource outruns ` +
        `any consumer${
          plan.shared ? "; and here processes share CPUs" : ""
        }). Per client: ${
          finals.map((f, i) => `client ${i} ${mpps(f.tx, fin.time)}`).join(", ")
        }.`,
    );
    const ok = received === accounted &&
      sent === finals.reduce((a, c) => a + c.tx, 0) &&
      fin.mbufs!.in_use === 0;
    console.log(
      `  received ${big(received)} = sent ${big(sent)} + dropped at a full ` +
        `ring + left in rings: ${ok ? "adds up" : "DOES NOT ADD UP"}; ` +
        `mbufs in use at exit: ${fin.mbufs!.in_use} of ${fin.mbufs!.size}`,
    );
    return ok;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
}

if (import.meta.main) {
  const arg = (name: string) => {
    const i = Deno.args.indexOf(name);
    return i >= 0 ? Number(Deno.args[i + 1]) : undefined;
  };
  const seconds = arg("--seconds") ?? 10;
  const wanted = arg("--clients");
  if (
    !(seconds > 0) ||
    (wanted !== undefined && !(Number.isInteger(wanted) && wanted >= 1))
  ) {
    console.error(
      "usage: deno run -A apps/client_server_demo.ts [--seconds N] " +
        "[--clients N]",
    );
    Deno.exit(2);
  }
  const children: Child[] = [];
  let ok = false;
  try {
    ok = await demo(seconds, children, wanted);
  } catch (e) {
    if (!(e instanceof Error)) throw e;
    console.error(`demo: ${e.message}`);
  } finally {
    for (const c of children) c.kill("SIGKILL");
    await Promise.all(children.map((c) => c.done.catch(() => {})));
    removeGroupFiles(PREFIX);
    console.log(`cleaned up: processes stopped, ${PREFIX} files removed`);
  }
  Deno.exit(ok ? 0 : 1);
}
