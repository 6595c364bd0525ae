/**
 * Packet buffers (`rte_mbuf`) in bursts, with zero-copy access to their
 * data through a pool view.
 *
 * @module
 */

import { check, checkCount } from "./errors.ts";
import { layout } from "./constants.ts";
import { disposed } from "./handle.ts";
import type { PktmbufPool, PoolView } from "./mempool.ts";
import { hotLib, type PtrArray, ptrArray, unsafeArrayPointer } from "./ptr.ts";
import type { Ring } from "./ring.ts";
import { RxQueue, TxQueue, type TxTable } from "./ethdev.ts";

/**
 * Byte offsets of `struct rte_mbuf` fields, for reads through a view, as
 * the shim reports them (`layout("mbuf")`): `data_off`, `port`, `pkt_len`,
 * `data_len`, `buf_addr`, `buf_len`, `nb_segs`, and `size` (the struct's
 * size). Read from the shim on first use.
 */
export function mbufLayout(): Readonly<Record<string, number>> {
  return mbufFields ??= layout("mbuf");
}
let mbufFields: Readonly<Record<string, number>> | undefined;

/**
 * Frees the first `n` mbufs of `mbufs` back to their pools
 * (`rte_pktmbuf_free_bulk`).
 *
 * @throws RangeError unless `n` is an integer in 0..mbufs.length
 */
export function freeMbufs(mbufs: PtrArray, n: number): void {
  if (!((n >>> 0) === n && n <= mbufs.length)) {
    checkCount("freeMbufs", n, mbufs.length);
  }
  hotLib().shim_pktmbuf_free_bulk(unsafeArrayPointer(mbufs, "freeMbufs"), n);
}

/** One forwarding path: what arrives on `rx` leaves on `tx`. */
export interface ForwardPath {
  /** The RX queue packets come from. */
  rx: RxQueue;
  /** The TX queue they leave on. */
  tx: TxQueue;
}

/**
 * The shim call behind {@linkcode MbufBurst.forwardPaths}, reading the
 * paths' private fields (a brand check: only a real `ForwardPaths` passes).
 */
let forwardWith: (
  paths: ForwardPaths,
  mbufs: Deno.PointerObject,
  burst: number,
  rounds: number,
) => number;

/**
 * Forwarding paths for {@linkcode MbufBurst.forwardPaths}: checked queues,
 * kept as a table the shim reads, and each path's counters, which the shim
 * adds to. Made once, outside the loop. What the shim reads or writes is
 * private: a script can neither change a checked port nor free the
 * counters under it.
 *
 * @example The loop of a forwarder that does not look at its packets
 * ```ts
 * const fwd = new ForwardPaths([{ rx: rxq0, tx: txq1 }, { rx: rxq1, tx: txq0 }]);
 * while (ctx.running()) burst.forwardPaths(fwd, 8);
 * // fwd.received(i), fwd.sent(i): packets received and sent on path i
 * ```
 */
export class ForwardPaths {
  /** Number of paths. */
  readonly length: number;
  // port, queue, port, queue per path; the counters: explicit
  // ArrayBuffers, off the V8 heap, never moved, never handed out
  readonly #table: Uint16Array<ArrayBuffer>;
  readonly #rx: Float64Array<ArrayBuffer>;
  readonly #tx: Float64Array<ArrayBuffer>;
  readonly #tablePtr: Deno.PointerObject;
  readonly #rxPtr: Deno.PointerObject;
  readonly #txPtr: Deno.PointerObject;

