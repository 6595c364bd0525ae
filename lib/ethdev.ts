/**
 * Ethernet ports (`rte_ethdev`): information, configuration, queues
 * (checked once, then used in hot calls), start/stop, link, stats, MAC,
 * burst RX/TX, and TX buffers with routing tables.
 *
 * @module
 */

import { cbuf, cstr, lib } from "../ffi/lib.ts";
import { hotLib } from "./ptr.ts";
import { callPtr, check, checkCount, DpdkError } from "./errors.ts";
import { layout, RTE } from "./constants.ts";
import type { PktmbufPool } from "./mempool.ts";
import {
  DESCRIBE,
  type Descriptor,
  disposed,
  registerKind,
  track,
} from "./handle.ts";
import {
  type PtrArray,
  unsafeAddressOf,
  unsafeArrayPointer,
  unsafePointerFrom,
} from "./ptr.ts";
import type { Ring } from "./ring.ts";

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

/** Options of {@linkcode Port.configure}: exactly what is configured. */
export interface PortConfig {
  /** RX queues to configure. */
  rxQueues: number;
  /** TX queues to configure. */
  txQueues: number;
  /**
   * RSS hash functions (`RTE.RTE_ETH_RSS_*`); 0n (the default) configures
   * no RSS. Not masked: mask by `info().rssOffloads` first if you want.
   */
  rssHf?: bigint;
  /** RX offloads (`RTE_ETH_RX_OFFLOAD_*`, default 0n). */
  rxOffloads?: bigint;
  /** TX offloads (`RTE_ETH_TX_OFFLOAD_*`, default 0n). */
  txOffloads?: bigint;
}

/** Options of {@linkcode Port.setupRxQueue}. */
export interface RxQueueOptions {
  /**
   * Drop packets when no descriptor is free (`rx_drop_en`), rather than
   * hold them in the device (default false, the device's default).
   */
  dropWhenFull?: boolean;
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

/** Only Port makes queues: a queue object is one that was checked. */
const CHECKED: unique symbol = Symbol("dpdk.checked");

/**
 * An RX queue of a port, checked once against the device
 * ({@linkcode Port.rxQueue}) and then used in hot calls.
 */
export class RxQueue {
  /** The port ID. */
  readonly port: number;
  /** The queue index. */
  readonly queue: number;

  /** @internal use {@linkcode Port.rxQueue} */
  constructor(token: typeof CHECKED, port: number, queue: number) {
    if (token !== CHECKED) {
      throw new TypeError("make queues with port.rxQueue(q)");
    }
    this.port = port;
    this.queue = queue;
  }

  /**
   * Receives up to `n` mbufs into `mbufs`; returns how many came. Hot path.
   *
   * @throws RangeError unless `n` is an integer in 0..min(mbufs.length, 65535)
   */
  rxBurst(mbufs: PtrArray, n: number): number {
    if (!((n >>> 0) === n && n <= mbufs.length && n <= 0xffff)) {
      checkCount("RxQueue.rxBurst", n, Math.min(mbufs.length, 0xffff));
    }
    return hotLib().shim_eth_rx_burst(
      this.port,
      this.queue,
      unsafeArrayPointer(mbufs, "RxQueue.rxBurst"),
      n,
    );
  }

  /** @internal */
  [DESCRIBE](): Descriptor {
    return { "@dpdk": "RxQueue", port: this.port, queue: this.queue };
  }
}

/**
 * A TX queue of a port, checked once against the device
 * ({@linkcode Port.txQueue}) and then used in hot calls.
 */
export class TxQueue {
  /** The port ID. */
  readonly port: number;
  /** The queue index. */
  readonly queue: number;

  /** @internal use {@linkcode Port.txQueue} */
  constructor(token: typeof CHECKED, port: number, queue: number) {
    if (token !== CHECKED) {
      throw new TypeError("make queues with port.txQueue(q)");
    }
    this.port = port;
    this.queue = queue;
  }

  /**
   * Transmits up to `n` mbufs; returns how many went (the caller still
   * owns the rest). Hot path.
   *
   * @throws RangeError unless `n` is an integer in 0..min(mbufs.length, 65535)
   */
  txBurst(mbufs: PtrArray, n: number): number {
    if (!((n >>> 0) === n && n <= mbufs.length && n <= 0xffff)) {
      checkCount("TxQueue.txBurst", n, Math.min(mbufs.length, 0xffff));
    }
    return hotLib().shim_eth_tx_burst(
      this.port,
      this.queue,
      unsafeArrayPointer(mbufs, "TxQueue.txBurst"),
      n,
    );
  }

