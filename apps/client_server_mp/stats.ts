/**
 * mp_server's statistics: a snapshot of the shared counters, shown as the
 * C server's screen (`do_stats_display`) or as one JSON object per line.
 *
 * @module
 */

import type { ClaimTable } from "../../mod.ts";
import type { PortInfo, ServerStats } from "./shared.ts";

/** One port's line. */
export interface PortLine {
  /** The port ID. */
  port: number;
  /** Its MAC address. */
  mac: string;
  /** Packets the server received on the port. */
  rx: number;
  /** Packets the clients sent on the port. */
  tx: number;
  /** Packets the port refused from the clients. */
  tx_drop: number;
}

/** One client's lines. */
export interface ClientLine {
  /** The client ID. */
  client: number;
  /** PID of the client of ours holding the ID, 0 when none (or a C client). */
  pid: number;
  /** Packets the server put on the client's ring. */
  rx: number;
  /** Packets the server dropped because the ring was full. */
  rx_drop: number;
  /** Packets the client sent, all ports. */
  tx: number;
  /** Packets the ports refused from the client. */
  tx_drop: number;
}

/** The statistics at one moment. */
export interface Snapshot {
  /** Each port of the server, in `port_info.id[]` order. */
  ports: PortLine[];
  /** Each client, by ID. */
  clients: ClientLine[];
}

/**
 * Reads the counters the way `do_stats_display` sums them: each port's TX
 * is the sum over clients of what they sent on it.
 *
 * @param ports the server's ports, in `port_info.id[]` order
 * @param macs their MAC addresses, same order
 */
export function snapshot(
  ports: number[],
  macs: string[],
  numClients: number,
  portInfo: PortInfo,
  stats: ServerStats,
  claims: ClaimTable,
): Snapshot {
  const portTx = ports.map(() => 0);
  const portDrop = ports.map(() => 0);
  const clients: ClientLine[] = [];
  for (let i = 0; i < numClients; i++) {
    const tx = portInfo.tx(i);
    const drop = portInfo.txDrop(i);
    let clientTx = 0;
    let clientDrop = 0;
    ports.forEach((p, j) => {
      portTx[j] += tx.get(p);
      portDrop[j] += drop.get(p);
      clientTx += tx.get(p);
      clientDrop += drop.get(p);
    });
    clients.push({
      client: i,
      pid: claims.holder(i)?.pid ?? 0,
      rx: stats.rx.get(i),
      rx_drop: stats.rxDrop.get(i),
      tx: clientTx,
      tx_drop: clientDrop,
    });
  }
  return {
    ports: ports.map((p, j) => ({
      port: p,
      mac: macs[j],
      rx: portInfo.rx.get(j),
      tx: portTx[j],
      tx_drop: portDrop[j],
    })),
    clients,
  };
}

const CLEAR = "\x1b[2J\x1b[1;1H";
const n9 = (v: number) => String(v).padStart(9);

/** The C server's screen; `clear` starts it with the ANSI clear codes. */
export function screen(s: Snapshot, clear: boolean): string {
  const lines: string[] = [];
  lines.push("PORTS", "-----");
  lines.push(
    s.ports.map((p) => `Port ${p.port}: '${p.mac.toUpperCase()}'\t`).join(""),
    "",
  );
  for (const p of s.ports) {
    lines.push(`Port ${p.port} - rx: ${n9(p.rx)}\ttx: ${n9(p.tx)}`);
  }
  lines.push("", "CLIENTS", "-------");
  for (const c of s.clients) {
    lines.push(
      `Client ${String(c.client).padStart(2)} - rx: ${n9(c.rx)}, ` +
        `rx_drop: ${n9(c.rx_drop)}`,
      `            tx: ${n9(c.tx)}, tx_drop: ${n9(c.tx_drop)}`,
    );
  }
  lines.push("");
  return (clear ? CLEAR : "") + lines.join("\n");
}

/** What the server reports at exit besides the counters. */
export interface FinalNotes {
  /** Per client: mbufs left in its ring (its client still runs). */
  left: number[];
  /** Per client: mbufs the server freed from its ring at exit. */
  freed: number[];
  /** The pool's size and the mbufs not back in it. */
  mbufs: { size: number; in_use: number };
}

/** The lines the server prints under its final statistics screen. */
export function finalLines(f: FinalNotes): string {
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return `Mbufs in client rings: ${sum(f.left)} left for running clients, ` +
    `${sum(f.freed)} freed at exit\n` +
    `Mbufs in use: ${f.mbufs.in_use} of ${f.mbufs.size}`;
}
