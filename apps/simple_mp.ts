/**
 * simple_mp: DPDK's simple multi-process sample in TypeScript (the C
 * original is examples/multi_process/simple_mp; sample-app guide,
 * "Multi-process Sample Application").
 *
 * Two processes share two rings and a message pool. The primary creates
 * them (`PRI_2_SEC`, `SEC_2_PRI`, `MSG_POOL`); the secondary looks them up,
 * its send ring being the primary's receive ring. Each worker lcore
 * receives messages and prints them; the main lcore runs the prompt:
 *
 * ```sh
 * deno run -A apps/simple_mp.ts -l 0-1 -n 4 --no-pci --proc-type=primary
 * deno run -A apps/simple_mp.ts --lcores=2@0,3@1 -n 4 --no-pci --proc-type=secondary
 * ```
 *
 * Commands, as in C: `send <text>`, `help`, `quit`. The object names,
 * ring size, element size (128 bytes, `STR_TOKEN_SIZE`) and pool size are
 * the C original's, so a C process and this one exchange messages in
 * either role.
 *
 * Differences from C:
 * - `send` takes the rest of the line, spaces included (C: one word), as
 *   bytes: UTF-8 text and invalid UTF-8 alike pass unchanged (C's line
 *   editor drops every byte outside printable ASCII); NUL bytes are
 *   dropped, as C's line editor does (a message is a C string). A message
 *   longer than 127 bytes is cut at a UTF-8 character boundary, with a
 *   note.
 * - stdin need not be a terminal: commands can be piped in, one a line
 *   (each is echoed after the prompt, as C's line editor does); EOF quits.
 *   A line longer than 4096 bytes is ignored, saying so (memory stays
 *   bounded, and input is read in one pass whatever comes).
 * - A full ring or an empty pool discards the message and says so (C
 *   panics on an empty pool).
 * - SIGINT/SIGTERM stop the process cleanly, from the start (the handlers
 *   are set before anything is announced). A secondary whose primary dies
 *   says so and exits (status 1) within a second; one started after its
 *   primary died is refused at once.
 * - A process given an lcore ID that a running process of its group holds
 *   is refused (exit 1), naming that process: C starts it, and the two
 *   then corrupt the pool's per-lcore cache (lost and duplicated messages).
 * - Nothing is lost silently: with a TypeScript primary, each lcore keeps
 *   a record (memzone `simple_mp_ts_held`) of the messages it has taken
 *   from the pool or ring and not yet passed on; when a process dies (even
 *   by SIGKILL) the primary, or the process restarted on its lcore IDs,
 *   returns them to the pool and says so; those it died in the middle of a
 *   DPDK call with are reported as possibly lost.
 * - Nothing hangs silently: every process watches the rings, the pool and
 *   its receive lcores; a ring or pool left half-updated by a process
 *   killed inside an operation (DPDK cannot recover it) is reported,
 *   naming the object and the likely culprit, and the process exits with
 *   status 3.
 * - Standard output closed (`| head`), full (`/dev/full`) or standard
 *   input unreadable (a directory): one line, a clean exit, status 1.
 * - Two extra commands for scripts and tests, not in `help`:
 *   `sendn <count> [prefix]` sends `<prefix>0` ... `<prefix><count-1>`,
 *   waiting for room in the ring instead of discarding, then prints
 *   `sent <count> messages`; `stats` prints the pool's available count and
 *   both rings' fill levels.
 *
 * @module
 */

import {
  cleanupEal,
  describeStall,
  DpdkError,
  GroupWatch,
  HealthWatch,
  HeldTable,
  launchLcores,
  type LcoreGroup,
  Mempool,
  type PoolView,
  type ProcessType,
  type PtrArray,
  ptrArray,
  Ring,
  RingProbe,
  type Settled,
  workerLcores,
} from "../mod.ts";
import {
  byteLines,
  faultLine,
  guardStdout,
  onShutdown,
  onUncaught,
  shorten,
  startEal,
  watchPrimary,
  writeOut,
} from "./common.ts";
import type lcoreRecv from "./simple_mp_worker.ts";

