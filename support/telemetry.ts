/**
 * A client for DPDK's telemetry socket
 * (`/var/run/dpdk/PREFIX/dpdk_telemetry.v2`, SOCK_SEQPACKET). Deno has no
 * SOCK_SEQPACKET sockets, so the queries go through a short python3 script
 * (python3 is a dependency of Debian's dpdk package). Used by benchmarks
 * and tests to read port counters from a source that is the same for the C
 * originals and for ours.
 *
 * @module
 */

import { runtimeRoot } from "../lib/proc.ts";

const SCRIPT = `
import json, socket, sys
path, cmds = sys.argv[1], sys.argv[2:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(path)
info = json.loads(s.recv(16384).decode())
size = info.get("max_output_len", 16384)
out = []
for c in cmds:
    s.send(c.encode())
    out.append(json.loads(s.recv(size).decode()))
print(json.dumps(out))
`;

/**
 * Path of a group's telemetry socket, in the runtime folder EAL picks
 * (`runtimeRoot()`: /var/run/dpdk for root).
 */
export function telemetryPath(prefix: string): string {
  return `${runtimeRoot()}/${prefix}/dpdk_telemetry.v2`;
}

/** Runs telemetry commands (e.g. `/ethdev/stats,0`); returns their JSON. */
export async function telemetry(
  prefix: string,
  commands: string[],
): Promise<Record<string, unknown>[]> {
  const out = await new Deno.Command("python3", {
    args: ["-c", SCRIPT, telemetryPath(prefix), ...commands],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `telemetry ${prefix}: ${new TextDecoder().decode(out.stderr).trim()}`,
    );
  }
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** Port counters as telemetry reports them (`/ethdev/stats,N`). */
export interface TelemetryPortStats {
  /** Packets received. */
  ipackets: number;
  /** Packets sent. */
  opackets: number;
  /** Packets the device dropped (RX queues full). */
  imissed: number;
  /** Erroneous received packets. */
  ierrors: number;
  /** Failed transmissions. */
  oerrors: number;
  /** RX mbuf allocation failures. */
  rx_nombuf: number;
  /** Per-queue RX packets. */
  q_ipackets: number[];
  /** Per-queue TX packets. */
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
