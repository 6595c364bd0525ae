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
 * - `send` takes the rest of the line, spaces included (C: one word);
 *   text longer than 127 bytes is cut at a character boundary, with a note.
 * - stdin need not be a terminal: commands can be piped in, one a line
 *   (each is echoed after the prompt, as C's line editor does); EOF quits.
 * - A full ring or an empty pool discards the message and says so (C
 *   panics on an empty pool).
 * - SIGINT/SIGTERM stop the process cleanly. A secondary whose primary
 *   dies says so and exits (status 1) within a second.
 * - A process given an lcore ID that a running process of its group holds
 *   is refused (exit 1), naming that process: C starts it, and the two
 *   then corrupt the pool's per-lcore cache (lost and duplicated messages).
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
  DpdkError,
  launchLcores,
  type LcoreGroup,
  Mempool,
  type PoolView,
  type ProcessType,
  ptrArray,
  Ring,
  workerLcores,
} from "../mod.ts";
import { onShutdown, startEal, watchPrimary } from "./common.ts";
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

const PROG = "simple_mp";
const PROMPT = "\nsimple_mp > ";
const HELP = "Simple demo example of multi-process in RTE\n\n" +
  "This is a readline-like interface that can be used to\n" +
  "send commands to the simple app. Commands supported are:\n\n" +
  "- send [string]\n" + "- help\n" + "- quit\n\n";
/** Messages per burst of `sendn`. */
const BURST = 32;
/** `sendn` lets the event loop run (signals, primary watch) this often. */
const YIELD_MS = 10;

const encoder = new TextEncoder();

/** Writes text to stdout, all of it. */
function out(text: string): void {
  const data = encoder.encode(text);
  let done = 0;
  while (done < data.length) done += Deno.stdout.writeSync(data.subarray(done));
}

/** The rings and the pool of one process, seen from its side. */
interface Objects {
  sendRing: Ring;
  recvRing: Ring;
  pool: Mempool;
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
    };
  }
  const hint = " (is the primary a simple_mp?)";
  return {
    recvRing: get("receiving ring" + hint, () => Ring.lookup(PRI_2_SEC)),
    sendRing: get("sending ring" + hint, () => Ring.lookup(SEC_2_PRI)),
    pool: get("message pool" + hint, () => Mempool.lookup(MSG_POOL)),
  };
}

/** Sends messages: one at a time (`send`) or many (`sendn`). */
class Sender {
  #ring: Ring;
  #pool: Mempool;
  #view: PoolView;
  #objs = ptrArray(BURST);
  #offs = new Uint32Array(BURST);
  #pauseCell = new Int32Array(new SharedArrayBuffer(4));
  /** Set to stop a running `sendn`. */
  stopping = false;

  constructor(objects: Objects) {
    this.#ring = objects.sendRing;
    this.#pool = objects.pool;
    this.#view = objects.pool.view();
  }

