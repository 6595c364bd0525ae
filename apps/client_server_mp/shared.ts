/**
 * What mp_server and mp_client share (client_server_mp/shared/common.h):
 * the names of the mbuf pool, the client rings and the port-info memzone,
 * and the memzone's layout, C's `struct port_info` derived from
 * `RTE_MAX_ETHPORTS` by C's layout rules, so our processes and the C
 * originals work together (tests/port_info_probe_test.ts compiles
 * common.h and compares).
 *
 * Beyond C, two memzones of ours, unknown to the C originals: the claim
 * table of client IDs (the library's `ClaimTable`, one slot per client ID:
 * a duplicate client ID is refused, naming the running client, while a
 * restarted client whose old process is gone is let in), and the server's
 * statistics (its `-n` and its per-client counters).
 *
 * @module
 */

import {
  ClaimTable,
  DpdkError,
  Memzone,
  RTE,
  type U64Counters,
} from "../../mod.ts";

/** `MAX_CLIENTS` of common.h: the size of `port_info.tx_stats`. */
export const MAX_CLIENTS = 16;
/** `MP_CLIENT_RXQ_NAME` of common.h. */
export const CLIENT_RING_NAME = "MProc_Client_%u_RX";
/** `PKTMBUF_POOL_NAME` of common.h. */
export const PKTMBUF_POOL_NAME = "MProc_pktmbuf_pool";
/** `MZ_PORT_INFO` of common.h. */
export const MZ_PORT_INFO = "MProc_port_info";
/** Our claim table of client IDs (unknown to the C originals). */
export const MZ_CLIENT_CLAIMS = "MProc_client_claims";
/** Our server statistics memzone (unknown to the C originals). */
export const MZ_SERVER_STATS = "MProc_server_stats";

/** The ring of client `id` (`get_rx_queue_name`). */
export function clientRingName(id: number): string {
  return CLIENT_RING_NAME.replace("%u", String(id));
}

/** Byte offsets and sizes of `struct port_info` (see {@linkcode portInfoLayout}). */
export interface PortInfoLayout {
  /** `RTE_MAX_ETHPORTS` the layout is for. */
  maxPorts: number;
  /** `MAX_CLIENTS` the layout is for. */
  maxClients: number;
  /** `offsetof(num_ports)` (uint16_t). */
  numPorts: number;
  /** `offsetof(id)` (uint16_t[maxPorts]). */
  id: number;
  /** `offsetof(rx_stats)`: `rx_stats.rx` (uint64_t[maxPorts]) starts there. */
  rxStats: number;
  /** `sizeof(struct rx_stats)`. */
  rxStatsSize: number;
  /** `offsetof(tx_stats)`: `tx_stats[0].tx` starts there. */
  txStats: number;
  /** `sizeof(struct tx_stats)`: the stride of `tx_stats[]`. */
  txStatsSize: number;
  /** `offsetof(struct tx_stats, tx_drop)`, within one `tx_stats`. */
  txDrop: number;
  /** `sizeof(struct port_info)`. */
  size: number;
}

/** `n` rounded up to a multiple of `align`. */
function alignUp(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}

/**
 * The layout of `struct port_info` for a DPDK built with `maxPorts` ports
 * (`RTE_MAX_ETHPORTS`), by C's rules: `num_ports` and `id[]` are uint16_t;
 * `struct rx_stats` (uint64_t rx[maxPorts]) and `struct tx_stats`
 * (uint64_t tx[maxPorts], tx_drop[maxPorts]) are aligned to, and padded to
 * a multiple of, the cache line; the struct is padded to its alignment.
 *
 * @throws RangeError for a count that is not a positive integer, or a
 *   cache line that is not a power of two
 */
export function portInfoLayout(
  maxPorts: number,
  maxClients: number = MAX_CLIENTS,
  cacheLine = 64,
): PortInfoLayout {
  for (
    const [what, v] of [["maxPorts", maxPorts], ["maxClients", maxClients]]
  ) {
    if (!(Number.isSafeInteger(v) && (v as number) >= 1)) {
      throw new RangeError(
        `portInfoLayout: ${what} ${v} is not an integer >= 1`,
      );
    }
  }
  if (
    !(Number.isSafeInteger(cacheLine) && cacheLine >= 8 &&
      (cacheLine & (cacheLine - 1)) === 0)
  ) {
    throw new RangeError(
      `portInfoLayout: cache line ${cacheLine} is not a power of two >= 8`,
    );
  }
  const U16 = 2;
  const U64 = 8;
  const id = U16; // after num_ports; uint16_t needs 2-byte alignment only
  const rxStats = alignUp(id + U16 * maxPorts, cacheLine);
  const rxStatsSize = alignUp(U64 * maxPorts, cacheLine);
  const txStats = alignUp(rxStats + rxStatsSize, cacheLine);
  const txStatsSize = alignUp(2 * U64 * maxPorts, cacheLine);
  return {
    maxPorts,
    maxClients,
    numPorts: 0,
    id,
    rxStats,
    rxStatsSize,
    txStats,
    txStatsSize,
    txDrop: U64 * maxPorts,
    size: alignUp(txStats + maxClients * txStatsSize, cacheLine),
  };
}

let builtLayout: PortInfoLayout | undefined;

/**
 * `struct port_info` as laid out by the DPDK the shim was built against
 * (`RTE.RTE_MAX_ETHPORTS` ports). Loads the shim on first use.
 */
export function dpdkPortInfoLayout(): PortInfoLayout {
  return builtLayout ??= portInfoLayout(
    RTE.RTE_MAX_ETHPORTS,
    MAX_CLIENTS,
    RTE.RTE_CACHE_LINE_SIZE, // `__rte_cache_aligned` of rx_stats, tx_stats
  );
}

