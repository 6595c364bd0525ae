/**
 * What mp_server and mp_client share (client_server_mp/shared/common.h):
 * the names of the mbuf pool, the client rings and the port-info memzone,
 * and the memzone's layout, byte for byte C's `struct port_info`, so our
 * processes and the C originals work together.
 *
 * Beyond C, the server keeps a second memzone, the client registry: the
 * number of clients, the PID of each attached client and of each lcore ID
 * in use, and the server-side per-client counters. Our clients claim their
 * client ID and lcore IDs there (atomically), which is how a duplicate
 * client ID or a shared lcore ID is refused while a restarted client (its
 * old PID gone) is let in. The C originals do not know this memzone.
 *
 * @module
 */

import {
  MAX_ETHPORTS,
  Memzone,
  processAlive,
  processStartTime,
  U64Counters,
} from "../../mod.ts";

/** `MAX_CLIENTS` of common.h: the size of `port_info.tx_stats`. */
export const MAX_CLIENTS = 16;
/** `MP_CLIENT_RXQ_NAME` of common.h. */
export const CLIENT_RING_NAME = "MProc_Client_%u_RX";
/** `PKTMBUF_POOL_NAME` of common.h. */
export const PKTMBUF_POOL_NAME = "MProc_pktmbuf_pool";
/** `MZ_PORT_INFO` of common.h. */
export const MZ_PORT_INFO = "MProc_port_info";
/** Our own memzone: the client registry (unknown to the C originals). */
export const MZ_REGISTRY = "MProc_client_registry";

/** The ring of client `id` (`get_rx_queue_name`). */
export function clientRingName(id: number): string {
  return CLIENT_RING_NAME.replace("%u", String(id));
}

// struct port_info { uint16_t num_ports; uint16_t id[RTE_MAX_ETHPORTS];
//   struct rx_stats rx_stats;            (cache aligned: uint64_t rx[32])
//   struct tx_stats tx_stats[MAX_CLIENTS]; (cache aligned: uint64_t tx[32],
//                                           uint64_t tx_drop[32]) }
// Offsets as gcc lays them out (checked with offsetof against common.h).
const OFF_NUM_PORTS = 0;
const OFF_ID = 2;
const OFF_RX_STATS = 128;
const OFF_TX_STATS = 384;
const TX_STATS_SIZE = 2 * 8 * MAX_ETHPORTS; // 512
/** `sizeof(struct port_info)`. */
export const PORT_INFO_SIZE: number = OFF_TX_STATS +
  MAX_CLIENTS * TX_STATS_SIZE; // 8576

/**
 * The port-info memzone seen through typed views: which ports the server
 * uses, its RX counts, and each client's TX counts.
 */
export class PortInfo {
  /** The memzone. */
  readonly zone: Memzone;
  /**
   * `rx_stats.rx[i]`: packets the server received on the i-th port of
   * `ids` (indexed by position, as the C server does).
   */
  readonly rx: U64Counters;
  readonly #view: DataView<ArrayBuffer>;

  private constructor(zone: Memzone) {
    this.zone = zone;
    this.#view = zone.dataView();
    this.rx = zone.counters(OFF_RX_STATS, MAX_ETHPORTS);
  }

  /** Reserves the memzone (server; zeroed). */
  static reserve(): PortInfo {
    return new PortInfo(Memzone.reserve(MZ_PORT_INFO, PORT_INFO_SIZE));
  }

  /** Finds the server's memzone (client, or a server's worker). */
  static lookup(): PortInfo {
    return new PortInfo(Memzone.lookup(MZ_PORT_INFO));
  }

