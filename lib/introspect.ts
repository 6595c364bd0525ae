/**
 * Introspection of a running DPDK group, from any of its processes (a
 * secondary that only watches included): every memzone, ring and mempool
 * with sizes, counts and flags; every port's details, counters and
 * extended counters (names and values); and a client for the group's
 * telemetry socket, which works without EAL (any process can ask).
 *
 * Everything here only reads, except {@linkcode resetPortCounters}. The
 * walks are done in C (shim/introspect.c) under DPDK's own locks and come
 * back as JSON text through a bounded buffer.
 *
 * @example List what a group holds (in a secondary)
 * ```ts
 * import { initEal, mempools, rings } from "./mod.ts";
 * using _eal = initEal(["--proc-type=secondary", "--file-prefix=smp", "--no-pci"]);
 * for (const r of rings()) console.log(r.name, r.count, "/", r.capacity);
 * for (const p of mempools()) console.log(p.name, p.inUse, "in use of", p.size);
 * ```
 *
 * @example Ask telemetry (no EAL needed)
 * ```ts
 * import { TelemetryClient, telemetrySocketPath } from "./mod.ts";
 * using t = await TelemetryClient.connect(telemetrySocketPath("smp"));
 * console.log(await t.query("/ethdev/list"));
 * ```
 *
 * @module
 */

import { cbuf, cstr, fact, lib } from "../ffi/lib.ts";
import { DpdkError } from "./errors.ts";
import { RTE } from "./constants.ts";
import { Port, type PortStats } from "./ethdev.ts";
import { runtimeRoot } from "./proc.ts";
import { ealInitialised } from "./eal.ts";

// JSON as the shim writes it, mapped field by field into the typed results
// deno-lint-ignore no-explicit-any
type AnyJson = any;

/** Largest JSON text a walk may return (64 MiB). */
const MAX_TEXT = 64 << 20;

/**
 * Calls a shim function that writes JSON into a bounded buffer and returns
 * the length the text needs; retries once with the size it asked for.
 */
function readJson(
  what: string,
  call: (buf: Uint8Array, cap: number) => number,
  initial = 16384,
): unknown {
  if (!ealInitialised()) {
    // DPDK's walks read the group's shared memory: no EAL, no memory
    throw new DpdkError(`${what}: initEal() first`, RTE.ENODEV);
  }
  let cap = initial;
  for (let attempt = 0; attempt < 4; attempt++) {
    const buf = new Uint8Array(cap);
    const n = call(buf, cap);
    if (n < 0) throw new DpdkError(what, n);
    if (n < cap) {
      return JSON.parse(new TextDecoder().decode(buf.subarray(0, n)));
    }
    if (n + 1 > MAX_TEXT) {
      throw new RangeError(`${what}: ${n} bytes of text is over ${MAX_TEXT}`);
    }
    cap = Math.min(MAX_TEXT, n + 1 + (n >> 3)); // room if it grows meanwhile
  }
  throw new DpdkError(`${what}: the text kept growing`, RTE.EAGAIN);
}

// ---- memzones, rings, mempools ----------------------------------------------

/** A memzone of the group (`rte_memzone_walk`). */
export interface MemzoneInfo {
  /** Its name. */
  name: string;
  /** Length in bytes. */
  len: number;
  /** NUMA socket. */
  socket: number;
  /** `RTE_MEMZONE_*` flags it was reserved with. */
  flags: number;
  /** Names of those flags (e.g. `"2MB"`, `"IOVA_CONTIG"`). */
  flagNames: string[];
  /** Size of the hugepages backing it. */
  hugepageSize: number;
  /** Virtual address, hex (the same in every process of the group). */
  addr: string;
  /** IO address, hex. */
  iova: string;
}

/** Every memzone of the group (needs an initialised EAL). */
export function memzones(): MemzoneInfo[] {
  const raw = readJson(
    "rte_memzone_walk",
    (b, c) => lib().shim_introspect_memzones(b, c),
  ) as Record<string, unknown>[];
  return raw.map((z) => ({
    name: z.name as string,
    len: z.len as number,
    socket: z.socket as number,
    flags: z.flags as number,
    flagNames: z.flag_names as string[],
    hugepageSize: z.hugepage_sz as number,
    addr: z.addr as string,
    iova: z.iova as string,
  }));
}