/**
 * The port-info memzone seen through typed views: which ports the server
 * uses, its RX counts, and each client's TX counts.
 */
export class PortInfo {
  /** The memzone. */
  readonly zone: Memzone;
  /** The layout in use. */
  readonly layout: PortInfoLayout;
  /**
   * `rx_stats.rx[i]`: packets the server received on the i-th port of
   * `ports()` (indexed by position, as the C server does).
   */
  readonly rx: U64Counters;
  readonly #view: DataView<ArrayBuffer>;

  private constructor(zone: Memzone) {
    const L = dpdkPortInfoLayout();
    if (zone.length < L.size) {
      throw new DpdkError(
        `memzone "${zone.name}" is ${zone.length} bytes, smaller than ` +
          `struct port_info (${L.size} bytes for RTE_MAX_ETHPORTS ` +
          `${L.maxPorts}): was the server built against another DPDK?`,
      );
    }
    this.zone = zone;
    this.layout = L;
    this.#view = zone.dataView();
    this.rx = zone.counters(L.rxStats, L.maxPorts);
  }

  /** Reserves the memzone (server; zeroed). */
  static reserve(): PortInfo {
    return new PortInfo(
      Memzone.reserve(MZ_PORT_INFO, dpdkPortInfoLayout().size),
    );
  }

  /** Finds the server's memzone (a client). */
  static lookup(): PortInfo {
    return new PortInfo(Memzone.lookup(MZ_PORT_INFO));
  }

  /** Views a memzone handed over (a server's or client's lcore worker). */
  static of(zone: Memzone): PortInfo {
    return new PortInfo(zone);
  }

  /** Sets `num_ports` and `id[]`. */
  setPorts(ids: number[]): void {
    const L = this.layout;
    if (ids.length > L.maxPorts) {
      throw new RangeError(`${ids.length} ports: at most ${L.maxPorts}`);
    }
    this.#view.setUint16(L.numPorts, ids.length, true);
    ids.forEach((p, i) => this.#view.setUint16(L.id + 2 * i, p, true));
  }

  /** The port IDs (`id[0 .. num_ports - 1]`). */
  ports(): number[] {
    const L = this.layout;
    const n = Math.min(this.#view.getUint16(L.numPorts, true), L.maxPorts);
    return Array.from(
      { length: n },
      (_, i) => this.#view.getUint16(L.id + 2 * i, true),
    );
  }

  /** `tx_stats[client].tx[port]`: packets client sent, by port ID. */
  tx(client: number): U64Counters {
    const L = this.layout;
    return this.zone.counters(
      L.txStats + this.#client(client) * L.txStatsSize,
      L.maxPorts,
    );
  }

  /** `tx_stats[client].tx_drop[port]`: packets the port refused, by port ID. */
  txDrop(client: number): U64Counters {
    const L = this.layout;
    return this.zone.counters(
      L.txStats + this.#client(client) * L.txStatsSize + L.txDrop,
      L.maxPorts,
    );
  }

  #client(c: number): number {
    if (!((c >>> 0) === c && c < this.layout.maxClients)) {
      throw new RangeError(
        `client ${c} is not in 0..${this.layout.maxClients - 1}`,
      );
    }
    return c;
  }
}

// Server statistics memzone (ours): u32 number of clients, u32 spare, then
// three arrays of MAX_CLIENTS uint64_t counters.
const STATS_OFF_CLIENTS = 0;
const STATS_OFF_COUNTERS = 8;
const STATS_SIZE = STATS_OFF_COUNTERS + 3 * 8 * MAX_CLIENTS;

/**
 * The server's statistics memzone: its `-n` and, per client, what it put
 * on the client's ring, dropped at a full ring, and freed at exit. Written
 * by the server only (its main thread and its lcore worker); clients read
 * the number of clients for their messages. A C server keeps none.
 */
export class ServerStats {
  /** The memzone. */
  readonly zone: Memzone;
  /** Per client: packets the server enqueued on its ring. */
  readonly rx: U64Counters;
  /** Per client: packets the server dropped because its ring was full. */
  readonly rxDrop: U64Counters;
  /** Per client: packets the server freed from its ring at exit. */
  readonly freed: U64Counters;

  private constructor(zone: Memzone) {
    this.zone = zone;
    const c = (k: number) =>
      zone.counters(STATS_OFF_COUNTERS + 8 * MAX_CLIENTS * k, MAX_CLIENTS);
    this.rx = c(0);
    this.rxDrop = c(1);
    this.freed = c(2);
  }

  /**
   * Reserves the memzone for `numClients` clients (the server, before it
   * creates the clients' rings: a client that found its ring finds this).
   */
  static create(numClients: number): ServerStats {
    const s = new ServerStats(Memzone.reserve(MZ_SERVER_STATS, STATS_SIZE));
    s.zone.dataView().setUint32(STATS_OFF_CLIENTS, numClients, true);
    return s;
  }

  /** The server's statistics, or undefined when it keeps none (a C server). */
  static lookup(): ServerStats | undefined {
    try {
      return new ServerStats(Memzone.lookup(MZ_SERVER_STATS));
    } catch (e) {
      if (e instanceof DpdkError) return undefined;
      throw e;
    }
  }

  /** Views a memzone handed over (the server's lcore worker). */
  static of(zone: Memzone): ServerStats {
    return new ServerStats(zone);
  }

  /** The number of clients the server was started for (`-n`). */
  get numClients(): number {
    return this.zone.dataView().getUint32(STATS_OFF_CLIENTS, true);
  }
}

/**
 * The claim table of client IDs, one slot per possible ID; opened (made
 * when missing) by the server and by every client of ours.
 */
export function clientClaims(): ClaimTable {
  return ClaimTable.open(MZ_CLIENT_CLAIMS, MAX_CLIENTS);
}
