/**
 * The receive lcore of simple_mp (`lcore_recv` in the C original's main.c):
 * dequeues messages from the receive ring in bursts, prints each one as
 * `core N: Received '<text>'` and returns the buffers to the pool. With
 * the group's held records, the dequeue and the return are recorded (so a
 * process killed in between does not lose the burst); every loop counts
 * in `progress`, so the main thread sees a stuck lcore.
 *
 * The text is copied byte for byte, as C's `printf("%s")` does, into one
 * output buffer per burst, which is written with one call: nothing is
 * allocated per message or per burst.
 *
 * Run by `launchLcores` from apps/simple_mp.ts on each worker lcore.
 *
 * @module
 */

import {
  defineLcore,
  HeldTable,
  type LcoreContext,
  type LcoreMain,
  type Mempool,
  type Memzone,
  ptrArray,
  type Ring,
} from "../mod.ts";
import { ioReason, OutputError } from "./common.ts";

/** What the main thread hands to each receive lcore. */
export interface RecvData {
  /** The ring to receive from (`SEC_2_PRI` in the primary). */
  ring: Ring;
  /** The message pool the messages go back to. */
  pool: Mempool;
  /** The group's held records (memzone), when the primary keeps them. */
  held?: Memzone;
  /** Loop counts, one Int32 per receive lcore (by launch index). */
  progress: SharedArrayBuffer;
}

/** Messages taken from the ring per FFI crossing. */
const BURST = 32;
/** Idle pause when the ring is empty: the C original's `usleep(5)`. */
const IDLE_MS = 0.005;

/** Bytes gathered into one buffer and written to stdout in one go. */
class LineWriter {
  #buf: Uint8Array<ArrayBuffer>;
  #len = 0;
  /** Views of the buffer's first N bytes, made once per N. */
  #views: Uint8Array[] = [];

  constructor(size: number) {
    this.#buf = new Uint8Array(size);
  }

  /** Appends all of `bytes`. */
  append(bytes: Uint8Array): void {
    this.#buf.set(bytes, this.#len);
    this.#len += bytes.length;
  }

  /**
   * Appends the C string at `off` in `mem`: the bytes up to the NUL, at
   * most `max` (a message without a NUL is cut at its element's end).
   */
  appendCString(mem: Uint8Array, off: number, max: number): void {
    const buf = this.#buf;
    let len = this.#len;
    for (let i = off; i < off + max && mem[i] !== 0; i++) buf[len++] = mem[i];
    this.#len = len;
  }

  /**
   * Writes what was gathered to stdout, all of it.
   *
   * @throws OutputError when stdout fails (closed, full)
   */
  flush(): void {
    const len = this.#len;
    this.#len = 0;
    const view = this.#views[len] ??= this.#buf.subarray(0, len);
    try {
      let done = Deno.stdout.writeSync(view);
      while (done < len) done += Deno.stdout.writeSync(view.subarray(done));
    } catch (e) {
      throw new OutputError(`cannot write to standard output: ${ioReason(e)}`);
    }
  }
}

/**
 * The receive loop. Returns the number of messages received once the
 * group is stopped.
 */
const lcoreRecv: LcoreMain<RecvData, number> = defineLcore((
  ctx: LcoreContext<RecvData>,
): number => {
  const { ring, pool } = ctx.data;
  const rec = ctx.data.held
    ? HeldTable.of(ctx.data.held).record(ctx.lcoreId)
    : undefined;
  const progress = new Int32Array(ctx.data.progress);
  const me = ctx.index;
  const view = pool.view();
  const eltSize = pool.eltSize;
  const objs = ptrArray(BURST);
  const offs = new Uint32Array(BURST);
  const idle = new Int32Array(new SharedArrayBuffer(4));
  const encoder = new TextEncoder();
  const before = encoder.encode(`core ${ctx.lcoreId}: Received '`);
  const after = encoder.encode("'\n");
  const out = new LineWriter(BURST * (before.length + eltSize + after.length));
  let received = 0;

  out.append(encoder.encode(`Starting core ${ctx.lcoreId}\n`));
  out.flush();
  // recorded or plain, chosen once
  const dequeue = rec
    ? () => rec.dequeueBurst(ring, objs, BURST)
    : () => ring.dequeueBurst(objs, BURST);
  const put = rec
    ? (n: number) => rec.putBulk(pool, objs, n)
    : (n: number) => pool.putBulk(objs, n);
  while (ctx.running()) {
    progress[me]++;
    const n = dequeue();
    if (n === 0) {
      Atomics.wait(idle, 0, 0, IDLE_MS);
      continue;
    }
    view.offsets(objs, n, offs);
    for (let i = 0; i < n; i++) {
      out.append(before);
      out.appendCString(view.bytes, offs[i], eltSize);
      out.append(after);
    }
    put(n);
    received += n;
    out.flush();
  }
  return received;
});
export default lcoreRecv;