/** Name of the message pool (the C original's names throughout). */
export const MSG_POOL = "MSG_POOL";
/** Ring from the secondary to the primary. */
export const SEC_2_PRI = "SEC_2_PRI";
/** Ring from the primary to the secondary. */
export const PRI_2_SEC = "PRI_2_SEC";
/** Ring size (so 63 messages in flight per direction). */
export const RING_SIZE = 64;
/** Messages in the pool. */
export const POOL_SIZE = 1024;
/** Per-lcore cache of the pool. */
export const POOL_CACHE = 32;
/** Message size: cmdline's `STR_TOKEN_SIZE`, NUL included. */
export const STR_TOKEN_SIZE = 128;
/** The longest command line kept, in bytes (longer ones are ignored). */
export const MAX_LINE = 4096;
/** Our held records (one per lcore ID): unknown to the C original. */
export const HELD_TABLE = "simple_mp_ts_held";
/** Exit status when the group is stuck (a ring or pool half-updated). */
export const EXIT_STUCK = 3;

const PROG = "simple_mp";
const PROMPT = "\nsimple_mp > ";
const HELP = "Simple demo example of multi-process in RTE\n\n" +
  "This is a readline-like interface that can be used to\n" +
  "send commands to the simple app. Commands supported are:\n\n" +
  "- send [string]\n" + "- help\n" + "- quit\n\n";
/** Messages per burst of `sendn`. */
const BURST = 32;
/** `sendn` lets the event loop run (signals, watches) this often. */
const YIELD_MS = 10;
/** The primary settles the records of dead processes this often. */
const SETTLE_MS = 500;
/** A ring, pool or lcore stuck this long is a stall. */
const STALL_MS = 1000;

const latin1 = new TextDecoder("latin1");

// ------------------------------------------------------- pure: commands

/** ASCII white space, as C's `isspace`. */
function isSpace(b: number): boolean {
  return b === 0x20 || (b >= 0x09 && b <= 0x0d);
}

/** `bytes` without white space at either end. */
function trimBytes(bytes: Uint8Array): Uint8Array {
  let a = 0;
  let b = bytes.length;
  while (a < b && isSpace(bytes[a])) a++;
  while (b > a && isSpace(bytes[b - 1])) b--;
  return bytes.subarray(a, b);
}

/**
 * A command line split into its command word (ASCII, compared as text)
 * and the rest (bytes, trimmed). Pure.
 */
export function splitCommand(
  line: Uint8Array,
): { cmd: string; word: Uint8Array; rest: Uint8Array } {
  const t = trimBytes(line);
  let i = 0;
  while (i < t.length && !isSpace(t[i])) i++;
  const word = t.subarray(0, i);
  return { cmd: latin1.decode(word), word, rest: trimBytes(t.subarray(i)) };
}

/** The words of `bytes`, split at white space. Pure. */
export function byteWords(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let i = 0;
  while (i < bytes.length) {
    while (i < bytes.length && isSpace(bytes[i])) i++;
    const start = i;
    while (i < bytes.length && !isSpace(bytes[i])) i++;
    if (i > start) out.push(bytes.subarray(start, i));
  }
  return out;
}

/**
 * The bytes of a message: `text` without NUL bytes (as C's line editor
 * drops them), cut to `max` bytes; a cut falls before a UTF-8 character
 * that would not fit whole (invalid UTF-8 is cut anywhere). Pure.
 */
export function messageOf(
  text: Uint8Array,
  max: number = STR_TOKEN_SIZE - 1,
): { bytes: Uint8Array; cut: boolean } {
  let bytes = text;
  if (text.includes(0)) bytes = text.filter((b) => b !== 0);
  if (bytes.length <= max) return { bytes, cut: false };
  let end = max;
  // back over continuation bytes to the character's lead byte, if the
  // character started within the last 3 bytes and does not fit
  let lead = end;
  while (lead > end - 3 && lead > 0 && (bytes[lead] & 0xc0) === 0x80) lead--;
  if (lead < end || (bytes[end] & 0xc0) === 0x80) {
    const b = bytes[lead];
    const size = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    if (size > 1 && lead + size > end) end = lead;
  }
  return { bytes: bytes.subarray(0, end), cut: true };
}

/** Bytes as text for a message: lossy, cut to `max` characters. */
export function showBytes(bytes: Uint8Array, max = 40): string {
  return shorten(
    new TextDecoder().decode(bytes.subarray(0, 4 * max)),
    max,
  );
}

