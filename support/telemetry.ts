/**
 * DPDK's telemetry socket (`<runtime dir>/PREFIX/dpdk_telemetry.v2`,
 * SOCK_SEQPACKET) for tests and benchmarks, through the library's client
 * (`TelemetryClient`, which opens the socket in the shim: Deno has no
 * SOCK_SEQPACKET sockets). Port counters read there are the same source
 * for the C originals and for ours.
 *
 * @module
 */

import { runtimeRoot } from "../lib/proc.ts";
import { TelemetryClient, telemetrySocketPath } from "../lib/introspect.ts";

/**
 * Path of a group's telemetry socket, in the runtime folder EAL picks
 * (`runtimeRoot()`: /var/run/dpdk for root).
 */
export function telemetryPath(prefix: string): string {
  return telemetrySocketPath(prefix, runtimeRoot());
}

/**
 * Runs telemetry commands (e.g. `/ethdev/stats,0`) on one connection;
 * returns each reply as sent (`{"/ethdev/stats": {...}}`).
 */
export async function telemetry(
  prefix: string,
  commands: string[],
): Promise<Record<string, unknown>[]> {
  using client = await TelemetryClient.connect(telemetryPath(prefix));
  const out: Record<string, unknown>[] = [];
  for (const c of commands) out.push(JSON.parse(await client.queryRaw(c)));
  return out;
}

/** Port counters as telemetry reports them (`/ethdev/stats,N`). */
export interface TelemetryPortStats {
  ipackets: number;
  opackets: number;
  imissed: number;
  ierrors: number;
  oerrors: number;
  rx_nombuf: number;
  q_ipackets: number[];
  q_opackets: number[];
}

/** Stats of each port in `ports`, in one telemetry connection. */
export async function portStats(
  prefix: string,
  ports: number[],
): Promise<TelemetryPortStats[]> {
  const res = await telemetry(prefix, ports.map((p) => `/ethdev/stats,${p}`));
  return res.map((r) => r["/ethdev/stats"] as TelemetryPortStats);
}