  /**
   * Transmits `n` mbufs and frees those the queue did not take; returns
   * how many went. Hot path.
   */
  txBurstOrFree(mbufs: PtrArray, n: number): number {
    if (!((n >>> 0) === n && n <= mbufs.length && n <= 0xffff)) {
      checkCount("TxQueue.txBurstOrFree", n, Math.min(mbufs.length, 0xffff));
    }
    return hotLib().shim_eth_tx_burst_free(
      this.port,
      this.queue,
      unsafeArrayPointer(mbufs, "TxQueue.txBurstOrFree"),
      n,
    );
  }

  /** @internal */
  [DESCRIBE](): Descriptor {
    return { "@dpdk": "TxQueue", port: this.port, queue: this.queue };
  }
}

/** An ethdev port, by ID. */
export class Port {
  /** The port ID. */
  readonly id: number;

  /**
   * Opens port `id`.
   *
   * @throws RangeError when `id` is not a valid port of this process
   */
  constructor(id: number) {
    if (
      !((id >>> 0) === id && id < RTE.RTE_MAX_ETHPORTS) ||
      lib().rte_eth_dev_is_valid_port(id) === 0
    ) {
      throw new RangeError(
        `port ${id} does not exist (${Port.count()} port(s) available: ` +
          `${Port.ids().join(", ") || "none"})`,
      );
    }
    this.id = id;
  }

  /**
   * RX queue `q`, checked against the queues the port has (configured by
   * the primary, seen by every process).
   *
   * @throws RangeError when the port has no such queue
   */
  rxQueue(q: number): RxQueue {
    const n = this.info().rxQueues;
    if (!((q >>> 0) === q && q < n)) {
      throw new RangeError(
        `port ${this.id} has no RX queue ${q} (${n} configured)`,
      );
    }
    return new RxQueue(CHECKED, this.id, q);
  }

  /**
   * TX queue `q`, checked against the queues the port has.
   *
   * @throws RangeError when the port has no such queue
   */
  txQueue(q: number): TxQueue {
    const n = this.info().txQueues;
    if (!((q >>> 0) === q && q < n)) {
      throw new RangeError(
        `port ${this.id} has no TX queue ${q} (${n} configured)`,
      );
    }
    return new TxQueue(CHECKED, this.id, q);
  }

  /** @internal */
  [DESCRIBE](): Descriptor {
    return { "@dpdk": "Port", id: this.id };
  }

  /** Number of ports available (`rte_eth_dev_count_avail`). */
  static count(): number {
    return lib().rte_eth_dev_count_avail();
  }

  /** Every valid port ID. */
  static ids(): number[] {
    const out: number[] = [];
    for (let p = 0; p < RTE.RTE_MAX_ETHPORTS; p++) {
      if (lib().rte_eth_dev_is_valid_port(p) !== 0) out.push(p);
    }
    return out;
  }

  /** Device name (`rte_eth_dev_get_name_by_port`). */
  get name(): string {
    const buf = new Uint8Array(RTE.RTE_ETH_NAME_MAX_LEN);
    check(
      "rte_eth_dev_get_name_by_port",
      lib().rte_eth_dev_get_name_by_port(this.id, buf),
    );
    return cstr(Deno.UnsafePointer.of(buf));
  }

  /** Static facts about the port. */
  info(): PortInfo {
    const L = infoLayout ??= layout("info");
    const out = new BigUint64Array(L.len);
    const name = new Uint8Array(RTE.SHIM_NAME_LEN);
    check(
      `rte_eth_dev_info_get(${this.id})`,
      lib().shim_eth_info(this.id, out, name),
    );
    return {
      driver: cstr(Deno.UnsafePointer.of(name)),
      name: this.name,
      maxRxQueues: Number(out[L.max_rx_queues]),
      maxTxQueues: Number(out[L.max_tx_queues]),
      rssOffloads: out[L.flow_type_rss_offloads],
      rxOffloadCapa: out[L.rx_offload_capa],
      txOffloadCapa: out[L.tx_offload_capa],
      socket: Number(out[L.socket_plus_1]) - 1,
      rxQueues: Number(out[L.nb_rx_queues]),
      txQueues: Number(out[L.nb_tx_queues]),
    };
  }

  /** NUMA socket of the port (-1 when unknown). */
  get socket(): number {
    return lib().rte_eth_dev_socket_id(this.id);
  }