// ----------------------------------------------------- shared objects

/** The rings and the pool of one process, seen from its side. */
interface Objects {
  sendRing: Ring;
  recvRing: Ring;
  pool: Mempool;
  /** Our held records; undefined with a C primary (it makes none). */
  held?: HeldTable;
}

/** Runs `make`, turning a DpdkError into the C original's message. */
function get<T>(what: string, make: () => T): T {
  try {
    return make();
  } catch (e) {
    if (!(e instanceof DpdkError)) throw e;
    console.error(`${PROG}: Problem getting ${what}: ${e.message}`);
    cleanupEal();
    Deno.exit(1);
  }
}

/** Creates (primary) or looks up (secondary) the shared objects. */
function setUpObjects(type: ProcessType): Objects {
  if (type === "primary") {
    return {
      sendRing: get("sending ring", () => Ring.create(PRI_2_SEC, RING_SIZE)),
      recvRing: get("receiving ring", () => Ring.create(SEC_2_PRI, RING_SIZE)),
      pool: get(
        "message pool",
        () =>
          Mempool.create(MSG_POOL, POOL_SIZE, STR_TOKEN_SIZE, {
            cacheSize: POOL_CACHE,
          }),
      ),
      held: get("held records", () => HeldTable.create(HELD_TABLE)),
    };
  }
  const hint = " (is the primary a simple_mp?)";
  let held: HeldTable | undefined;
  try {
    held = HeldTable.lookup(HELD_TABLE);
  } catch (e) {
    if (!(e instanceof DpdkError)) throw e; // a C primary: no records
  }
  return {
    recvRing: get("receiving ring" + hint, () => Ring.lookup(PRI_2_SEC)),
    sendRing: get("sending ring" + hint, () => Ring.lookup(SEC_2_PRI)),
    pool: get("message pool" + hint, () => Mempool.lookup(MSG_POOL)),
    held,
  };
}

/** The line reporting what settling a dead process's record did. */
export function settledLine(s: Settled): string {
  const parts: string[] = [];
  if (s.returned > 0) {
    parts.push(
      `returned ${s.returned} message buffer(s) it held (lcore ${s.slot}) ` +
        `to ${MSG_POOL}`,
    );
  }
  if (s.unknown > 0) {
    const call = {
      getting: "taking from the pool",
      enqueuing: "queuing on a ring",
      dequeuing: "taking from a ring",
      putting: "freeing to the pool",
      held: "holding (not objects of the pool)",
      idle: "",
    }[s.phase];
    parts.push(
      `up to ${s.unknown} message buffer(s) may be lost: it ended while ` +
        `${call} on lcore ${s.slot}`,
    );
  }
  return `${PROG}: process ${s.pid} has ended: ${parts.join("; ")}`;
}

// -------------------------------------------------------------- sending

/** Pool and ring calls of the sender: recorded when the group keeps records. */
interface SendOps {
  get(objs: PtrArray, n: number): boolean;
  enqueue(objs: PtrArray, n: number): number;
  put(objs: PtrArray, n: number): void;
}

/** Sends messages: one at a time (`send`) or many (`sendn`). */
class Sender {
  #ops: SendOps;
  #view: PoolView;
  #ringProbe: RingProbe;
  #poolProbe: RingProbe | undefined;
  #objs = ptrArray(BURST);
  #offs = new Uint32Array(BURST);
  #pauseCell = new Int32Array(new SharedArrayBuffer(4));
  /** Messages taken from the pool and not yet sent (0 or a burst). */
  #held = 0;
  /** Set to stop a running `sendn`. */
  stopping = false;

  constructor(objects: Objects, mainLcore: number) {
    const { sendRing: ring, pool } = objects;
    const rec = objects.held?.record(mainLcore);
    this.#ops = rec
      ? {
        get: (o, n) => rec.get(pool, o, n),
        enqueue: (o, n) => rec.enqueueBulk(ring, o, n),
        put: (o, n) => rec.putBulk(pool, o, n),
      }
      : {
        get: (o, n) => pool.getBulk(o, n),
        enqueue: (o, n) => ring.enqueueBulk(o, n),
        put: (o, n) => pool.putBulk(o, n),
      };
    this.#view = pool.view();
    this.#ringProbe = RingProbe.ofRing(ring);
    this.#poolProbe = RingProbe.ofPool(pool);
  }

