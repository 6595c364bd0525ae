/**
 * Ethernet ports (`rte_ethdev`): information, configuration with the
 * fallbacks the multi-process samples use, queues, start/stop, link,
 * stats, MAC, and burst RX/TX with TX buffers.
 *
 * @module
 */

import { cbuf, cstr, lib } from "../ffi/lib.ts";
import { check, checkPtr, DpdkError } from "./errors.ts";
import type { Mempool } from "./mempool.ts";
import { addressOf, pointerFrom, type PtrArray } from "./ptr.ts";

/** `RTE_ETH_RSS_IP`: hash on IPv4/IPv6 addresses. */
export const RSS_IP = 0xa38cn;
/** `RTE_MAX_ETHPORTS` of Debian's DPDK build. */
export const MAX_ETHPORTS = 32;

/** Static facts about a port. */
export interface PortInfo {
  /** Driver name, e.g. `net_null`. */
  driver: string;
  /** Device name, e.g. `net_null0`. */
  name: string;
  /** Most RX queues the device supports. */
  maxRxQueues: number;
  /** Most TX queues the device supports. */
  maxTxQueues: number;
  /** RSS hash functions the device supports. */
  rssOffloads: bigint;
  /** RX offload capabilities (`RTE_ETH_RX_OFFLOAD_*`). */
  rxOffloadCapa: bigint;
  /** TX offload capabilities (`RTE_ETH_TX_OFFLOAD_*`). */
  txOffloadCapa: bigint;
  /** NUMA socket, or -1 when unknown. */
  socket: number;
  /** Configured RX queues. */
  rxQueues: number;
  /** Configured TX queues. */
  txQueues: number;
}

/** Options of {@linkcode Port.configure}. */
export interface PortConfig {
  /** RX queues to configure. */
  rxQueues: number;
  /** TX queues to configure. */
  txQueues: number;
  /** RSS hash functions wanted (masked by the device's); 0n: no RSS. */
  rssHf?: bigint;
  /** Ask for RX checksum offload (dropped if the device refuses it). */
  rxChecksum?: boolean;
  /** Use MBUF_FAST_FREE on TX when the device has it. */
  fastFree?: boolean;
}

/** What {@linkcode Port.configure} settled on. */
export interface PortConfigResult {
  /** RSS hash functions configured (0n: none). */
  rssHf: bigint;
  /** Whether RX checksum offload stayed on. */
  rxChecksum: boolean;
  /** Whether RSS stayed on. */
  rss: boolean;
  /** Human-readable lines about each fallback taken. */
  notes: string[];
}

/** Port counters (`rte_eth_stats`), totals of every process. */
export interface PortStats {
  /** Packets received. */
  ipackets: number;
  /** Packets sent. */
  opackets: number;
  /** Bytes received. */
  ibytes: number;
  /** Bytes sent. */
  obytes: number;
  /** Packets dropped by the device (RX queues full). */
  imissed: number;
  /** Erroneous received packets. */
  ierrors: number;
  /** Failed transmissions. */
  oerrors: number;
  /** RX mbuf allocation failures. */
  rxNoMbuf: number;
  /** Per-queue RX packets (first queues, as requested). */
  qIpackets: number[];
  /** Per-queue TX packets. */
  qOpackets: number[];
}

/** Link state. */
export interface LinkStatus {
  /** Whether the link is up. */
  up: boolean;
  /** Speed in Mbps. */
  speed: number;
  /** Full duplex (else half). */
  fullDuplex: boolean;
}

/** An ethdev port, by ID. Hot-path methods are one FFI fast call each. */
export class Port {
  /** The port ID. */
  readonly id: number;

  /**
   * Opens port `id`.
   *
   * @throws Error when `id` is not a valid port of this process
   */
  constructor(id: number) {
    if (
      !Number.isInteger(id) || id < 0 || id >= MAX_ETHPORTS ||
      lib().rte_eth_dev_is_valid_port(id) === 0
    ) {
      throw new Error(
        `port ${id} does not exist (${Port.count()} port(s) available)`,
      );
    }
    this.id = id;
  }

  /** Number of ports available (`rte_eth_dev_count_avail`). */
  static count(): number {
    return lib().rte_eth_dev_count_avail();
  }