/** A ring of the group (the `RTE_RING` list). */
export interface RingInfo {
  /** Its name. */
  name: string;
  /** `RING_F_*` flags. */
  flags: number;
  /** Names of those flags (e.g. `"SP_ENQ"`, `"SC_DEQ"`). */
  flagNames: string[];
  /** Slots (a power of two). */
  size: number;
  /** Most objects it holds. */
  capacity: number;
  /** Objects in it now. */
  count: number;
  /** Free slots now. */
  free: number;
  /** The memzone holding it. */
  memzone: string | null;
}

/** Every ring of the group, counts read now (needs an initialised EAL). */
export function rings(): RingInfo[] {
  const raw = readJson(
    "ring list",
    (b, c) => lib().shim_introspect_rings(b, c),
  ) as Record<string, unknown>[];
  return raw.map((r) => ({
    name: r.name as string,
    flags: r.flags as number,
    flagNames: r.flag_names as string[],
    size: r.size as number,
    capacity: r.capacity as number,
    count: r.count as number,
    free: r.free as number,
    memzone: r.memzone as string | null,
  }));
}

/** A mempool of the group (`rte_mempool_walk`). */
export interface MempoolInfo {
  /** Its name. */
  name: string;
  /** Objects it was made for. */
  size: number;
  /** Objects actually populated. */
  populated: number;
  /** Per-lcore cache size (0: no caches). */
  cacheSize: number;
  /** Object size in bytes. */
  eltSize: number;
  /** Header bytes before each object. */
  headerSize: number;
  /** Trailer bytes after each object. */
  trailerSize: number;
  /** Private area size (the pktmbuf parameters for mbuf pools). */
  privateDataSize: number;
  /** `RTE_MEMPOOL_F_*` flags. */
  flags: number;
  /** Names of those flags. */
  flagNames: string[];
  /** NUMA socket. */
  socket: number;
  /** Memory chunks backing it. */
  memChunks: number;
  /** Objects available (common pool plus per-lcore caches). */
  avail: number;
  /** Objects in use (`size - avail`). */
  inUse: number;
  /** Objects in the common pool. */
  commonCount: number;
  /** Objects held in per-lcore caches. */
  cacheCount: number;
  /** The caches holding objects: lcore ID and count. */
  caches: { lcore: number; count: number }[];
  /** Its mempool driver (e.g. `ring_mp_mc`). */
  ops: string | null;
  /** The memzone of its header. */
  memzone: string | null;
  /** For a packet mbuf pool: data room and private size; else null. */
  mbuf: { dataRoom: number; privSize: number } | null;
}

/** Every mempool of the group, counts read now (needs an initialised EAL). */
export function mempools(): MempoolInfo[] {
  const raw = readJson(
    "rte_mempool_walk",
    (b, c) => lib().shim_introspect_mempools(b, c),
  ) as Record<string, unknown>[];
  return raw.map((p) => {
    const mbuf = p.mbuf as { data_room: number; priv_size: number } | null;
    return {
      name: p.name as string,
      size: p.size as number,
      populated: p.populated as number,
      cacheSize: p.cache_size as number,
      eltSize: p.elt_size as number,
      headerSize: p.header_size as number,
      trailerSize: p.trailer_size as number,
      privateDataSize: p.private_data_size as number,
      flags: p.flags as number,
      flagNames: p.flag_names as string[],
      socket: p.socket as number,
      memChunks: p.nb_mem_chunks as number,
      avail: p.avail as number,
      inUse: p.in_use as number,
      commonCount: p.common_count as number,
      cacheCount: p.cache_count as number,
      caches: (p.caches as [number, number][]).map(([lcore, count]) => ({
        lcore,
        count,
      })),
      ops: p.ops as string | null,
      memzone: p.memzone as string | null,
      mbuf: mbuf === null
        ? null
        : { dataRoom: mbuf.data_room, privSize: mbuf.priv_size },
    };
  });
}

