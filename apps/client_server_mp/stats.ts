/**
 * mp_server's statistics: a snapshot of the shared counters, shown as the
 * C server's screen (`do_stats_display`) or as one JSON object per line.
 *
 * @module
 */

import type { Port } from "../../mod.ts";
import type { PortInfo, Registry } from "./shared.ts";

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
  /** PID of the attached client of ours, 0 when none (or a C client). */
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

/** Reads the counters the way `do_stats_display` sums them. */
export function snapshot(
  ports: Port[],
  macs: string[],
  numClients: number,
  portInfo: PortInfo,
  registry: Registry,
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
      portTx[j] += tx.get(p.id);
      portDrop[j] += drop.get(p.id);
      clientTx += tx.get(p.id);
      clientDrop += drop.get(p.id);
    });
    clients.push({
      client: i,
      pid: registry.clientPid(i),
      rx: registry.rx.get(i),
      rx_drop: registry.rxDrop.get(i),
      tx: clientTx,
      tx_drop: clientDrop,
    });
  }
  return {
    ports: ports.map((p, j) => ({
      port: p.id,
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
