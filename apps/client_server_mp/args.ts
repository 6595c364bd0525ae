/**
 * The command lines of mp_server and mp_client (after `--`), and the
 * client's port pairing: pure functions, tested without DPDK
 * (tests/unit/client_server_test.ts). DPDK's limits are parameters whose
 * defaults read the shim only when called.
 *
 * @module
 */

import { RTE } from "../../mod.ts";
import { pairPorts, parsePortmask, shorten, UsageError } from "../common.ts";
import { MAX_CLIENTS } from "./shared.ts";

/** mp_server's options. */
export interface ServerOptions {
  /** The ports of `-p PORTMASK`, ascending. */
  ports: number[];
  /** `-n NUM_CLIENTS`. */
  numClients: number;
  /** Show the statistics screen even with a single lcore. */
  stats: boolean;
  /** Statistics as JSON lines instead of the screen. */
  json: boolean;
  /** Forward only once every client is attached. */
  waitClients: boolean;
}

/** mp_server's usage text. */
export const SERVER_USAGE =
  `mp_server [EAL options] -- -p PORTMASK -n NUM_CLIENTS [options]
 -p PORTMASK: hexadecimal bitmask of ports to use
 -n NUM_CLIENTS: number of client processes to use (1..${MAX_CLIENTS})
 --stats: show statistics every second (default: when given 2+ lcores)
 --json: statistics as JSON lines, every second and at exit
 --wait-clients: forward only once all NUM_CLIENTS clients are attached`;

/**
 * Parses mp_server's `-p PORTMASK -n NUM_CLIENTS` (values attached, `-p3`,
 * or separate) and its long options.
 *
 * @param args the arguments after `--`
 * @param maxPorts port IDs allowed: 0 .. maxPorts - 1
 * @throws UsageError saying what is wrong
 */
export function parseServerArgs(
  args: readonly string[],
  maxPorts: number = RTE.RTE_MAX_ETHPORTS,
): ServerOptions {
  let mask: string | undefined;
  let clients: string | undefined;
  const opts = { stats: false, json: false, waitClients: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = () => {
      if (a.length > 2) return a.slice(2); // -p3
      if (i + 1 >= args.length) throw new UsageError(`${a} needs a value`);
      return args[++i];
    };
    if (a === "--stats") opts.stats = true;
    else if (a === "--json") opts.json = true;
    else if (a === "--wait-clients") opts.waitClients = true;
    else if (a.startsWith("-p")) mask = value();
    else if (a.startsWith("-n")) clients = value();
    else throw new UsageError(`unknown option '${shorten(a)}'`);
  }
  const ports = parsePortmask(mask, maxPorts);
  if (clients === undefined) throw new UsageError("-n NUM_CLIENTS is missing");
  const numClients = Number(clients);
  if (!/^\d+$/.test(clients) || numClients < 1 || numClients > MAX_CLIENTS) {
    throw new UsageError(
      `invalid number of clients '${
        shorten(clients)
      }': expected 1..${MAX_CLIENTS} ` +
        `(MAX_CLIENTS of the shared port info)`,
    );
  }
  pairPorts(ports); // an even number of ports
  return { ports, numClients, ...opts };
}

/** mp_client's options. */
export interface ClientOptions {
  /** `-n CLIENT_ID`. */
  clientId: number;
  /** Final counts as a JSON line. */
  json: boolean;
}

/** mp_client's usage text. */
export const CLIENT_USAGE =
  `Usage: mp_client [EAL args] -- -n <client_id> [--json]
 -n CLIENT_ID: which of the server's clients this is (0 .. NUM_CLIENTS-1)
 --json: final counts as a JSON line`;

/**
 * Parses mp_client's `-n CLIENT_ID [--json]`.
 *
 * @throws UsageError saying what is wrong
 */
export function parseClientArgs(args: readonly string[]): ClientOptions {
  let id: string | undefined;
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--json") json = true;
    else if (a.startsWith("-n")) {
      if (a.length > 2) id = a.slice(2);
      else if (i + 1 < args.length) id = args[++i];
      else throw new UsageError("-n needs a value");
    } else throw new UsageError(`unknown option '${shorten(a)}'`);
  }
  if (id === undefined) throw new UsageError("-n CLIENT_ID is missing");
  const clientId = Number(id);
  if (!/^\d+$/.test(id) || clientId >= MAX_CLIENTS) {
    throw new UsageError(
      `invalid client ID '${shorten(id)}': expected 0..${MAX_CLIENTS - 1}`,
    );
  }
  return { clientId, json };
}

/**
 * The client's `configure_output_ports`: the server's ports are paired in
 * order (1st with 2nd, 3rd with 4th, ...); each pair both ways, as
 * `[input port, output port]`. A last unpaired port gets no route (as in
 * C, packets from it are not forwarded).
 */
export function outputPairs(ports: readonly number[]): [number, number][] {
  const pairs: [number, number][] = [];
  for (let i = 0; i + 1 < ports.length; i += 2) {
    pairs.push([ports[i], ports[i + 1]], [ports[i + 1], ports[i]]);
  }
  return pairs;
}