  static {
    forwardWith = (paths, mbufs, burst, rounds) => {
      if (!(#table in paths)) {
        throw new TypeError(
          "MbufBurst.forwardPaths: paths is not a ForwardPaths",
        );
      }
      return hotLib().shim_eth_forward_paths(
        paths.#tablePtr,
        paths.#table.length >>> 2,
        mbufs,
        burst,
        rounds,
        paths.#rxPtr,
        paths.#txPtr,
      );
    };
  }

  /**
   * Stores the paths' queues (checked when they were made:
   * `port.rxQueue(q)`, `port.txQueue(q)`).
   *
   * @throws TypeError when there is no path or one is not a pair of queues
   */
  constructor(paths: readonly ForwardPath[]) {
    if (paths.length === 0) {
      throw new TypeError("ForwardPaths: no path given");
    }
    this.length = paths.length;
    this.#table = new Uint16Array(new ArrayBuffer(8 * paths.length));
    this.#rx = new Float64Array(new ArrayBuffer(8 * paths.length));
    this.#tx = new Float64Array(new ArrayBuffer(8 * paths.length));
    paths.forEach((p, i) => {
      if (!(p.rx instanceof RxQueue && p.tx instanceof TxQueue)) {
        throw new TypeError(
          `ForwardPaths: path ${i} is not { rx: RxQueue, tx: TxQueue }`,
        );
      }
      this.#table.set([p.rx.port, p.rx.queue, p.tx.port, p.tx.queue], 4 * i);
    });
    this.#tablePtr = Deno.UnsafePointer.of(this.#table)!;
    this.#rxPtr = Deno.UnsafePointer.of(this.#rx)!;
    this.#txPtr = Deno.UnsafePointer.of(this.#tx)!;
  }

  /** Packets received on path `i` so far (0 for a path that is not). */
  received(i: number): number {
    return this.#rx[i] ?? 0;
  }

  /**
   * Packets sent on path `i` so far (0 for a path that is not); the rest
   * of what it received was dropped.
   */
  sent(i: number): number {
    return this.#tx[i] ?? 0;
  }
}

/**
 * A reusable burst of mbufs: the pointer array the burst calls fill, and
 * after {@linkcode MbufBurst.locate} the offset (into the pool view) and
 * length of each packet's data. Nothing here allocates per packet or per
 * burst, and every call crosses into C once, its arrays as pointers.
 *
 * Every count is checked (an integer, at most the burst's size); a count
 * above the size throws `RangeError` instead of being trimmed. The burst
 * refuses use once its pool is disposed.
 *
 * @example Swap MACs of every packet in a burst
 * ```ts
 * const burst = new MbufBurst(pool, 32);
 * const n = burst.receive(rxq);
 * const b = burst.view.bytes;
 * for (let i = 0; i < n; i++) {
 *   const o = burst.off[i];
 *   for (let k = 0; k < 6; k++) {
 *     const t = b[o + k]; b[o + k] = b[o + 6 + k]; b[o + 6 + k] = t;
 *   }
 * }
 * burst.send(txq, n);
 * ```
 */
export class MbufBurst {
  /** The mbuf pointers (filled by rx/dequeue/alloc calls). */
  readonly mbufs: PtrArray;
  /** Data offset of packet i in `view` (after `locate`). */
  readonly off: Uint32Array<ArrayBuffer>;
  /** Data length of packet i (after `locate`; set before `applyLengths`). */
  readonly len: Uint16Array<ArrayBuffer>;
  /** The pool view the offsets refer to. */
  readonly view: PoolView;
  /** Room: the largest burst. */
  readonly size: number;
  readonly #pool: PktmbufPool;
  readonly #mbufsPtr: Deno.PointerObject;
  readonly #offPtr: Deno.PointerObject;
  readonly #lenPtr: Deno.PointerObject;