  /**
   * Whether the send ring and the pool are settled (no half-done
   * operation that the next one would wait for), retrying for up to
   * `tries` pauses: a healthy one settles in nanoseconds, a wedged one
   * never (the health watch reports it).
   */
  #settled(tries = 1): boolean {
    for (let i = 0; i < tries; i++) {
      if (
        this.#ringProbe.read().settled() &&
        (this.#poolProbe?.read().settled() ?? true)
      ) return true;
      this.#pause();
    }
    return false;
  }

  /** Copies a message into the element at `off`, NUL-terminated. */
  #write(off: number, msg: Uint8Array): void {
    this.#view.bytes.set(msg, off);
    this.#view.bytes[off + msg.length] = 0;
  }

  /** `send <text>`: as cmd_send_parsed in C, without the panic. */
  send(text: Uint8Array): void {
    const { bytes, cut } = messageOf(text);
    if (cut) writeOut(`Message longer than ${STR_TOKEN_SIZE - 1} bytes: cut\n`);
    if (!this.#settled(200)) {
      writeOut(
        "Failed to send message - message discarded (the ring or pool " +
          "is stuck: see the report that follows)\n",
      );
      return;
    }
    const objs = this.#objs;
    if (!this.#ops.get(objs, 1)) {
      writeOut("Failed to get message buffer - message discarded\n");
      return;
    }
    this.#view.offsets(objs, 1, this.#offs);
    this.#write(this.#offs[0], bytes);
    if (this.#ops.enqueue(objs, 1) === 0) {
      writeOut("Failed to send message - message discarded\n");
      this.#ops.put(objs, 1);
    }
  }

  /**
   * Writes `<prefix><seq>` at `off` as a C string: the prefix's bytes, the
   * decimal digits of `seq`, a NUL. Allocates nothing.
   */
  #writeNumbered(off: number, prefix: Uint8Array, seq: number): void {
    const bytes = this.#view.bytes;
    bytes.set(prefix, off);
    const at = off + prefix.length;
    let digits = 1;
    for (let x = seq; x >= 10; x = Math.floor(x / 10)) digits++;
    for (let i = digits - 1; i >= 0; i--) {
      bytes[at + i] = 48 + (seq % 10);
      seq = Math.floor(seq / 10);
    }
    bytes[at + digits] = 0;
  }

  /**
   * `sendn <count> [prefix]`: sends `prefix0` ... in bursts, waiting for
   * room rather than discarding; yields to the event loop now and then so
   * signals and the watches still run. Returns how many were sent.
   */
  async sendMany(count: number, prefix: Uint8Array): Promise<number> {
    const objs = this.#objs;
    const offs = this.#offs;
    // the prefix, cut to leave room for the longest number and the NUL
    const room = STR_TOKEN_SIZE - 1 - String(Math.max(0, count - 1)).length;
    const { bytes: head, cut } = messageOf(prefix, room);
    if (cut) writeOut(`Prefix longer than ${room} bytes: cut\n`);
    let sent = 0;
    let n = 0;
    let lastYield = performance.now();
    while (sent < count && !this.stopping) {
      if (performance.now() - lastYield >= YIELD_MS) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        lastYield = performance.now();
        continue;
      }
      if (!this.#settled()) continue; // never call into a wedged ring
      if (this.#held === 0) {
        n = Math.min(BURST, count - sent);
        if (!this.#ops.get(objs, n)) {
          this.#pause();
          continue;
        }
        this.#held = n;
        this.#view.offsets(objs, n, offs);
        for (let i = 0; i < n; i++) {
          this.#writeNumbered(offs[i], head, sent + i);
        }
      }
      if (this.#ops.enqueue(objs, n) === n) {
        this.#held = 0;
        sent += n;
      } else {
        this.#pause();
      }
    }
    // stopped while waiting for room: give the burst back (unless the
    // pool is wedged: then the record keeps it, for whoever settles it)
    if (this.#held > 0 && this.#settled(200)) {
      this.#ops.put(objs, this.#held);
      this.#held = 0;
    }
    return sent;
  }

  /** Waits 5 us (as the C receiver does when idle). */
  #pause(): void {
    Atomics.wait(this.#pauseCell, 0, 0, 0.005);
  }
}