// ---- ports ------------------------------------------------------------------

/** A port's details, read without changing anything. */
export interface PortDetails {
  /** Port ID. */
  port: number;
  /** Device name, e.g. `net_null0`. */
  name: string;
  /** Driver name, e.g. `net_null`. */
  driver: string | null;
  /** NUMA socket (-1: unknown). */
  socket: number;
  /** MAC address, or null when the driver does not tell. */
  mac: string | null;
  /** MTU, or null when the driver does not tell. */
  mtu: number | null;
  /** Smallest and largest MTU, and largest frame, the device takes. */
  minMtu: number;
  /** Largest MTU the device takes. */
  maxMtu: number;
  /** Largest frame the device receives. */
  maxRxPktlen: number;
  /** Link state (null when unavailable). */
  link: {
    speed: number;
    up: boolean;
    fullDuplex: boolean;
    autoneg: boolean;
    text: string;
  } | null;
  /** Promiscuous mode: 1, 0, or a negative errno. */
  promiscuous: number;
  /** All-multicast mode: 1, 0, or a negative errno. */
  allmulticast: number;
  /** Configured RX queues. */
  rxQueues: number;
  /** Configured TX queues. */
  txQueues: number;
  /** Most RX queues the device supports. */
  maxRxQueues: number;
  /** Most TX queues the device supports. */
  maxTxQueues: number;
  /** RX offload capabilities (hex) and their names. */
  rxOffloadCapa: string;
  /** TX offload capabilities (hex). */
  txOffloadCapa: string;
  /** RSS hash functions supported (hex). */
  rssOffloads: string;
  /** Names of the RX offload capabilities. */
  rxOffloadCapaNames: string[];
  /** Names of the TX offload capabilities. */
  txOffloadCapaNames: string[];
  /** The configuration the primary gave (null when unavailable). */
  config: {
    mqMode: number;
    rssHf: string;
    rxOffloads: string;
    txOffloads: string;
    rxOffloadNames: string[];
    txOffloadNames: string[];
  } | null;
  /** Each RX queue's setup (null when the driver does not tell). */
  rxq: ({
    queue: number;
    nbDesc: number;
    scattered: boolean;
    dropEn: boolean;
    mempool: string | null;
  } | null)[];
  /** Each TX queue's setup (null when the driver does not tell). */
  txq: ({ queue: number; nbDesc: number } | null)[];
}

/** Details of port `id`: names, MAC, MTU, link, queues, offloads. */
export function portDetails(id: number): PortDetails {
  checkPortId(id);
  const d = readJson(
    `port ${id} details`,
    (b, c) => lib().shim_introspect_port(id, b, c),
  ) as AnyJson;
  return {
    port: d.port,
    name: d.name,
    driver: d.driver,
    socket: d.socket,
    mac: d.mac,
    mtu: d.mtu,
    minMtu: d.min_mtu,
    maxMtu: d.max_mtu,
    maxRxPktlen: d.max_rx_pktlen,
    link: d.link === null ? null : {
      speed: d.link.speed,
      up: d.link.up,
      fullDuplex: d.link.full_duplex,
      autoneg: d.link.autoneg,
      text: d.link.text,
    },
    promiscuous: d.promiscuous,
    allmulticast: d.allmulticast,
    rxQueues: d.nb_rx_queues,
    txQueues: d.nb_tx_queues,
    maxRxQueues: d.max_rx_queues,
    maxTxQueues: d.max_tx_queues,
    rxOffloadCapa: d.rx_offload_capa,
    txOffloadCapa: d.tx_offload_capa,
    rssOffloads: d.flow_type_rss_offloads,
    rxOffloadCapaNames: d.rx_offload_capa_names,
    txOffloadCapaNames: d.tx_offload_capa_names,
    config: d.config === null ? null : {
      mqMode: d.config.mq_mode,
      rssHf: d.config.rss_hf,
      rxOffloads: d.config.rx_offloads,
      txOffloads: d.config.tx_offloads,
      rxOffloadNames: d.config.rx_offload_names,
      txOffloadNames: d.config.tx_offload_names,
    },
    rxq: d.rxq.map((q: AnyJson) =>
      q === null ? null : {
        queue: q.queue,
        nbDesc: q.nb_desc,
        scattered: q.scattered,
        dropEn: q.drop_en,
        mempool: q.mempool,
      }
    ),
    txq: d.txq.map((q: AnyJson) =>
      q === null ? null : { queue: q.queue, nbDesc: q.nb_desc }
    ),
  };
}