  /** Every valid port ID. */
  static ids(): number[] {
    const out: number[] = [];
    for (let p = 0; p < MAX_ETHPORTS; p++) {
      if (lib().rte_eth_dev_is_valid_port(p) !== 0) out.push(p);
    }
    return out;
  }

  /** Device name (`rte_eth_dev_get_name_by_port`). */
  get name(): string {
    const buf = new Uint8Array(64);
    check(
      "rte_eth_dev_get_name_by_port",
      lib().rte_eth_dev_get_name_by_port(this.id, buf),
    );
    return cstr(Deno.UnsafePointer.of(buf));
  }

  /** Static facts about the port. */
  info(): PortInfo {
    const out = new BigUint64Array(8);
    const name = new Uint8Array(64);
    check(
      `rte_eth_dev_info_get(${this.id})`,
      lib().shim_eth_info(this.id, out, name),
    );
    return {
      driver: cstr(Deno.UnsafePointer.of(name)),
      name: this.name,
      maxRxQueues: Number(out[0]),
      maxTxQueues: Number(out[1]),
      rssOffloads: out[2],
      rxOffloadCapa: out[3],
      txOffloadCapa: out[4],
      socket: Number(out[5]) - 1,
      rxQueues: Number(out[6]),
      txQueues: Number(out[7]),
    };
  }

  /** NUMA socket of the port (-1 when unknown). */
  get socket(): number {
    return lib().rte_eth_dev_socket_id(this.id);
  }

  /**
   * Configures the port (`rte_eth_dev_configure`) as the multi-process
   * samples do: the RSS hash functions are masked by what the device
   * supports; if the device refuses the configuration (-EINVAL) it is
   * retried without RX checksum offload, and if RSS is not supported
   * (-ENOTSUP) without RSS. Every fallback is reported in `notes`.
   */
  configure(cfg: PortConfig): PortConfigResult {
    const notes: string[] = [];
    const wantRss = (cfg.rssHf ?? 0n) !== 0n;
    let rss = wantRss;
    let csum = cfg.rxChecksum ?? false;
    const got = new BigUint64Array(1);
    const attempt = () =>
      lib().shim_eth_configure(
        this.id,
        cfg.rxQueues,
        cfg.txQueues,
        (rss ? 1 : 0) | (csum ? 2 : 0) | (cfg.fastFree ? 4 : 0),
        cfg.rssHf ?? 0n,
        got,
      );
    let ret = attempt();
    if (rss && got[0] !== cfg.rssHf) {
      notes.push(
        `Port ${this.id} modified RSS hash function based on hardware support, ` +
          `requested:0x${cfg.rssHf!.toString(16)} configured:0x${
            got[0].toString(16)
          }`,
      );
    }
    if (ret === -22 && csum) {
      notes.push(
        `Port ${this.id} configuration failed. Re-attempting with HW checksum disabled.`,
      );
      csum = false;
      ret = attempt();
    }
    if (ret === -95 && rss) {
      notes.push(
        `Port ${this.id} configuration failed. Re-attempting with HW RSS disabled.`,
      );
      rss = false;
      ret = attempt();
    }
    check(`rte_eth_dev_configure(port ${this.id})`, ret);
    return { rssHf: rss ? got[0] : 0n, rxChecksum: csum, rss, notes };
  }

  /**
   * Adjusts descriptor counts to the device's limits
   * (`rte_eth_dev_adjust_nb_rx_tx_desc`).
   */
  adjustDescriptors(rx: number, tx: number): { rx: number; tx: number } {
    const r = new Uint16Array([rx]);
    const t = new Uint16Array([tx]);
    check(
      `rte_eth_dev_adjust_nb_rx_tx_desc(${this.id})`,
      lib().rte_eth_dev_adjust_nb_rx_tx_desc(this.id, r, t),
    );
    return { rx: r[0], tx: t[0] };
  }

  /** Sets up RX queue `q` with `nbDesc` descriptors filled from `pool`. */
  setupRxQueue(q: number, nbDesc: number, pool: Mempool): void {
    check(
      `rte_eth_rx_queue_setup(port ${this.id}, queue ${q})`,
      lib().shim_eth_rx_queue_setup(this.id, q, nbDesc, pool.handle),
    );
  }