  /** Sets `num_ports` and `id[]`. */
  setPorts(ids: number[]): void {
    this.#view.setUint16(OFF_NUM_PORTS, ids.length, true);
    ids.forEach((p, i) => this.#view.setUint16(OFF_ID + 2 * i, p, true));
  }

  /** The port IDs (`id[0 .. num_ports - 1]`). */
  ports(): number[] {
    const n = Math.min(this.#view.getUint16(OFF_NUM_PORTS, true), MAX_ETHPORTS);
    return Array.from(
      { length: n },
      (_, i) => this.#view.getUint16(OFF_ID + 2 * i, true),
    );
  }

  /** `tx_stats[client].tx[port]`: packets client sent, by port ID. */
  tx(client: number): U64Counters {
    return this.zone.counters(
      OFF_TX_STATS + client * TX_STATS_SIZE,
      MAX_ETHPORTS,
    );
  }

  /** `tx_stats[client].tx_drop[port]`: packets the port refused, by port ID. */
  txDrop(client: number): U64Counters {
    return this.zone.counters(
      OFF_TX_STATS + client * TX_STATS_SIZE + 8 * MAX_ETHPORTS,
      MAX_ETHPORTS,
    );
  }
}

// Registry layout (our own; little-endian, 8-aligned counters):
const REG_MAGIC = 0x5354504d; // "MPTS"
const REG_OFF_MAGIC = 0;
const REG_OFF_CLIENTS = 4; // u32 number of clients
const REG_OFF_SERVER_PID = 8; // u32
const REG_OFF_PID = 64; // u32[MAX_CLIENTS]: attached client's PID, 0: none
const REG_OFF_START = 128; // f64[MAX_CLIENTS]: its start time (/proc)
const REG_OFF_RX = 256; // u64[MAX_CLIENTS]: packets given to the ring
const REG_OFF_RX_DROP = 384; // u64[MAX_CLIENTS]: dropped, ring full
const REG_OFF_FREED = 512; // u64[MAX_CLIENTS]: freed from the ring at exit
const REG_OFF_LCORE = 640; // u32[MAX_LCORE]: PID using each lcore ID
const MAX_LCORE = 128; // RTE_MAX_LCORE of Debian's build
const REG_SIZE = REG_OFF_LCORE + 4 * MAX_LCORE;

/** What a claim found in the way: the PID holding the slot. */
export interface ClaimRefused {
  /** The live process holding it. */
  pid: number;
}

/**
 * The client registry memzone (see the module docs). Claims are atomic
 * compare-and-swaps on PIDs; a slot held by a process that is gone is
 * taken over.
 */
export class Registry {
  /** The memzone. */
  readonly zone: Memzone;
  /** Per client: packets the server enqueued on its ring. */
  readonly rx: U64Counters;
  /** Per client: packets the server dropped because its ring was full. */
  readonly rxDrop: U64Counters;
  /** Per client: packets the server freed from its ring at exit. */
  readonly freed: U64Counters;
  readonly #view: DataView<ArrayBuffer>;

  private constructor(zone: Memzone) {
    this.zone = zone;
    this.#view = zone.dataView();
    this.rx = zone.counters(REG_OFF_RX, MAX_CLIENTS);
    this.rxDrop = zone.counters(REG_OFF_RX_DROP, MAX_CLIENTS);
    this.freed = zone.counters(REG_OFF_FREED, MAX_CLIENTS);
  }

  /** Reserves the registry (server) for `numClients` clients. */
  static create(numClients: number): Registry {
    const r = new Registry(Memzone.reserve(MZ_REGISTRY, REG_SIZE));
    r.#view.setUint32(REG_OFF_CLIENTS, numClients, true);
    r.#view.setUint32(REG_OFF_SERVER_PID, Deno.pid, true);
    r.#view.setUint32(REG_OFF_MAGIC, REG_MAGIC, true);
    return r;
  }

  /** The server's registry, or undefined (a C mp_server keeps none). */
  static lookup(): Registry | undefined {
    let zone: Memzone;
    try {
      zone = Memzone.lookup(MZ_REGISTRY);
    } catch {
      return undefined;
    }
    const r = new Registry(zone);
    return r.#view.getUint32(REG_OFF_MAGIC, true) === REG_MAGIC ? r : undefined;
  }

  /** The number of clients the server was started for (`-n`). */
  get numClients(): number {
    return this.#view.getUint32(REG_OFF_CLIENTS, true);
  }

  /** The server's PID. */
  get serverPid(): number {
    return this.#view.getUint32(REG_OFF_SERVER_PID, true);
  }

  /** PID of the live client attached as `id`, or 0. */
  clientPid(id: number): number {
    const pid = this.#view.getUint32(REG_OFF_PID + 4 * id, true);
    const start = this.#view.getFloat64(REG_OFF_START + 8 * id, true);
    return processAlive(pid, start) ? pid : 0;
  }

  /** Client IDs with a live client attached. */
  attached(): number[] {
    const out: number[] = [];
    for (let id = 0; id < this.numClients; id++) {
      if (this.clientPid(id) !== 0) out.push(id);
    }
    return out;
  }

  /**
   * Atomically makes `pid` the holder of the u32 at `offset`, unless a
   * holder for which `alive` is true is there.
   */
  #claim(
    offset: number,
    pid: number,
    alive: (holder: number) => boolean,
  ): ClaimRefused | undefined {
    for (;;) {
      const old = this.zone.compareExchangeU32(offset, 0, pid);
      if (old === 0 || old === pid) return undefined;
      if (alive(old)) return { pid: old };
      // the holder is gone: take its place, unless someone else just did
      if (this.zone.compareExchangeU32(offset, old, pid) === old) {
        return undefined;
      }
    }
  }

  /** Claims client ID `id` for this process; returns who holds it if live. */
  claimClient(id: number): ClaimRefused | undefined {
    const start = this.#view.getFloat64(REG_OFF_START + 8 * id, true);
    const refused = this.#claim(
      REG_OFF_PID + 4 * id,
      Deno.pid,
      (holder) => processAlive(holder, start),
    );
    if (refused) return refused;
    this.#view.setFloat64(
      REG_OFF_START + 8 * id,
      processStartTime(Deno.pid),
      true,
    );
    return undefined;
  }

  /** Gives client ID `id` back (if this process holds it). */
  releaseClient(id: number): void {
    this.zone.compareExchangeU32(REG_OFF_PID + 4 * id, Deno.pid, 0);
  }

  /**
   * Claims lcore IDs for this process. On a conflict every claim made here
   * is undone and the lcore and its holder are returned.
   */
  claimLcores(
    lcores: number[],
  ): (ClaimRefused & { lcore: number }) | undefined {
    const done: number[] = [];
    for (const l of lcores) {
      if (l >= MAX_LCORE) continue;
      const refused = this.#claim(
        REG_OFF_LCORE + 4 * l,
        Deno.pid,
        (holder) => processAlive(holder),
      );
      if (refused) {
        this.releaseLcores(done);
        return { ...refused, lcore: l };
      }
      done.push(l);
    }
    return undefined;
  }

  /** Gives lcore IDs back (those this process holds). */
  releaseLcores(lcores: number[]): void {
    for (const l of lcores) {
      if (l < MAX_LCORE) {
        this.zone.compareExchangeU32(REG_OFF_LCORE + 4 * l, Deno.pid, 0);
      }
    }
  }

  /** Who `pid` is, for messages: "mp_server", "mp_client 1" or "a process". */
  describe(pid: number): string {
    if (pid === this.serverPid) return "mp_server";
    for (let id = 0; id < MAX_CLIENTS; id++) {
      if (this.#view.getUint32(REG_OFF_PID + 4 * id, true) === pid) {
        return `mp_client ${id}`;
      }
    }
    return "a process";
  }
}