/** One extended counter of a port. */
export interface Xstat {
  /** Its ID (`rte_eth_xstat.id`). */
  id: number;
  /** Its name, e.g. `rx_good_packets`. */
  name: string;
  /** Its value (exact below 2^53). */
  value: number;
}

/** Every extended counter of port `id`, names and values. */
export function portXstats(id: number): Xstat[] {
  checkPortId(id);
  for (let attempt = 0;; attempt++) {
    try {
      return readJson(
        `rte_eth_xstats_get(${id})`,
        (b, c) => lib().shim_introspect_xstats(id, b, c),
      ) as Xstat[];
    } catch (e) {
      // the set of counters changed between names and values: ask again
      if (!(e instanceof DpdkError && e.errno === RTE.EAGAIN) || attempt > 2) {
        throw e;
      }
    }
  }
}

/**
 * Resets port `id`'s counters, basic and extended
 * (`rte_eth_xstats_reset`). Affects every process of the group.
 */
export function resetPortCounters(id: number): void {
  checkPortId(id);
  const r = lib().shim_introspect_xstats_reset(id);
  if (r < 0) throw new DpdkError(`rte_eth_xstats_reset(${id})`, r);
}

function checkPortId(id: number): void {
  if (!((id >>> 0) === id && id < RTE.RTE_MAX_ETHPORTS)) {
    throw new RangeError(
      `port ${id} is not an integer in 0..${RTE.RTE_MAX_ETHPORTS - 1}`,
    );
  }
}

/** What {@linkcode portReport} returns for one port. */
export interface PortReport {
  /** The port's details. */
  details: PortDetails;
  /** Its counters (with per-queue counters of its RX/TX queues). */
  stats: PortStats;
  /** Its extended counters. */
  xstats: Xstat[];
}

/** Details, counters and extended counters of port `id`. */
export function portReport(id: number): PortReport {
  const details = portDetails(id);
  const q = Math.min(
    RTE.RTE_ETHDEV_QUEUE_STAT_CNTRS,
    Math.max(details.rxQueues, details.txQueues),
  );
  return { details, stats: new Port(id).stats(q), xstats: portXstats(id) };
}

/** Everything a group holds, read at one time by {@linkcode groupSnapshot}. */
export interface GroupSnapshot {
  /** Every memzone. */
  memzones: MemzoneInfo[];
  /** Every ring. */
  rings: RingInfo[];
  /** Every mempool. */
  mempools: MempoolInfo[];
  /** Every port. */
  ports: PortReport[];
}

/** Every memzone, ring, mempool and port of the group, read now. */
export function groupSnapshot(): GroupSnapshot {
  return {
    memzones: memzones(),
    rings: rings(),
    mempools: mempools(),
    ports: Port.ids().map(portReport),
  };
}

// ---- telemetry ----------------------------------------------------------------

/** Name of the telemetry socket in a group's runtime folder. */
export const TELEMETRY_SOCKET = "dpdk_telemetry.v2";

/**
 * Path of the telemetry socket of the group `prefix` (its
 * `--file-prefix`), in the runtime folder EAL picks.
 */
export function telemetrySocketPath(
  prefix: string,
  root: string = runtimeRoot(),
): string {
  return `${root}/${prefix}/${TELEMETRY_SOCKET}`;
}