  /** Sets up TX queue `q` with `nbDesc` descriptors. */
  setupTxQueue(q: number, nbDesc: number): void {
    check(
      `rte_eth_tx_queue_setup(port ${this.id}, queue ${q})`,
      lib().shim_eth_tx_queue_setup(this.id, q, nbDesc),
    );
  }

  /** Enables promiscuous mode. */
  promiscuous(): void {
    check(
      `rte_eth_promiscuous_enable(${this.id})`,
      lib().rte_eth_promiscuous_enable(this.id),
    );
  }

  /** Starts the port. */
  start(): void {
    check(`rte_eth_dev_start(${this.id})`, lib().rte_eth_dev_start(this.id));
  }

  /** Stops the port. */
  stop(): void {
    check(`rte_eth_dev_stop(${this.id})`, lib().rte_eth_dev_stop(this.id));
  }

  /** Closes the port (after stop). */
  close(): void {
    check(`rte_eth_dev_close(${this.id})`, lib().rte_eth_dev_close(this.id));
  }

  /** Link state, without waiting. */
  link(): LinkStatus {
    const out = new Uint32Array(3);
    check(
      `rte_eth_link_get_nowait(${this.id})`,
      lib().shim_eth_link(this.id, out),
    );
    return { speed: out[0], up: out[1] !== 0, fullDuplex: out[2] !== 0 };
  }

  /** MAC address as `aa:bb:cc:dd:ee:ff`. */
  mac(): string {
    const b = new Uint8Array(6);
    check(
      `rte_eth_macaddr_get(${this.id})`,
      lib().rte_eth_macaddr_get(this.id, b),
    );
    return [...b].map((x) => x.toString(16).padStart(2, "0")).join(":");
  }

  /** Port counters; `queues` per-queue counters are read too (max 16). */
  stats(queues = 0): PortStats {
    const nq = Math.min(queues, 16);
    const out = new BigUint64Array(8 + 2 * nq);
    check(
      `rte_eth_stats_get(${this.id})`,
      lib().shim_eth_stats(this.id, out, nq),
    );
    const n = (i: number) => Number(out[i]);
    return {
      ipackets: n(0),
      opackets: n(1),
      ibytes: n(2),
      obytes: n(3),
      imissed: n(4),
      ierrors: n(5),
      oerrors: n(6),
      rxNoMbuf: n(7),
      qIpackets: Array.from({ length: nq }, (_, i) => n(8 + i)),
      qOpackets: Array.from({ length: nq }, (_, i) => n(8 + nq + i)),
    };
  }

  /** Resets the port's counters. */
  resetStats(): void {
    check(
      `rte_eth_stats_reset(${this.id})`,
      lib().rte_eth_stats_reset(this.id),
    );
  }

  /** Receives up to `n` mbufs from queue `q` into `mbufs`. Hot path. */
  rxBurst(q: number, mbufs: PtrArray, n: number): number {
    return lib().shim_eth_rx_burst(this.id, q, mbufs, n);
  }

  /** Transmits up to `n` mbufs on queue `q`; returns how many went. Hot path. */
  txBurst(q: number, mbufs: PtrArray, n: number): number {
    return lib().shim_eth_tx_burst(this.id, q, mbufs, n);
  }

  /**
   * Transmits `n` mbufs on queue `q` and frees those the queue did not
   * take; returns how many went. Hot path.
   */
  txBurstOrFree(q: number, mbufs: PtrArray, n: number): number {
    return lib().shim_eth_tx_burst_free(this.id, q, mbufs, n);
  }
}

/**
 * Creates a port on rings you own (`rte_eth_from_rings`): packets you
 * enqueue on an RX ring arrive on the port; packets sent on the port land
 * on its TX ring. Returns the new port.
 */
export function portFromRings(
  name: string,
  rx: { address: bigint }[],
  tx: { address: bigint }[],
  socket = 0,
): Port {
  const arr = (rs: { address: bigint }[]) =>
    new Uint8Array(new BigUint64Array(rs.map((r) => r.address)).buffer);
  const id = lib().rte_eth_from_rings(
    cbuf(name),
    arr(rx),
    rx.length,
    arr(tx),
    tx.length,
    socket,
  );
  if (id < 0) throw new DpdkError(`rte_eth_from_rings("${name}")`);
  return new Port(id);
}