  /**
   * Allocates the burst's arrays once.
   *
   * @param pool the pool the packets come from
   * @param size burst room (1..65535)
   */
  constructor(pool: PktmbufPool, size = 32) {
    if (!((size >>> 0) === size && size >= 1 && size <= 0xffff)) {
      throw new RangeError(`MbufBurst: size ${size} is not in 1..65535`);
    }
    if (!("dataRoomSize" in pool)) {
      throw new TypeError(
        `MbufBurst: pool "${(pool as { name?: string }).name}" is not a ` +
          "PktmbufPool (use Mempool.createPktmbuf or PktmbufPool.lookup)",
      );
    }
    this.size = size;
    // explicit ArrayBuffers: their memory is off the V8 heap and never
    // moves, so every call can pass it as a plain pointer
    this.mbufs = ptrArray(size);
    this.off = new Uint32Array(new ArrayBuffer(4 * size));
    this.len = new Uint16Array(new ArrayBuffer(2 * size));
    this.view = pool.view();
    this.#pool = pool;
    this.#mbufsPtr = unsafeArrayPointer(this.mbufs, "MbufBurst");
    this.#offPtr = Deno.UnsafePointer.of(this.off)!;
    this.#lenPtr = Deno.UnsafePointer.of(this.len)!;
  }

  #range(what: string, n: number): never {
    if (this.#pool.disposed) throw disposed(`pool "${this.#pool.name}"`);
    checkCount(`MbufBurst.${what}`, n, this.size);
    throw new RangeError(`MbufBurst.${what}: bad count ${n}`);
  }

  /**
   * Receives up to `n` packets (default: the burst's size) from `rxq` and
   * locates them (fills `off` and `len`), in one FFI crossing. Returns how
   * many came. Hot path: the fastest way in.
   *
   * @example The loop of a forwarder
   * ```ts
   * const n = burst.receive(rxq);
   * for (let i = 0; i < n; i++) work(burst.view.data, burst.off[i]);
   * burst.send(txq, n);
   * ```
   */
  receive(rxq: RxQueue, n: number = this.size): number {
    const base = this.view.unsafeBase;
    if (!((n >>> 0) === n && n <= this.size)) this.#range("receive", n);
    return hotLib().shim_eth_rx_locate(
      rxq.port,
      rxq.queue,
      this.#mbufsPtr,
      n,
      base,
      this.#offPtr,
      this.#lenPtr,
    );
  }

  /**
   * Receives up to `n` mbufs (default: the burst's size) from `rxq`
   * without locating them (no packet data is touched); returns how many
   * came. Hot path, for code that only passes packets on.
   */
  receiveRaw(rxq: RxQueue, n: number = this.size): number {
    if (!((n >>> 0) === n && n <= this.size) || this.#pool.disposed) {
      this.#range("receiveRaw", n);
    }
    return hotLib().shim_eth_rx_burst(rxq.port, rxq.queue, this.#mbufsPtr, n);
  }

  /**
   * Transmits the first `n` mbufs on `txq`, and frees those the queue did
   * not take. Returns how many went. Hot path.
   */
  send(txq: TxQueue, n: number): number {
    if (!((n >>> 0) === n && n <= this.size) || this.#pool.disposed) {
      this.#range("send", n);
    }
    return hotLib().shim_eth_tx_burst_free(
      txq.port,
      txq.queue,
      this.#mbufsPtr,
      n,
    );
  }

  /**
   * Sends the first `n` mbufs on `txq` (freeing those the queue did not
   * take), then receives up to `max` (default: the burst's size) from
   * `rxq` into this burst and locates them, in one FFI crossing. Returns
   * `rx + sent * 0x10000`: received `r & 0xffff`, sent `r >>> 16`. Hot
   * path, for a loop that works on every packet and passes it on: one
   * crossing per burst instead of two (`send` after the work, `receive`
   * before the next). With `n` 0 it only receives.
   *
   * @example A loop over two ports that works on each burst
   * ```ts
   * let n = 0, out = txqs[1];
   * while (ctx.running()) {
   *   for (let p = 0; p < 2; p++) {
   *     const r = burst.sendReceive(out, n, rxqs[p]);
   *     n = r & 0xffff; // this burst came from port p
   *     work(burst.view.data, burst.off, n);
   *     out = txqs[p ^ 1];
   *   }
   * }
   * burst.send(out, n); // the last burst
   * ```
   */
  sendReceive(
    txq: TxQueue,
    n: number,
    rxq: RxQueue,
    max: number = this.size,
  ): number {
    const base = this.view.unsafeBase;
    if (
      !((n >>> 0) === n && n <= this.size && (max >>> 0) === max &&
        max <= this.size)
    ) {
      this.#range(
        "sendReceive",
        (n >>> 0) === n && n <= this.size ? max : n,
      );
    }
    return hotLib().shim_eth_tx_rx_locate(
      txq.port,
      txq.queue,
      this.#mbufsPtr,
      n,
      rxq.port,
      rxq.queue,
      this.#mbufsPtr,
      max,
      base,
      this.#offPtr,
      this.#lenPtr,
    );
  }