/** What a command asks of the prompt loop. */
type Next = "continue" | "quit";

/** Parses and runs one command line (cmdline's context in mp_commands.c). */
async function runCommand(
  line: Uint8Array,
  sender: Sender,
  objects: Objects,
): Promise<Next> {
  const { cmd, word, rest } = splitCommand(line);
  if (cmd === "") return "continue";
  switch (cmd) {
    case "send":
      if (rest.length === 0) writeOut("Bad arguments (usage: send <text>)\n");
      else sender.send(rest);
      return "continue";
    case "help":
      if (rest.length > 0) writeOut("Bad arguments (usage: help)\n");
      else writeOut(HELP);
      return "continue";
    case "quit":
      if (rest.length > 0) {
        writeOut("Bad arguments (usage: quit)\n");
        return "continue";
      }
      return "quit";
    case "sendn":
      return await sendn(rest, sender);
    case "stats":
      writeOut(
        `${MSG_POOL}: ${objects.pool.availCount()}/${objects.pool.size} ` +
          `available, ${objects.sendRing.name}: ${objects.sendRing.count()} ` +
          `queued, ${objects.recvRing.name}: ${objects.recvRing.count()} ` +
          "queued\n",
      );
      return "continue";
    default:
      writeOut(
        `Command not found: '${showBytes(word)}' ` +
          "(commands: send <text>, help, quit)\n",
      );
      return "continue";
  }
}

/** `sendn <count> [prefix]`. */
async function sendn(args: Uint8Array, sender: Sender): Promise<Next> {
  const [count, prefix = new Uint8Array(0), extra] = byteWords(args);
  const digits = count === undefined ? "" : latin1.decode(count);
  if (!/^\d{1,9}$/.test(digits) || extra !== undefined) {
    writeOut(
      "Bad arguments (usage: sendn <count up to 999999999> [prefix])\n",
    );
    return "continue";
  }
  const sent = await sender.sendMany(Number(digits), prefix);
  writeOut(`sent ${sent} messages\n`);
  return "continue";
}

// ----------------------------------------------------------------- main