  /**
   * Configures the port (`rte_eth_dev_configure`) with exactly the given
   * queues, RSS hash functions and offloads (RSS mode when `rssHf` is not
   * 0n). Fallbacks are the application's choice: catch the `DpdkError`
   * (`errno` EINVAL, ENOTSUP) and retry with less.
   *
   * @throws RangeError for queue counts outside the device's maximum
   * @throws DpdkError when the device refuses the configuration
   */
  configure(cfg: PortConfig): void {
    const info = this.info();
    checkCount(
      `Port ${this.id} configure rxQueues`,
      cfg.rxQueues,
      info.maxRxQueues,
    );
    checkCount(
      `Port ${this.id} configure txQueues`,
      cfg.txQueues,
      info.maxTxQueues,
    );
    const rss = cfg.rssHf ?? 0n;
    check(
      `rte_eth_dev_configure(port ${this.id})`,
      lib().shim_eth_configure(
        this.id,
        cfg.rxQueues,
        cfg.txQueues,
        rss !== 0n ? RTE.RTE_ETH_MQ_RX_RSS : RTE.RTE_ETH_MQ_RX_NONE,
        rss,
        cfg.rxOffloads ?? 0n,
        cfg.txOffloads ?? 0n,
      ),
    );
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
  setupRxQueue(
    q: number,
    nbDesc: number,
    pool: PktmbufPool,
    opts: RxQueueOptions = {},
  ): void {
    checkCount(`Port ${this.id} setupRxQueue queue`, q, 0xffff);
    checkCount(`Port ${this.id} setupRxQueue nbDesc`, nbDesc, 0xffff);
    check(
      `rte_eth_rx_queue_setup(port ${this.id}, queue ${q})`,
      lib().shim_eth_rx_queue_setup(
        this.id,
        q,
        nbDesc,
        pool.unsafeHandle,
        opts.dropWhenFull ? 1 : 0,
      ),
    );
  }

  /** Sets up TX queue `q` with `nbDesc` descriptors. */
  setupTxQueue(q: number, nbDesc: number): void {
    checkCount(`Port ${this.id} setupTxQueue queue`, q, 0xffff);
    checkCount(`Port ${this.id} setupTxQueue nbDesc`, nbDesc, 0xffff);
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
    const L = linkLayout ??= layout("link");
    const out = new Uint32Array(L.len);
    check(
      `rte_eth_link_get_nowait(${this.id})`,
      lib().shim_eth_link(this.id, out),
    );
    return {
      speed: out[L.speed],
      up: out[L.up] !== 0,
      fullDuplex: out[L.duplex] !== 0,
    };
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

  /**
   * Port counters; the first `queues` per-queue counters are read too (at
   * most `RTE.RTE_ETHDEV_QUEUE_STAT_CNTRS`).
   */
  stats(queues = 0): PortStats {
    const L = statsLayout ??= layout("stats");
    checkCount(
      `Port ${this.id} stats queues`,
      queues,
      RTE.RTE_ETHDEV_QUEUE_STAT_CNTRS,
    );
    const nq = queues;
    const out = new BigUint64Array(L.len + 2 * nq);
    check(
      `rte_eth_stats_get(${this.id})`,
      lib().shim_eth_stats(this.id, out, nq),
    );
    const n = (i: number) => Number(out[i]);
    return {
      ipackets: n(L.ipackets),
      opackets: n(L.opackets),
      ibytes: n(L.ibytes),
      obytes: n(L.obytes),
      imissed: n(L.imissed),
      ierrors: n(L.ierrors),
      oerrors: n(L.oerrors),
      rxNoMbuf: n(L.rx_nombuf),
      qIpackets: Array.from({ length: nq }, (_, i) => n(L.len + i)),
      qOpackets: Array.from({ length: nq }, (_, i) => n(L.len + nq + i)),
    };
  }

  /** Resets the port's counters. */
  resetStats(): void {
    check(
      `rte_eth_stats_reset(${this.id})`,
      lib().rte_eth_stats_reset(this.id),
    );
  }
}

let infoLayout: Readonly<Record<string, number>> | undefined;
let linkLayout: Readonly<Record<string, number>> | undefined;
let statsLayout: Readonly<Record<string, number>> | undefined;

/**
 * Creates a port on rings you own (`rte_eth_from_rings`): packets you
 * enqueue on an RX ring arrive on the port; packets sent on the port land
 * on its TX ring. Returns the new port.
 */
export function portFromRings(
  name: string,
  rx: Ring[],
  tx: Ring[],
  socket = 0,
): Port {
  const arr = (rs: Ring[]) =>
    new Uint8Array(
      new BigUint64Array(rs.map((r) => unsafeAddressOf(r.unsafeHandle))).buffer,
    );
  lib().shim_set_errno(0);
  const id = lib().rte_eth_from_rings(
    cbuf(name),
    arr(rx),
    rx.length,
    arr(tx),
    tx.length,
    socket,
  );
  if (id < 0) {
    throw new DpdkError(`rte_eth_from_rings("${name}")`, lib().shim_errno());
  }
  return new Port(id);
}

/**
 * A TX buffer (`rte_eth_dev_tx_buffer`) with its own counters: packets are
 * held until `size` are buffered, then sent as one burst; what the queue
 * refuses is freed and counted as dropped. It belongs to this process; an
 * lcore worker given one in its data gets it back after the shim checked
 * it is one.
 */
export class TxBuffer {
  #ptr: Deno.PointerObject | null;
  #counters: BigUint64Array<ArrayBuffer>;
  #owned: boolean;

  private constructor(ptr: Deno.PointerObject, owned: boolean) {
    this.#ptr = ptr;
    this.#owned = owned;
    const L = txbLayout ??= layout("txb");
    const words = Math.max(L.sent, L.dropped) / 8 + 1;
    this.#counters = new BigUint64Array(
      Deno.UnsafePointerView.getArrayBuffer(ptr, 8 * words),
    );
    track(this);
  }

  /**
   * Creates a TX buffer holding up to `size` packets.
   *
   * @throws RangeError unless `size` is an integer in 1..65535
   */
  static create(size = 32, socket = -1): TxBuffer {
    if (!((size >>> 0) === size && size >= 1 && size <= RTE.UINT16_MAX)) {
      throw new RangeError(
        `TxBuffer.create: size ${size} is not an integer in 1..${RTE.UINT16_MAX}`,
      );
    }
    const p = callPtr(
      `TX buffer of ${size}`,
      () => lib().shim_tx_buffer_create(size, socket),
    );
    return new TxBuffer(p, true);
  }

  /** The `struct shim_txb *`. Unsafe: valid while the buffer lives. */
  get unsafeHandle(): Deno.PointerObject {
    return this.#ptr ?? this.#closed();
  }

  #closed(): never {
    throw disposed("TX buffer");
  }