  /**
   * Forwards one burst without looking at the packets: receives up to `n`
   * (default: the burst's size) from `rxq` and transmits them on `txq`,
   * freeing those it did not take, in one FFI crossing. Returns
   * `rx + tx * 0x10000`: received `r & 0xffff`, sent `r >>> 16`. Hot path.
   *
   * @example
   * ```ts
   * const r = burst.forward(rxq, txq);
   * const rx = r & 0xffff, tx = r >>> 16; // dropped: rx - tx
   * ```
   */
  forward(rxq: RxQueue, txq: TxQueue, n: number = this.size): number {
    if (!((n >>> 0) === n && n <= this.size) || this.#pool.disposed) {
      this.#range("forward", n);
    }
    return hotLib().shim_eth_forward_burst(
      rxq.port,
      rxq.queue,
      txq.port,
      txq.queue,
      this.#mbufsPtr,
      n,
    );
  }

  /**
   * Forwards without looking at the packets, `rounds` passes over every
   * path of `paths`: each receives up to the burst's size from its RX
   * queue and transmits on its TX queue, freeing what the queue refused;
   * the counts go to `paths.received(i)` and `paths.sent(i)`. One FFI
   * crossing for
   * `rounds * paths.length` bursts, the whole loop body of a plain
   * forwarder in C (check `running()` between calls: a call takes about
   * `rounds` times a pass). Returns the packets received. Hot path.
   *
   * @throws RangeError unless `rounds` is an integer in 1..65535
   * @throws TypeError when `paths` is not a {@linkcode ForwardPaths}
   */
  forwardPaths(paths: ForwardPaths, rounds = 1): number {
    if (
      !((rounds >>> 0) === rounds && rounds >= 1 && rounds <= 0xffff) ||
      this.#pool.disposed
    ) {
      if (this.#pool.disposed) this.#range("forwardPaths", 0);
      throw new RangeError(
        `MbufBurst.forwardPaths: rounds ${rounds} is not in 1..65535`,
      );
    }
    return forwardWith(paths, this.#mbufsPtr, this.size, rounds);
  }

  /**
   * Dequeues up to `n` mbufs (default: the burst's size) from `ring`;
   * returns how many came. Does not locate. Hot path.
   */
  dequeue(ring: Ring, n: number = this.size): number {
    const r = ring.unsafeHandle;
    if (!((n >>> 0) === n && n <= this.size) || this.#pool.disposed) {
      this.#range("dequeue", n);
    }
    return hotLib().shim_ring_dequeue_burst(r, this.#mbufsPtr, n);
  }

  /** Enqueues the first `n` mbufs on `ring`; returns how many went in. Hot path. */
  enqueue(ring: Ring, n: number): number {
    const r = ring.unsafeHandle;
    if (!((n >>> 0) === n && n <= this.size) || this.#pool.disposed) {
      this.#range("enqueue", n);
    }
    return hotLib().shim_ring_enqueue_burst(r, this.#mbufsPtr, n);
  }

  /** Enqueues the first `n` mbufs on `ring` all or none; returns `n` or 0. */
  enqueueBulk(ring: Ring, n: number): number {
    const r = ring.unsafeHandle;
    if (!((n >>> 0) === n && n <= this.size) || this.#pool.disposed) {
      this.#range("enqueueBulk", n);
    }
    return hotLib().shim_ring_enqueue_bulk(r, this.#mbufsPtr, n);
  }

  /** Frees the first `n` mbufs. Hot path. */
  freeFirst(n: number): void {
    if (!((n >>> 0) === n && n <= this.size) || this.#pool.disposed) {
      this.#range("freeFirst", n);
    }
    hotLib().shim_pktmbuf_free_bulk(this.#mbufsPtr, n);
  }

  /**
   * Frees mbufs `from` .. `to - 1` of the burst (what a partial send left).
   *
   * @throws RangeError unless 0 <= from <= to <= size
   */
  free(from: number, to: number): void {
    if (
      !((from >>> 0) === from && (to >>> 0) === to && from <= to &&
        to <= this.size)
    ) {
      throw new RangeError(
        `MbufBurst.free: ${from}..${to} is not a range within 0..${this.size}`,
      );
    }
    hotLib().shim_pktmbuf_free_range(this.#mbufsPtr, from, to);
  }

  /**
   * Fills this burst with every `stride`-th mbuf of `src`'s first `n`,
   * starting at `src.mbufs[first]`; returns how many were taken (never
   * more than this burst holds). Hot path: splits a burst round-robin over
   * `stride` consumers in one FFI crossing.
   */
  takeEvery(src: MbufBurst, n: number, first: number, stride: number): number {
    if (
      !((n >>> 0) === n && n <= src.size && (first >>> 0) === first &&
        (stride >>> 0) === stride && stride >= 1)
    ) {
      throw new RangeError(
        `MbufBurst.takeEvery: n ${n} (0..${src.size}), first ${first}, ` +
          `stride ${stride} (>= 1) must be integers in range`,
      );
    }
    return hotLib().shim_ptr_stride(
      src.#mbufsPtr,
      n,
      first,
      stride,
      this.#mbufsPtr,
      this.size,
    );
  }

  /**
   * Buffers each of the first `n` mbufs through `table`, by the port each
   * arrived on; returns packets sent. Hot path.
   */
  bufferByInputPort(table: TxTable, n: number): number {
    const t = table.unsafeHandle;
    if (!((n >>> 0) === n && n <= this.size) || this.#pool.disposed) {
      this.#range("bufferByInputPort", n);
    }
    return hotLib().shim_tx_table_burst(t, this.#mbufsPtr, n);
  }

  /** Fills `off` and `len` for the first `n` mbufs (one FFI call). */
  locate(n: number): void {
    const base = this.view.unsafeBase;
    if (!((n >>> 0) === n && n <= this.size)) this.#range("locate", n);
    hotLib().shim_mbuf_data(
      this.#mbufsPtr,
      n,
      base,
      this.#offPtr,
      this.#lenPtr,
    );
  }

  /**
   * Sets data and packet length of the first `n` mbufs from `len`.
   *
   * @throws DpdkError (ERANGE) when a length exceeds its mbuf's room;
   *   nothing is changed then
   */
  applyLengths(n: number): void {
    if (!((n >>> 0) === n && n <= this.size) || this.#pool.disposed) {
      this.#range("applyLengths", n);
    }
    const r = hotLib().shim_mbuf_set_len(this.#mbufsPtr, n, this.#lenPtr);
    if (r < 0) check("MbufBurst.applyLengths: a length exceeds its mbuf", r);
  }

  /**
   * Allocates `n` mbufs from the burst's pool and locates them, all or
   * none, in one FFI crossing. Returns false when the pool has too few.
   * Hot path, for generators.
   */
  alloc(n: number): boolean {
    const base = this.view.unsafeBase;
    if (!((n >>> 0) === n && n <= this.size)) this.#range("alloc", n);
    return hotLib().shim_pktmbuf_alloc_locate(
      this.#pool.unsafeHandle,
      this.#mbufsPtr,
      n,
      base,
      this.#offPtr,
      this.#lenPtr,
    ) === 0;
  }
}