/** The application: EAL, objects, receive lcores, then the prompt. */
async function main(): Promise<void> {
  guardStdout();
  // what the exit path needs, filled in as the process starts
  const run: {
    group?: LcoreGroup;
    sender?: Sender;
    objects?: Objects;
    myLcores: number[];
  } = { myLcores: [] };
  let command: Promise<Next> = Promise.resolve("continue");
  let exiting = false;
  const timers: (() => void)[] = [];
  let stopSignals = () => {};

  /** Stops everything, reports, cleans up and exits with `code`. */
  const exit = async (code: number, message?: string) => {
    if (exiting) return;
    exiting = true;
    if (run.sender) run.sender.stopping = true; // a sendn stops at once
    for (const stop of timers) stop();
    stopSignals();
    if (message) {
      try {
        console.error(message);
      } catch {
        // no stderr either: the status says it
      }
    }
    await command.catch(() => {});
    let stuck = false;
    if (run.group) {
      await run.group.stopAndJoin(code === EXIT_STUCK ? 1000 : 5000).catch(
        (e) => {
          const line = faultLine(e);
          stuck = /did not stop/.test(line); // a thread spins inside DPDK
          // a worker's error after ours (the same closed stdout): said once
          if (code === 0 || stuck) console.error(`${PROG}: ${line}`);
          if (code === 0) code = 1;
        },
      );
    }
    if (!stuck) {
      for (const l of run.myLcores) run.objects?.held?.release(l);
      cleanupEal();
    } // else: a thread spins inside DPDK; cleaning up under it could crash
    Deno.exit(code);
  };

  const eal = startEal(Deno.args, PROG);
  // as soon as EAL runs, before anything is announced or launched: a
  // signal from here on runs the clean exit. (Not before rte_eal_init: a
  // listener replaces the default action, and an init that hangs in DPDK
  // could then not be stopped by Ctrl-C.)
  onUncaught((line) => exit(1, `\n${PROG}: ${line}`));
  stopSignals = onShutdown((signal) =>
    exit(0, `\n${PROG}: ${signal} received, exiting`)
  );
  if (eal.args.length > 0) {
    console.error(
      `${PROG}: takes no application arguments (got: ${
        shorten(eal.args.join(" "), 60)
      })`,
    );
    cleanupEal();
    Deno.exit(1);
  }
  if (workerLcores().length === 0) {
    console.error(
      `${PROG}: no worker lcore to receive messages on: give two lcores, ` +
        "e.g. -l 0-1 (primary) or --lcores=2@0,3@1 (secondary)",
    );
    cleanupEal();
    Deno.exit(1);
  }
  const objects = run.objects = setUpObjects(eal.processType);
  const { held, pool } = objects;
  const report = (s: Settled[]) => {
    for (const x of s) writeOut(settledLine(x) + "\n");
  };
  if (held) {
    // our lcore IDs' records: settle what a dead previous owner left
    for (const l of eal.lcores) {
      const s = held.take(l, pool);
      if (s) report([s]);
    }
    run.myLcores = eal.lcores;
    if (eal.processType === "primary") {
      const t = setInterval(() => report(held.settleDead(pool)), SETTLE_MS);
      timers.push(() => clearInterval(t));
    }
  }

  // lcore_recv on every worker lcore, as RTE_LCORE_FOREACH_WORKER in C;
  // each counts its loops, so a stuck one shows
  const workers = workerLcores();
  const progress = new Int32Array(new SharedArrayBuffer(4 * workers.length));
  const group = run.group = launchLcores<typeof lcoreRecv>(
    new URL("./simple_mp_worker.ts", import.meta.url),
    {
      lcores: workers,
      data: {
        ring: objects.recvRing,
        pool,
        held: held?.zone,
        progress: progress.buffer,
      },
    },
  );
  group.join().catch((e) => exit(1, `${PROG}: receive ${faultLine(e)}`) // "receive lcore N: ..."
  );
  const sender = run.sender = new Sender(objects, eal.mainLcore);

  // a ring or pool left half-updated, or a receive lcore that stops
  const members = new GroupWatch();
  const health = new HealthWatch({ stallMs: STALL_MS })
    .watchRing(objects.sendRing)
    .watchRing(objects.recvRing)
    .watchPool(pool)
    .onSample((now) => members.sample(now));
  let started = false;
  group.started.then(() => started = true, () => {});
  workers.forEach((l, i) =>
    health.watchProgress(
      `receive lcore ${l} of this process`,
      () => progress[i],
      () => started && !exiting,
    )
  );
  health.start((stalls) =>
    exit(
      EXIT_STUCK,
      `\n${PROG}: the group is stuck: ${
        describeStall(stalls[0], members.ended())
      } Stop every process of the group and start again.`,
    )
  );
  timers.push(() => health.stop());
  timers.push(watchPrimary(() =>
    exit(
      1,
      `\n${PROG}: the primary process has exited: stopping this secondary ` +
        "(the rings and pool it shared are no longer safe to use)",
    ), 250));

  const echo = !Deno.stdin.isTerminal();
  let quit = false;
  try {
    writeOut("APP: Finished Process Init.\n");
    writeOut(PROMPT);
    for await (const item of byteLines(Deno.stdin.readable, MAX_LINE)) {
      if (exiting) break;
      if (item.kind === "overlong") {
        if (echo) writeOut(`[${item.length} bytes]\n`);
        writeOut(
          `Line of ${item.length} bytes ignored: longer than ${MAX_LINE} ` +
            `bytes ('${showBytes(item.head)}')\n`,
        );
      } else {
        if (echo) {
          writeOut(item.bytes);
          writeOut("\n");
        }
        command = runCommand(item.bytes, sender, objects);
        quit = await command === "quit";
        if (quit || exiting) break;
      }
      writeOut(PROMPT);
    }
    if (!quit && !exiting) writeOut("\n"); // end of input: end the line
  } catch (e) {
    await exit(1, `\n${PROG}: ${faultLine(e)}`); // after an open prompt
  }
  await exit(0);
}

if (import.meta.main) {
  await main().catch((e) => {
    console.error(`${PROG}: ${faultLine(e)}`);
    cleanupEal();
    Deno.exit(1);
  });
}