  /**
   * Copies `text` into the message at `off` as a C string, cut to the
   * element size (NUL included) at a character boundary. Returns whether
   * it was cut.
   */
  #write(off: number, text: string): boolean {
    const room = this.#view.bytes.subarray(off, off + STR_TOKEN_SIZE - 1);
    const { read, written } = encoder.encodeInto(text, room);
    this.#view.bytes[off + written] = 0;
    return read < text.length;
  }

  /** `send <text>`: as cmd_send_parsed in C, without the panic. */
  send(text: string): void {
    const objs = this.#objs;
    if (!this.#pool.getBulk(objs, 1)) {
      out("Failed to get message buffer - message discarded\n");
      return;
    }
    this.#view.offsets(objs, 1, this.#offs);
    if (this.#write(this.#offs[0], text)) {
      out(`Message longer than ${STR_TOKEN_SIZE - 1} bytes: cut\n`);
    }
    if (this.#ring.enqueueBulk(objs, 1) === 0) {
      out("Failed to send message - message discarded\n");
      this.#pool.putBulk(objs, 1);
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
   * signals and the primary watch still run. Returns how many were sent.
   */
  async sendMany(count: number, prefix: string): Promise<number> {
    const objs = this.#objs;
    const offs = this.#offs;
    // the prefix, cut to leave room for the longest number and the NUL
    const room = STR_TOKEN_SIZE - 1 - String(Math.max(0, count - 1)).length;
    const prefixBytes = new Uint8Array(room);
    const { read, written } = encoder.encodeInto(prefix, prefixBytes);
    if (read < prefix.length) out(`Prefix longer than ${room} bytes: cut\n`);
    const head = prefixBytes.subarray(0, written);
    let sent = 0;
    let n = 0;
    let held = false; // n messages taken from the pool, not yet sent
    let lastYield = performance.now();
    while (sent < count && !this.stopping) {
      if (performance.now() - lastYield >= YIELD_MS) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        lastYield = performance.now();
      }
      if (!held) {
        n = Math.min(BURST, count - sent);
        held = this.#pool.getBulk(objs, n);
        if (!held) {
          this.#pause();
          continue;
        }
        this.#view.offsets(objs, n, offs);
        for (let i = 0; i < n; i++) {
          this.#writeNumbered(offs[i], head, sent + i);
        }
      }
      if (this.#ring.enqueueBulk(objs, n) === n) {
        held = false;
        sent += n;
      } else {
        this.#pause();
      }
    }
    if (held) this.#pool.putBulk(objs, n); // stopped while waiting for room
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
  line: string,
  sender: Sender,
  objects: Objects,
): Promise<Next> {
  const trimmed = line.trim();
  if (trimmed === "") return "continue";
  const space = trimmed.search(/\s/);
  const cmd = space < 0 ? trimmed : trimmed.slice(0, space);
  const rest = space < 0 ? "" : trimmed.slice(space).trim();
  switch (cmd) {
    case "send":
      if (rest === "") out("Bad arguments (usage: send <text>)\n");
      else sender.send(rest);
      return "continue";
    case "help":
      if (rest !== "") out("Bad arguments (usage: help)\n");
      else out(HELP);
      return "continue";
    case "quit":
      if (rest !== "") {
        out("Bad arguments (usage: quit)\n");
        return "continue";
      }
      return "quit";
    case "sendn":
      return await sendn(rest, sender);
    case "stats":
      out(
        `${MSG_POOL}: ${objects.pool.availCount()}/${objects.pool.size} ` +
          `available, ${objects.sendRing.name}: ${objects.sendRing.count()} ` +
          `queued, ${objects.recvRing.name}: ${objects.recvRing.count()} ` +
          "queued\n",
      );
      return "continue";
    default:
      out(`Command not found: '${cmd}' (commands: send <text>, help, quit)\n`);
      return "continue";
  }
}

/** `sendn <count> [prefix]`. */
async function sendn(args: string, sender: Sender): Promise<Next> {
  const [count, prefix = "", extra] = args.split(/\s+/);
  if (!/^\d{1,9}$/.test(count ?? "") || extra !== undefined) {
    out("Bad arguments (usage: sendn <count up to 999999999> [prefix])\n");
    return "continue";
  }
  const sent = await sender.sendMany(Number(count), prefix);
  out(`sent ${sent} messages\n`);
  return "continue";
}

/** The lines of stdin, without line ends, until EOF. */
async function* stdinLines(): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of Deno.stdin.readable) {
    buffered += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      yield buffered.slice(0, nl).replace(/\r$/, "");
      buffered = buffered.slice(nl + 1);
    }
  }
  buffered += decoder.decode();
  if (buffered !== "") yield buffered;
}

/** The application: EAL, objects, receive lcores, then the prompt. */
async function main(): Promise<void> {
  const { args, processType } = startEal(Deno.args, PROG);
  if (args.length > 0) {
    console.error(`${PROG}: takes no application arguments (got: ${args})`);
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
  const objects = setUpObjects(processType);
  out("APP: Finished Process Init.\n");

  // lcore_recv on every worker lcore, as RTE_LCORE_FOREACH_WORKER in C
  const group: LcoreGroup = launchLcores<typeof lcoreRecv>(
    new URL("./simple_mp_worker.ts", import.meta.url),
    { data: { ring: objects.recvRing, pool: objects.pool } },
  );
  const sender = new Sender(objects);

  let exiting = false;
  let command: Promise<Next> = Promise.resolve("continue");
  const exit = async (code: number, message?: string) => {
    if (exiting) return;
    exiting = true;
    sender.stopping = true; // a running sendn stops at its next burst
    if (message) console.error(message);
    stopWatching();
    stopSignals();
    await command.catch(() => {});
    await group.stopAndJoin().catch((e) => {
      console.error(`${PROG}: ${e.message}`);
      code = 1;
    });
    cleanupEal();
    Deno.exit(code);
  };
  group.join().catch((e) =>
    exit(1, `${PROG}: receive lcore failed: ${e.message}`)
  );
  const stopWatching = watchPrimary(() =>
    exit(
      1,
      `\n${PROG}: the primary process has exited: stopping this secondary ` +
        "(the rings and pool it shared are no longer safe to use)",
    ), 250);
  const stopSignals = onShutdown((signal) =>
    exit(0, `\n${PROG}: ${signal} received, exiting`)
  );

  const echo = !Deno.stdin.isTerminal();
  let quit = false;
  out(PROMPT);
  for await (const line of stdinLines()) {
    if (exiting) break;
    if (echo) out(line + "\n");
    command = runCommand(line, sender, objects);
    quit = await command === "quit";
    if (quit || exiting) break;
    out(PROMPT);
  }
  if (!quit) out("\n"); // end of input: end the prompt's line
  await exit(0);
}

if (import.meta.main) await main();
