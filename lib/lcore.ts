/**
 * Lcore workers: a TypeScript module run on EAL lcores, one Deno Worker
 * (one OS thread) per lcore.
 *
 * Inside its worker, `rte_lcore_id()` is exactly that lcore's ID and the
 * thread is pinned to that lcore's CPU set, so per-lcore mempool caches are
 * used and never shared across processes of a group (each process must be
 * given distinct lcore IDs, e.g. `--lcores=2@1`). The EAL's own thread for
 * the lcore stays parked. The main thread is the main lcore; with
 * `includeMain` it lends that ID to a worker while the group runs (so the
 * main thread's event loop stays free for signals, stdin and timers).
 *
 * Where the threads run: EAL pins the main thread to the main lcore's CPU,
 * and threads started from it inherit that. When the main lcore is lent
 * to a busy worker, the main thread would share the worker's CPU: its
 * timers, GC and I/O would preempt the poller. So while the group runs
 * the main thread moves to the CPUs the process had before EAL, minus
 * those of the launched lcores (when every CPU polls, it stays on the main
 * lcore's); joining the group pins it back. `keepMainThreadCpu` turns
 * this off.
 *
 * The worker module's default export is the lcore's main function, made
 * with {@linkcode defineLcore} so the launch is typed by it. DPDK handles in
 * the launch data (`Ring`, `Mempool`, `PktmbufPool`, `Memzone`, `Port`,
 * `RxQueue`, `TxQueue`, `TxBuffer`, `TxTable`) arrive in the worker as
 * usable handles, rebuilt by name or by a descriptor the shim checks.
 *
 * @example
 * ```ts
 * // worker.ts
 * import { defineLcore, type Ring } from "../mod.ts";
 * export default defineLcore((ctx: LcoreContext<{ ring: Ring }>) => {
 *   while (ctx.running()) { ... ctx.data.ring.count() ... }
 *   return { done: true };
 * });
 *
 * // main.ts
 * import type worker from "./worker.ts";
 * const group = launchLcores<typeof worker>(
 *   new URL("./worker.ts", import.meta.url), { data: { ring } });
 * await group.started;
 * ```
 *
 * @module
 */

import { lib } from "../ffi/lib.ts";
import { DpdkError } from "./errors.ts";
import { mainLcore, workerLcores } from "./eal.ts";
import { toWire } from "./handle.ts";

/** What an lcore's main function gets. */
export interface LcoreContext<D = unknown> {
  /** This lcore's ID (equal to `rte_lcore_id()` on this thread). */
  readonly lcoreId: number;
  /** Position of this lcore in the group (0-based). */
  readonly index: number;
  /** The data the group was launched with, for this lcore. */
  readonly data: D;
  /** False once the group was asked to stop: check it once per burst. */
  running(): boolean;
  /** Sends a message to the main thread (`onMessage` of the launch). */
  post(message: unknown): void;
}

/** An lcore's main function: the default export of a worker module. */
export type LcoreMain<D = unknown, R = unknown> = (
  ctx: LcoreContext<D>,
) => R | Promise<R>;

/**
 * Marks an lcore main function as a worker module's default export; the
 * launch then takes its data type: `launchLcores<typeof worker>(...)`.
 */
export function defineLcore<D, R>(fn: LcoreMain<D, R>): LcoreMain<D, R> {
  return fn;
}

/** The data type of a worker module's main function (or a data type). */
export type LcoreData<M> = M extends LcoreMain<infer D, unknown> ? D : M;

/** Options of {@linkcode launchLcores}. */
export interface LaunchOptions<D> {
  /** Lcore IDs to run on (default: every worker lcore, plus the main one with `includeMain`). */
  lcores?: number[];
  /** Also run on the main lcore, lending its ID to a worker. */
  includeMain?: boolean;
  /**
   * Leave the main thread on the main lcore's CPU even when that lcore is
   * lent to a worker (by default it moves off the launched lcores' CPUs
   * while the group runs: see the module docs).
   */
  keepMainThreadCpu?: boolean;
  /** Data for each lcore: a value, or a function of lcore ID and index. */
  data?: D | ((lcoreId: number, index: number) => D);
  /** Receives what workers `post`. */
  onMessage?: (lcoreId: number, message: unknown) => void;
}

/** An lcore's outcome in {@linkcode LcoreGroup.join}. */
export interface LcoreResult {
  /** The lcore it ran on. */
  lcoreId: number;
  /** The main function's return value. */
  result: unknown;
}

/** Workers running one module on a set of lcores. */
export class LcoreGroup {
  /** The lcore IDs, in launch order. */
  readonly lcores: number[];
  #stop: Int32Array<SharedArrayBuffer>;
  #workers: Worker[];
  #done: Promise<LcoreResult[]>;
  #lentMain: boolean;
  #joined = false;
  #pending: Set<number>;
  #stopTimer: ReturnType<typeof setTimeout> | undefined;
  #timedOut: Promise<never>;
  #timeOut: (e: Error) => void = () => {};
  /**
   * Resolves once every worker has bound its lcore, loaded its module and
   * entered its main function; rejects if one failed before that.
   */
  readonly started: Promise<void>;