/** The greeting of a telemetry server. */
export interface TelemetryInfo {
  /** DPDK's version string, e.g. `DPDK 22.11.11`. */
  version: string;
  /** PID of the process serving the socket (the primary). */
  pid: number;
  /** Longest reply it sends, in bytes. */
  max_output_len: number;
}

/** Options of {@linkcode TelemetryClient.connect}. */
export interface TelemetryOptions {
  /** Longest wait for a reply, in ms (0: the shim's default, 5 s). */
  timeoutMs?: number;
}

/**
 * A connection to a DPDK telemetry socket (`SOCK_SEQPACKET`, opened by
 * the shim: Deno has no such sockets). Queries run off the JS thread and
 * one at a time. Works without EAL: any process may ask.
 */
export class TelemetryClient implements Disposable {
  /** The socket's path. */
  readonly path: string;
  /** The server's greeting. */
  readonly info: TelemetryInfo;
  #fd: number;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(path: string, fd: number, info: TelemetryInfo) {
    this.path = path;
    this.#fd = fd;
    this.info = info;
  }

  /**
   * Connects to the socket at `path` (see {@linkcode telemetrySocketPath}).
   *
   * @throws DpdkError (ENOENT, ECONNREFUSED...) naming the path; the
   *   message says when no primary runs there
   */
  static async connect(
    path: string,
    opts: TelemetryOptions = {},
  ): Promise<TelemetryClient> {
    const cap = 4096;
    const info = new Uint8Array(cap);
    const fd = await lib().shim_telemetry_open(
      cbuf(path),
      info,
      cap,
      opts.timeoutMs ?? 0,
    );
    if (fd < 0) {
      const e = new DpdkError(`telemetry connect ${path}`, fd);
      if (e.errno === RTE.ENOENT || e.errno === fact("ECONNREFUSED")) {
        e.message = `no DPDK process serves telemetry at ${path}: is the ` +
          `group's primary running? (${e.message})`;
      }
      throw e;
    }
    return new TelemetryClient(
      path,
      fd,
      JSON.parse(cstr(Deno.UnsafePointer.of(info))) as TelemetryInfo,
    );
  }

  /** Whether {@linkcode close} was called. */
  get closed(): boolean {
    return this.#fd < 0;
  }

  /**
   * Runs one command (e.g. `/ethdev/stats,0`) and returns the value of its
   * reply (the reply is `{"<command>": value}`; `null` for an unknown
   * command). Queries on one client are run in order.
   */
  query(command: string): Promise<unknown> {
    const run = async () => {
      const raw = await this.queryRaw(command);
      const obj = JSON.parse(raw) as Record<string, unknown>;
      const key = command.split(",")[0];
      return key in obj ? obj[key] : Object.values(obj)[0];
    };
    const p = this.#queue.then(run, run);
    this.#queue = p.catch(() => {});
    return p;
  }

  /** Runs one command and returns the reply's JSON text as sent. */
  async queryRaw(command: string): Promise<string> {
    if (this.#fd < 0) throw new DpdkError(`telemetry ${this.path} is closed`);
    const cap = this.info.max_output_len + 1;
    const out = new Uint8Array(cap);
    const n = await lib().shim_telemetry_query(
      this.#fd,
      cbuf(command),
      out,
      cap,
    );
    if (n < 0) throw new DpdkError(`telemetry "${command}"`, n);
    return new TextDecoder().decode(out.subarray(0, n));
  }

  /** Closes the connection (idempotent). */
  close(): void {
    if (this.#fd >= 0) {
      lib().shim_telemetry_close(this.#fd);
      this.#fd = -1;
    }
  }

  /** Same as {@linkcode close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Runs telemetry `commands` on one connection to `path` and returns their
 * values, in order (see {@linkcode TelemetryClient.query}).
 */
export async function telemetryQuery(
  path: string,
  commands: readonly string[],
  opts: TelemetryOptions = {},
): Promise<unknown[]> {
  using client = await TelemetryClient.connect(path, opts);
  const out: unknown[] = [];
  for (const c of commands) out.push(await client.query(c));
  return out;
}