  /**
   * Buffers `n` mbufs for `txq`, sending whenever the buffer fills;
   * returns packets sent by this call. Hot path.
   */
  add(txq: TxQueue, mbufs: PtrArray, n: number): number {
    const t = this.#ptr ?? this.#closed();
    if (!((n >>> 0) === n && n <= mbufs.length && n <= 0xffff)) {
      checkCount("TxBuffer.add", n, Math.min(mbufs.length, 0xffff));
    }
    return hotLib().shim_tx_buffer_burst(
      txq.port,
      txq.queue,
      t,
      unsafeArrayPointer(mbufs, "TxBuffer.add"),
      n,
    );
  }

  /** Sends what is buffered on `txq`; returns packets sent. */
  flush(txq: TxQueue): number {
    return hotLib().shim_tx_buffer_flush(
      txq.port,
      txq.queue,
      this.#ptr ?? this.#closed(),
    );
  }

  /** Packets waiting in the buffer. */
  get length(): number {
    return lib().shim_tx_buffer_length(this.#ptr ?? this.#closed());
  }

  /** Packets sent through this buffer so far. */
  get sent(): number {
    this.#ptr ?? this.#closed();
    return Number(this.#counters[(txbLayout ??= layout("txb")).sent / 8]);
  }

  /** Packets the queue refused (freed) so far. */
  get dropped(): number {
    this.#ptr ?? this.#closed();
    return Number(this.#counters[(txbLayout ??= layout("txb")).dropped / 8]);
  }

  /**
   * A live view of the counters as 32-bit halves: `[sent low, sent high,
   * dropped low, dropped high]`. Reading it allocates nothing (no BigInt),
   * so a hot loop can follow the counters; make the view once.
   */
  counterWords(): Uint32Array<ArrayBuffer> {
    this.#ptr ?? this.#closed();
    const L = txbLayout ??= layout("txb");
    if (L.dropped !== L.sent + 8) {
      throw new DpdkError("TxBuffer.counterWords: unexpected layout");
    }
    return new Uint32Array(this.#counters.buffer, L.sent, 4);
  }

  /** @internal */
  invalidate(): void {
    this.#ptr = null;
  }

  /** @internal */
  [DESCRIBE](): Descriptor {
    const p = this.#ptr ?? this.#closed();
    return { "@dpdk": "TxBuffer", address: String(unsafeAddressOf(p)) };
  }

  /** @internal a worker's handle on a buffer of this process. */
  static revive(address: string): TxBuffer {
    const p = lib().shim_tx_buffer_check(unsafePointerFrom(BigInt(address)));
    if (p === null) {
      throw new DpdkError(`no TX buffer of this process at ${address}`);
    }
    return new TxBuffer(p, false);
  }

  /** Frees the buffer (send or drop what it holds first); closes the handle. */
  [Symbol.dispose](): void {
    const p = this.#ptr;
    this.#ptr = null;
    if (p !== null && this.#owned) lib().shim_tx_buffer_free(p);
  }
}

let txbLayout: Readonly<Record<string, number>> | undefined;

/**
 * A routing table for forwarders that handle mixed-port bursts: each
 * packet goes to the TX buffer and queue routed for the port it arrived on
 * (see `MbufBurst.bufferByInputPort`). A packet from a port with no route
 * is freed and counted in {@linkcode TxTable.unroutable}.
 */
export class TxTable {
  #ptr: Deno.PointerObject | null;
  #counter: BigUint64Array<ArrayBuffer>;
  #owned: boolean;
  #buffers: TxBuffer[] = [];

  private constructor(ptr: Deno.PointerObject, owned: boolean) {
    this.#ptr = ptr;
    this.#owned = owned;
    const off = layout("txt").unroutable;
    this.#counter = new BigUint64Array(
      Deno.UnsafePointerView.getArrayBuffer(ptr, off + 8),
      off,
      1,
    );
    track(this);
  }

  /** An empty table (no input port routed). */
  static create(): TxTable {
    return new TxTable(
      callPtr("TX table", () => lib().shim_tx_table_create()),
      true,
    );
  }

  /**
   * Routes packets arriving on port `inPort` through `buffer` to `txq`.
   *
   * @throws RangeError for a port ID out of range
   * @throws DpdkError when the shim refuses the route
   */
  route(inPort: number, txq: TxQueue, buffer: TxBuffer): this {
    checkCount("TxTable.route inPort", inPort, RTE.RTE_MAX_ETHPORTS - 1);
    check(
      `TxTable.route(${inPort} -> port ${txq.port} queue ${txq.queue})`,
      lib().shim_tx_table_set(
        this.unsafeHandle,
        inPort,
        txq.port,
        txq.queue,
        buffer.unsafeHandle,
      ),
    );
    this.#buffers.push(buffer);
    return this;
  }

  /** The `struct shim_txt *`. Unsafe: valid while the table lives. */
  get unsafeHandle(): Deno.PointerObject {
    return this.#ptr ?? this.#closed();
  }

  #closed(): never {
    throw disposed("TX table");
  }

  /** Packets freed because their input port had no route. */
  get unroutable(): number {
    this.#ptr ?? this.#closed();
    return Number(this.#counter[0]);
  }

  /** @internal */
  invalidate(): void {
    this.#ptr = null;
  }

  /** @internal */
  [DESCRIBE](): Descriptor {
    const p = this.#ptr ?? this.#closed();
    return { "@dpdk": "TxTable", address: String(unsafeAddressOf(p)) };
  }

  /** @internal a worker's handle on a table of this process. */
  static revive(address: string): TxTable {
    const p = lib().shim_tx_table_check(unsafePointerFrom(BigInt(address)));
    if (p === null) {
      throw new DpdkError(`no TX table of this process at ${address}`);
    }
    return new TxTable(p, false);
  }

  /** Frees the table (not its buffers); closes the handle. */
  [Symbol.dispose](): void {
    const p = this.#ptr;
    this.#ptr = null;
    if (p !== null && this.#owned) lib().shim_tx_table_free(p);
  }
}

registerKind("Port", (d) => new Port(Number(d.id)));
registerKind(
  "RxQueue",
  (d) => new Port(Number(d.port)).rxQueue(Number(d.queue)),
);
registerKind(
  "TxQueue",
  (d) => new Port(Number(d.port)).txQueue(Number(d.queue)),
);
registerKind("TxBuffer", (d) => TxBuffer.revive(String(d.address)));
registerKind("TxTable", (d) => TxTable.revive(String(d.address)));