  /** @internal use {@linkcode launchLcores} */
  constructor(
    lcores: number[],
    stop: Int32Array<SharedArrayBuffer>,
    workers: Worker[],
    done: Promise<LcoreResult>[],
    lentMain: boolean,
    started: Promise<void>[],
  ) {
    this.lcores = lcores;
    this.started = Promise.race([
      Promise.all(started).then(() => {}),
      // a worker that fails before it starts rejects `done` instead
      Promise.all(done).then(() => {}),
    ]);
    this.started.catch(() => {}); // reported by join() too
    this.#stop = stop;
    this.#workers = workers;
    this.#lentMain = lentMain;
    this.#pending = new Set(lcores);
    for (const d of done) {
      d.then((r) => this.#pending.delete(r.lcoreId), () => {});
    }
    this.#done = Promise.all(done);
    this.#done.catch(() => {}); // reported by join()
    this.#timedOut = new Promise<never>((_, reject) => this.#timeOut = reject);
    this.#timedOut.catch(() => {}); // reported by join()
  }

  /**
   * Asks every worker to stop (their `running()` turns false). A worker
   * still running `timeoutMs` later makes {@linkcode LcoreGroup.join}
   * reject, naming it, instead of waiting forever: an lcore loop that does
   * not check `running()`, or one spinning inside DPDK on a ring that a
   * killed process left half-updated (DPDK cannot recover that).
   */
  stop(timeoutMs = 5000): void {
    Atomics.store(this.#stop, 0, 1);
    if (this.#stopTimer !== undefined || this.#joined) return;
    this.#stopTimer = setTimeout(() => {
      this.#timeOut(
        new Error(
          `lcore(s) ${[...this.#pending].join(", ")} did not stop within ` +
            `${timeoutMs} ms of the stop request (a loop that never checks ` +
            `running(), or one stuck in DPDK on a ring left inconsistent by ` +
            `a killed process)`,
        ),
      );
    }, timeoutMs);
    this.#done.finally(() => clearTimeout(this.#stopTimer)).catch(() => {});
  }

  /**
   * Waits for every worker to return, then ends the threads; the main
   * thread gets its lcore ID back. Rejects with the first worker error, or
   * when workers outlive the stop timeout (see {@linkcode LcoreGroup.stop}).
   */
  async join(): Promise<LcoreResult[]> {
    let stuck = false;
    try {
      return await Promise.race([this.#done, this.#timedOut]);
    } catch (e) {
      stuck = this.#pending.size > 0 && this.#stopTimer !== undefined;
      throw e;
    } finally {
      this.#release(stuck);
    }
  }

  /** Stops and joins (see {@linkcode LcoreGroup.stop} for the timeout). */
  stopAndJoin(timeoutMs = 5000): Promise<LcoreResult[]> {
    this.stop(timeoutMs);
    return this.join();
  }

  #release(stuck: boolean): void {
    if (this.#joined) return;
    this.#joined = true;
    clearTimeout(this.#stopTimer);
    for (const w of this.#workers) w.terminate();
    // a stuck worker thread may still act as the main lcore: keep its ID
    if (this.#lentMain && !stuck) lib().shim_lcore_bind(mainLcore());
  }

  /** Stops the workers and waits for them. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.stop();
    await this.join().catch(() => {});
  }
}

/**
 * Runs `module`'s default export on each lcore (see the module docs).
 *
 * @param module absolute URL of the worker module, e.g.
 *   `new URL("./fwd_worker.ts", import.meta.url)`
 */
export function launchLcores<M = unknown>(
  module: URL | string,
  opts: LaunchOptions<LcoreData<M>> = {},
): LcoreGroup {
  type D = LcoreData<M>;
  const main = mainLcore();
  const lcores = opts.lcores ??
    (opts.includeMain ? [main, ...workerLcores()] : workerLcores());
  if (lcores.length === 0) {
    throw new Error(
      "no lcores to launch on: give EAL more lcores (-l/--lcores)",
    );
  }
  if (new Set(lcores).size !== lcores.length) {
    throw new Error(`lcore listed twice: ${lcores.join(",")}`);
  }
  const lentMain = lcores.includes(main);
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const url = module.toString();
  const workers: Worker[] = [];
  const done: Promise<LcoreResult>[] = [];
  const started: Promise<void>[] = [];
  // data first: a handle that cannot be sent fails before any thread starts
  const datas = lcores.map((lcoreId, index) =>
    toWire(
      typeof opts.data === "function"
        ? (opts.data as (l: number, i: number) => D)(lcoreId, index)
        : opts.data,
      `data for lcore ${lcoreId}`,
    )
  );
  if (lentMain) {
    lib().shim_lcore_unbind();
    // before the workers start: their threads inherit this affinity
    if (!opts.keepMainThreadCpu) {
      lib().shim_thread_avoid_lcores(
        Uint32Array.from(lcores),
        lcores.length,
        main,
      );
    }
  }
  lcores.forEach((lcoreId, index) => {
    const w = new Worker(new URL("./lcore_worker.ts", import.meta.url), {
      type: "module",
      name: `lcore-${lcoreId}`,
    });
    workers.push(w);
    const data = datas[index];
    let onStarted = () => {};
    started.push(new Promise<void>((r) => onStarted = r));
    done.push(
      new Promise<LcoreResult>((resolve, reject) => {
        w.onmessage = (e: MessageEvent) => {
          const m = e.data;
          if (m.type === "msg") opts.onMessage?.(lcoreId, m.message);
          else if (m.type === "started") onStarted();
          else if (m.type === "done") resolve({ lcoreId, result: m.result });
          else if (m.type === "bind-failed") {
            reject(
              new DpdkError(`binding a worker to lcore ${lcoreId}`, m.errno),
            );
          } else if (m.type === "error") {
            const err = new Error(`lcore ${lcoreId}: ${m.message}`);
            err.stack = m.stack;
            reject(err);
          }
        };
        w.onerror = (e: ErrorEvent) => {
          e.preventDefault();
          reject(new Error(`lcore ${lcoreId}: ${e.message}`));
        };
      }),
    );
    w.postMessage({ module: url, lcoreId, index, data, stop });
  });
  return new LcoreGroup(lcores, stop, workers, done, lentMain, started);
}