/**
 * A TX buffer (`rte_eth_dev_tx_buffer`) with its own counters: packets are
 * held until `size` are buffered, then sent as one burst; what the queue
 * refuses is freed and counted as dropped.
 */
export class TxBuffer {
  /** The shim's TX buffer. */
  readonly handle: Deno.PointerObject;
  #counters: BigUint64Array<ArrayBuffer>;
  #owned: boolean;

  private constructor(handle: Deno.PointerObject, owned: boolean) {
    this.handle = handle;
    this.#owned = owned;
    this.#counters = new BigUint64Array(
      Deno.UnsafePointerView.getArrayBuffer(handle, 16),
    );
  }

  /** Creates a TX buffer holding up to `size` packets. */
  static create(size = 32, socket = -1): TxBuffer {
    const p = lib().shim_tx_buffer_create(size, socket);
    return new TxBuffer(checkPtr(`TX buffer of ${size}`, p), true);
  }

  /** Rebuilds a handle from {@linkcode TxBuffer.address} (for workers). */
  static fromAddress(address: bigint): TxBuffer {
    return new TxBuffer(pointerFrom(address), false);
  }

  /** The buffer's address, to hand to a worker. */
  get address(): bigint {
    return addressOf(this.handle);
  }

  /**
   * Buffers `n` mbufs for `port`/`queue`, sending whenever the buffer
   * fills; returns packets sent by this call. Hot path.
   */
  add(port: number, queue: number, mbufs: PtrArray, n: number): number {
    return lib().shim_tx_buffer_burst(port, queue, this.handle, mbufs, n);
  }

  /** Sends what is buffered; returns packets sent. */
  flush(port: number, queue: number): number {
    return lib().shim_tx_buffer_flush(port, queue, this.handle);
  }

  /** Packets waiting in the buffer. */
  get length(): number {
    return lib().shim_tx_buffer_length(this.handle);
  }

  /** Packets sent through this buffer so far. */
  get sent(): number {
    return Number(this.#counters[0]);
  }

  /** Packets the queue refused (freed) so far. */
  get dropped(): number {
    return Number(this.#counters[1]);
  }

  /**
   * A live view of the counters as 32-bit halves: `[sent low, sent high,
   * dropped low, dropped high]`. Reading it allocates nothing (no BigInt),
   * so a hot loop can follow the counters; make the view once.
   */
  counterWords(): Uint32Array<ArrayBuffer> {
    return new Uint32Array(
      this.#counters.buffer,
      this.#counters.byteOffset,
      4,
    );
  }

  /** Frees the buffer (send or drop what it holds first). */
  [Symbol.dispose](): void {
    if (this.#owned) {
      this.#owned = false;
      lib().shim_tx_buffer_free(this.handle);
    }
  }
}

/**
 * Buffers each of `n` mbufs for the port paired with the port it arrived
 * on (`map[mbuf.port]`), through `buffers[mbuf.port]`, on `queue`. One FFI
 * call per burst; returns packets sent. Build `buffers` and `map` once with
 * {@linkcode txTable}.
 */
export function txByInputPort(
  queue: number,
  table: { buffers: Uint8Array<ArrayBuffer>; map: Uint16Array<ArrayBuffer> },
  mbufs: PtrArray,
  n: number,
): number {
  return lib().shim_tx_buffer_by_port(
    queue,
    table.buffers,
    table.map,
    mbufs,
    n,
  );
}

/** The tables {@linkcode txByInputPort} reads: per input port, buffer and output port. */
export function txTable(
  entries: { inPort: number; outPort: number; buffer: TxBuffer }[],
): { buffers: Uint8Array<ArrayBuffer>; map: Uint16Array<ArrayBuffer> } {
  const ptrs = new BigUint64Array(MAX_ETHPORTS);
  const map = new Uint16Array(MAX_ETHPORTS);
  for (const e of entries) {
    ptrs[e.inPort] = e.buffer.address;
    map[e.inPort] = e.outPort;
  }
  return { buffers: new Uint8Array(ptrs.buffer), map };
}
