/**
 * Claims: a table of numbered slots in a memzone that processes of a group
 * take atomically, each slot holding its owner's PID and start time. A slot
 * held by a process that has died (or whose PID was reused) is taken over;
 * one held by a running process is refused, naming it. The library uses
 * one table for lcore IDs (every process started by `initEal` claims its
 * lcores, so two processes of a group never share an lcore ID); apps use
 * their own tables for their IDs (a client ID, a proc-id).
 *
 * @module
 */

import { Memzone } from "./memzone.ts";
import { DpdkError } from "./errors.ts";
import { RTE } from "./constants.ts";
import { processAlive, processStartTime } from "./proc.ts";

const MAGIC = 0x434c4d31; // "CLM1"
// header words: magic, slot count; slot words: pid, start lo, start hi, spare
const HEADER = 4;
const SLOT = 4;

/** Who holds a slot. */
export interface ClaimHolder {
  /** The holder's PID. */
  pid: number;
  /** Its start time (`processStartTime`). */
  start: number;
}

/** A table of claimable slots shared by the processes of a group. */
export class ClaimTable {
  /** The memzone's name. */
  readonly name: string;
  /** Number of slots. */
  readonly slots: number;
  readonly #zone: Memzone;
  readonly #w: Uint32Array<ArrayBuffer>;
  readonly #me: number;
  readonly #myStart: number;

  private constructor(zone: Memzone, slots: number) {
    this.name = zone.name;
    this.slots = slots;
    this.#zone = zone;
    this.#w = new Uint32Array(zone.buffer, 0, HEADER + SLOT * slots);
    this.#me = Deno.pid;
    this.#myStart = processStartTime(Deno.pid);
  }

  /**
   * Opens the table `name` of `slots` slots, reserving it when no process
   * of the group has yet (race-safe between processes).
   *
   * @throws DpdkError when a memzone of that name exists but is not a
   *   claim table of that size
   */
  static open(name: string, slots: number): ClaimTable {
    if (!(Number.isInteger(slots) && slots >= 1 && slots <= 1 << 20)) {
      throw new RangeError(`ClaimTable.open: ${slots} slots`);
    }
    let zone: Memzone;
    let created = false;
    try {
      zone = Memzone.reserve(name, 4 * (HEADER + SLOT * slots));
      created = true;
    } catch (e) {
      if (!(e instanceof DpdkError) || e.errno !== RTE.EEXIST) throw e;
      zone = Memzone.lookup(name);
    }
    const w = new Uint32Array(zone.buffer, 0, HEADER);
    if (created) {
      w[1] = slots;
      Atomics.store(w, 0, MAGIC);
    } else {
      // the creator writes the magic last: wait for it briefly
      const deadline = Date.now() + 1000;
      while (Atomics.load(w, 0) !== MAGIC && Date.now() < deadline) {
        // spin: the creator is between reserve and two stores
      }
      if (Atomics.load(w, 0) !== MAGIC || w[1] !== slots) {
        throw new DpdkError(
          `memzone "${name}" is not a claim table of ${slots} slots`,
        );
      }
    }
    return new ClaimTable(zone, slots);
  }

  #check(i: number): void {
    if (!((i >>> 0) === i && i < this.slots)) {
      throw new RangeError(
        `claim table "${this.name}": slot ${i} is not in 0..${this.slots - 1}`,
      );
    }
  }

  /** The live holder of slot `i`, or undefined when it is free (or stale). */
  holder(i: number): ClaimHolder | undefined {
    this.#check(i);
    const o = HEADER + SLOT * i;
    const pid = this.#w[o];
    if (pid === 0) return undefined;
    const start = this.#w[o + 2] * 0x100000000 + this.#w[o + 1];
    return processAlive(pid, start) ? { pid, start } : undefined;
  }

  /**
   * Takes slot `i` for this process. Returns undefined on success (or when
   * this process holds it already), else the live process holding it.
   */
  claim(i: number): ClaimHolder | undefined {
    this.#check(i);
    const o = HEADER + SLOT * i;
    for (;;) {
      const pid = Atomics.load(this.#w, o);
      if (pid === this.#me) return undefined;
      if (pid !== 0) {
        const live = this.holder(i);
        if (live !== undefined && live.pid === pid) return live;
      }
      // free or stale: swap the pid in, then record the start time
      if (this.#zone.compareExchangeU32(4 * o, pid, this.#me) === pid) {
        this.#w[o + 1] = this.#myStart % 0x100000000;
        this.#w[o + 2] = Math.floor(this.#myStart / 0x100000000);
        return undefined;
      }
    }
  }

  /**
   * Takes every slot of `ids`, or none: on a clash the slots taken so far
   * are released and the clashing slot and holder are returned.
   */
  claimAll(ids: number[]): { slot: number; holder: ClaimHolder } | undefined {
    const taken: number[] = [];
    for (const i of ids) {
      const h = this.claim(i);
      if (h !== undefined) {
        for (const t of taken) this.release(t);
        return { slot: i, holder: h };
      }
      taken.push(i);
    }
    return undefined;
  }

  /** Frees slot `i` if this process holds it. */
  release(i: number): void {
    this.#check(i);
    this.#zone.compareExchangeU32(4 * (HEADER + SLOT * i), this.#me, 0);
  }

  /** Slots held by live processes other than this one. */
  heldByOthers(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.slots; i++) {
      const h = this.holder(i);
      if (h !== undefined && h.pid !== this.#me) out.push(i);
    }
    return out;
  }
}
