/**
 * Health of a multi-process group: noticing what DPDK cannot recover, and
 * accounting for what a dead process held. Generic: no application policy
 * (what to do about a stall is the application's call).
 *
 * - {@linkcode RingProbe}: the head and tail positions of a ring, or of the
 *   ring behind a mempool. A process killed inside a multi-producer enqueue
 *   (multi-consumer dequeue) between moving the head and moving the tail
 *   leaves that side half-updated, and every later producer (consumer)
 *   waits for the tail forever: seen from outside, head and tail stay
 *   apart and the tail never moves again.
 * - {@linkcode HealthWatch}: samples rings, pools and progress counters
 *   (an lcore loop that counts its iterations) and reports a
 *   {@linkcode Stall} once one stays stuck for `stallMs`.
 * - {@linkcode GroupWatch}: the processes of the group (by their lcore
 *   claims) and those that ended, so a stall can name its likely cause
 *   ({@linkcode describeStall}).
 * - {@linkcode groupMembers}: who runs in a group, from the locks on its
 *   runtime files, before this process joins it (with
 *   {@linkcode processCommandLine}, {@linkcode processAgeMs},
 *   {@linkcode userId}, {@linkcode unwritableHugepageMounts}: read in C,
 *   so no Deno permission beyond FFI is needed).
 * - {@linkcode HeldTable}: per-slot (e.g. per-lcore) records, in shared
 *   memory, of the objects a process took from a pool and has not yet
 *   handed on, written in C around each DPDK call; another process settles
 *   the record of a dead owner: the objects it certainly held go back to
 *   the pool, those it died in the middle of a call with are counted as
 *   unknown.
 *
 * @module
 */

import { cbuf, fact, lib } from "../ffi/lib.ts";
import { checkCount, DpdkError } from "./errors.ts";
import { RTE } from "./constants.ts";
import type { Ring } from "./ring.ts";
import type { Mempool } from "./mempool.ts";
import { Memzone } from "./memzone.ts";
import { ClaimTable } from "./claims.ts";
import { LCORE_CLAIMS } from "./eal.ts";
import { processAlive, processStartTime, runtimeRoot } from "./proc.ts";
import { type PtrArray, unsafeArrayPointer } from "./ptr.ts";

// ------------------------------------------------------------ ring probes

/** The shim's indexes into a positions array (`ringpos.*` facts). */
interface PosIndex {
  prodHead: number;
  prodTail: number;
  consHead: number;
  consTail: number;
  prodSync: number;
  consSync: number;
  len: number;
  syncSt: number;
}

let posIndex: PosIndex | undefined;

function pos(): PosIndex {
  return posIndex ??= {
    prodHead: fact("ringpos.prod_head"),
    prodTail: fact("ringpos.prod_tail"),
    consHead: fact("ringpos.cons_head"),
    consTail: fact("ringpos.cons_tail"),
    prodSync: fact("ringpos.prod_sync"),
    consSync: fact("ringpos.cons_sync"),
    len: fact("ringpos.len"),
    syncSt: fact("health.sync_st"),
  };
}

/**
 * Reads the head and tail positions of a ring (`kind: "ring"`) or of the
 * ring behind a ring-based mempool (`kind: "pool"`: its producer side is
 * where objects go back, its consumer side where they are taken). One FFI
 * call per {@linkcode RingProbe.read}, nothing allocated.
 */
export class RingProbe {
  /** The ring's or pool's name. */
  readonly name: string;
  /** What is probed. */
  readonly kind: "ring" | "pool";
  /** The last reading, indexed by the shim's `ringpos.*` facts. */
  readonly positions: Uint32Array<ArrayBuffer>;
  readonly #read: (out: Uint32Array<ArrayBuffer>) => number;

  private constructor(
    name: string,
    kind: "ring" | "pool",
    read: (out: Uint32Array<ArrayBuffer>) => number,
  ) {
    this.name = name;
    this.kind = kind;
    this.#read = read;
    this.positions = new Uint32Array(pos().len);
  }

  /** A probe of `ring`. */
  static ofRing(ring: Ring): RingProbe {
    return new RingProbe(
      ring.name,
      "ring",
      (out) => lib().shim_ring_positions(ring.unsafeHandle, out),
    );
  }

  /**
   * A probe of the ring behind `pool`, or undefined when the pool keeps
   * its objects in something else (a stack or bucket pool).
   */
  static ofPool(pool: Mempool): RingProbe | undefined {
    const probe = new RingProbe(
      pool.name,
      "pool",
      (out) => lib().shim_mempool_ring_positions(pool.unsafeHandle, out),
    );
    const r = probe.#read(probe.positions);
    if (r === -RTE.ENOTSUP) return undefined;
    if (r < 0) throw new DpdkError(`positions of pool "${pool.name}"`, r);
    return probe;
  }

  /**
   * Takes a reading into {@linkcode RingProbe.positions}.
   *
   * @throws DisposedError when the ring or pool handle was disposed
   */
  read(): this {
    const r = this.#read(this.positions);
    if (r < 0) {
      throw new DpdkError(`positions of ${this.kind} "${this.name}"`, r);
    }
    return this;
  }

  /** Producer head of the last reading. */
  get producerHead(): number {
    return this.positions[pos().prodHead];
  }
  /** Producer tail of the last reading. */
  get producerTail(): number {
    return this.positions[pos().prodTail];
  }
  /** Consumer head of the last reading. */
  get consumerHead(): number {
    return this.positions[pos().consHead];
  }
  /** Consumer tail of the last reading. */
  get consumerTail(): number {
    return this.positions[pos().consTail];
  }
  /** Whether the producer side is single-producer (no wait on the tail). */
  get producerSingle(): boolean {
    return this.positions[pos().prodSync] === pos().syncSt;
  }
  /** Whether the consumer side is single-consumer. */
  get consumerSingle(): boolean {
    return this.positions[pos().consSync] === pos().syncSt;
  }

  /**
   * Whether, in the last reading, no operation was half done on a side
   * where the next one would wait for it (a multi-producer or
   * multi-consumer side with head and tail apart). A healthy ring is
   * settled again within nanoseconds; one that stays unsettled is wedged.
   */
  settled(): boolean {
    return (this.producerSingle || this.producerHead === this.producerTail) &&
      (this.consumerSingle || this.consumerHead === this.consumerTail);
  }
}

/**
 * Objects waiting in lcore `lcore`'s cache of `pool`: they count as
 * available, and go back into use only when a thread with that lcore ID
 * takes from the pool (0 for a pool without caches).
 */
export function poolCacheCount(pool: Mempool, lcore: number): number {
  checkCount("poolCacheCount lcore", lcore, RTE.RTE_MAX_LCORE - 1);
  const r = lib().shim_mempool_cache_len(pool.unsafeHandle, lcore);
  if (r < 0) throw new DpdkError(`cache of pool "${pool.name}"`, r);
  return r;
}

// ------------------------------------------------------- stall detection

/**
 * Tells a value that stays stuck from one that moves: pure, fed with
 * samples. A key is stuck when it was `apart` (something is in progress)
 * with the same `value` in every sample for at least `stallMs`.
 */
export class StallDetector {
  /** How long a value must stay stuck to count (ms). */
  readonly stallMs: number;
  readonly #since = new Map<string, { value: number; since: number }>();

  /**
   * A detector with no samples yet.
   *
   * @param stallMs how long a value must stay stuck (ms, default 1000)
   */
  constructor(stallMs = 1000) {
    if (!(stallMs > 0)) throw new RangeError(`stallMs ${stallMs} must be > 0`);
    this.stallMs = stallMs;
  }

  /**
   * Feeds one sample. Returns the time the key has been stuck since when
   * that is at least `stallMs` before `now`, else undefined.
   *
   * @param key what is sampled
   * @param value the value that should move (a tail, a counter)
   * @param apart whether work is in progress (head and tail apart; for a
   *   counter, whether it is expected to move at all)
   * @param now the sample's time (ms)
   * @param stallMs how long this key must stay stuck (default: the
   *   detector's)
   */
  sample(
    key: string,
    value: number,
    apart: boolean,
    now: number,
    stallMs: number = this.stallMs,
  ): number | undefined {
    if (!apart) {
      this.#since.delete(key);
      return undefined;
    }
    const s = this.#since.get(key);
    if (s === undefined || s.value !== value) {
      this.#since.set(key, { value, since: now });
      return undefined;
    }
    return now - s.since >= stallMs ? s.since : undefined;
  }

  /** Forgets a key. */
  forget(key: string): void {
    this.#since.delete(key);
  }
}

/** Something that stopped moving. */
export interface Stall {
  /** A ring, a pool (the ring behind it), or an lcore's progress. */
  kind: "ring" | "pool" | "progress";
  /** The ring's or pool's name, or the progress counter's label. */
  object: string;
  /** The side of a ring or pool that is stuck. */
  side?: "producer" | "consumer";
  /** The stuck side's head (ring, pool). */
  head?: number;
  /** The stuck side's tail (ring, pool), or the counter's value. */
  value: number;
  /** When the value was first seen stuck (`performance.now()` ms). */
  since: number;
  /** How long it has been stuck (ms). */
  forMs: number;
}

/** Options of {@linkcode HealthWatch}. */
export interface HealthOptions {
  /** How long a ring or pool must stay stuck to be a stall (ms, default 1000). */
  stallMs?: number;
  /**
   * How long a progress counter must stay still to be a stall (ms,
   * default 3000: a thread of a busy machine can wait its turn for a
   * while; a ring left half-updated never settles).
   */
  progressMs?: number;
  /** Sampling interval of {@linkcode HealthWatch.start} (ms, default 100). */
  intervalMs?: number;
}

interface Progress {
  label: string;
  read: () => number;
  active: () => boolean;
  stallMs: number;
}

/**
 * Watches rings, pools and progress counters of this process and reports
 * the ones that stay stuck. A ring (or pool) side is stuck when a half-done
 * operation on a multi-producer (multi-consumer) side keeps its head and
 * tail apart with the tail not moving; a progress counter is stuck when it
 * does not move while its lcore is meant to run. Sampling costs one FFI
 * call per ring or pool.
 *
 * @example
 * ```ts
 * const watch = new HealthWatch({ stallMs: 1000 })
 *   .watchRing(ring).watchPool(pool)
 *   .watchProgress("lcore 2", () => loops[0]);
 * watch.start((stalls) => { console.error(describeStall(stalls[0])); ... });
 * ```
 */
export class HealthWatch implements Disposable {
  /** The stall time of rings and pools (ms). */
  readonly stallMs: number;
  /** The stall time of progress counters (ms). */
  readonly progressMs: number;
  /** The sampling interval (ms). */
  readonly intervalMs: number;
  readonly #probes: RingProbe[] = [];
  readonly #progress: Progress[] = [];
  readonly #detector: StallDetector;
  #timer: ReturnType<typeof setInterval> | undefined;
  #hooks: ((now: number) => void)[] = [];

  /**
   * A watch of nothing yet: add rings, pools and counters, then start it.
   *
   * @param opts stall times and sampling interval
   */
  constructor(
    { stallMs = 1000, progressMs = 3000, intervalMs = 100 }: HealthOptions = {},
  ) {
    this.#detector = new StallDetector(stallMs);
    this.stallMs = stallMs;
    this.progressMs = progressMs;
    this.intervalMs = intervalMs;
  }

  /** Watches a ring. */
  watchRing(ring: Ring): this {
    this.#probes.push(RingProbe.ofRing(ring));
    return this;
  }

  /** Watches the ring behind a pool (a pool not kept in a ring is skipped). */
  watchPool(pool: Mempool): this {
    const p = RingProbe.ofPool(pool);
    if (p !== undefined) this.#probes.push(p);
    return this;
  }

  /**
   * Watches a counter that must keep moving while `active()` (default:
   * always), e.g. an lcore loop's iteration count in a SharedArrayBuffer.
   *
   * @param label names it in a {@linkcode Stall}
   * @param read reads the counter
   * @param active whether it should be moving now
   * @param stallMs how long it may stay still (default: `progressMs`)
   */
  watchProgress(
    label: string,
    read: () => number,
    active: () => boolean = () => true,
    stallMs: number = this.progressMs,
  ): this {
    this.#progress.push({ label, read, active, stallMs });
    return this;
  }

  /** Runs `hook(now)` before each sample (e.g. a {@linkcode GroupWatch}). */
  onSample(hook: (now: number) => void): this {
    this.#hooks.push(hook);
    return this;
  }

  /** Samples everything once; returns what is stuck now. */
  check(now: number = performance.now()): Stall[] {
    for (const h of this.#hooks) h(now);
    const out: Stall[] = [];
    const d = this.#detector;
    for (const p of this.#probes) {
      p.read();
      const sides = [
        ["producer", p.producerHead, p.producerTail, p.producerSingle],
        ["consumer", p.consumerHead, p.consumerTail, p.consumerSingle],
      ] as const;
      for (const [side, head, tail, single] of sides) {
        const since = d.sample(
          `${p.kind}:${p.name}:${side}`,
          tail,
          !single && head !== tail,
          now,
        );
        if (since !== undefined) {
          out.push({
            kind: p.kind,
            object: p.name,
            side,
            head,
            value: tail,
            since,
            forMs: now - since,
          });
        }
      }
    }
    for (const g of this.#progress) {
      const v = g.read();
      const since = d.sample(
        `progress:${g.label}`,
        v,
        g.active(),
        now,
        g.stallMs,
      );
      if (since !== undefined) {
        out.push({
          kind: "progress",
          object: g.label,
          value: v,
          since,
          forMs: now - since,
        });
      }
    }
    return out;
  }

  /**
   * Samples every `intervalMs`; calls `onStall` once, with every stall
   * seen in that sample, then stops sampling.
   */
  start(onStall: (stalls: Stall[]) => void): this {
    this.stop();
    this.#timer = setInterval(() => {
      let stalls: Stall[];
      try {
        stalls = this.check();
      } catch {
        return; // handles closed (shutting down): nothing to watch
      }
      if (stalls.length > 0) {
        this.stop();
        onStall(stalls);
      }
    }, this.intervalMs);
    return this;
  }

  /** Stops sampling. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Stops sampling. */
  [Symbol.dispose](): void {
    this.stop();
  }
}

// -------------------------------------------------------- group processes

/** A process of the group, known by its lcore claims. */
export interface GroupMember {
  /** Its PID. */
  pid: number;
  /** Its start time (`processStartTime`). */
  start: number;
  /** The lcore IDs it claimed. */
  lcores: number[];
}

/** A process of the group that has ended. */
export interface EndedMember extends GroupMember {
  /** When it was first seen ended (`performance.now()` ms). */
  endedAt: number;
}

/**
 * The processes of this group that claimed lcore IDs (every process
 * started by `initEal`; C processes claim none), sampled: who runs, and
 * who has ended since the watch began. Cheap: one look at each claimed
 * slot per sample.
 */
export class GroupWatch {
  readonly #table: ClaimTable;
  readonly #members = new Map<string, GroupMember>();
  readonly #ended: EndedMember[] = [];
  readonly #me = Deno.pid;

  /**
   * A watch of the group's processes, sampled once now.
   *
   * @param table the lcore claim table (default: the library's)
   */
  constructor(table?: ClaimTable) {
    this.#table = table ?? ClaimTable.open(LCORE_CLAIMS, RTE.RTE_MAX_LCORE);
    this.sample();
  }

  /** Takes a sample: new members, and members that have ended. */
  sample(now: number = performance.now()): void {
    const seen = new Map<string, GroupMember>();
    for (let i = 0; i < this.#table.slots; i++) {
      const h = this.#table.holder(i);
      if (h === undefined || h.pid === this.#me) continue;
      const key = `${h.pid}:${h.start}`;
      const m = seen.get(key) ?? { pid: h.pid, start: h.start, lcores: [] };
      m.lcores.push(i);
      seen.set(key, m);
    }
    for (const [key, m] of this.#members) {
      if (!seen.has(key) && !processAlive(m.pid, m.start)) {
        this.#members.delete(key);
        this.#ended.push({ ...m, endedAt: now });
      }
    }
    for (const [key, m] of seen) this.#members.set(key, m);
  }

  /** The processes running at the last sample (this one excluded). */
  members(): GroupMember[] {
    return [...this.#members.values()];
  }

  /** The processes that ended since the watch began, oldest first. */
  ended(): EndedMember[] {
    return [...this.#ended];
  }
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * One paragraph saying what is stuck, what usually causes it, and which
 * ended process of the group is the likely cause: of those that ended
 * from `windowMs` before the stall was first seen until just after (the
 * samples are apart), the closest to it.
 *
 * @param s the stall
 * @param ended processes of the group that ended ({@linkcode GroupWatch})
 * @param windowMs how long before the stall an ending still counts (ms)
 */
export function describeStall(
  s: Stall,
  ended: EndedMember[] = [],
  windowMs = 10_000,
): string {
  let what: string;
  if (s.kind === "progress") {
    what = `${s.object} has made no progress for ${secs(s.forMs)}: it is ` +
      "stuck, most likely waiting inside DPDK on a ring or pool that a " +
      "dead process left half-updated";
  } else {
    const op = s.kind === "ring"
      ? (s.side === "producer" ? "an enqueue" : "a dequeue")
      : (s.side === "producer" ? "a put (freeing)" : "a get (allocating)");
    const obj = s.kind === "ring"
      ? `ring "${s.object}"`
      : `pool "${s.object}" (the ring behind it)`;
    what = `${obj}: ${s.side} head ${s.head} and tail ${s.value} have ` +
      `stayed apart for ${secs(s.forMs)}: a process stopped inside ${op}, ` +
      "between moving the head and the tail (killed?), and every later " +
      `${s.side} waits for it forever; DPDK cannot recover this`;
  }
  const near = ended
    .filter((e) =>
      e.endedAt >= s.since - windowMs && e.endedAt <= s.since + 1000
    )
    .sort((a, b) =>
      Math.abs(a.endedAt - s.since) - Math.abs(b.endedAt - s.since)
    );
  if (near.length === 0) {
    return `${what}. No process of the group that claims lcore IDs ended ` +
      `in the ${secs(windowMs)} before: a process that claims none (a C ` +
      "one) may have died, or a thread is stuck.";
  }
  const likely = near[0];
  const when = likely.endedAt <= s.since
    ? `${secs(s.since - likely.endedAt)} before it was first seen stuck`
    : "as it was first seen stuck";
  const others = near.slice(1, 6).map((e) => e.pid);
  return `${what}. Likely cause: process ${likely.pid} (lcore ID${
    likely.lcores.length > 1 ? "s" : ""
  } ${likely.lcores.join(", ")}), which ended ${when}` +
    (others.length > 0
      ? ` (also ended then: ${others.join(", ")}${
        near.length > 6 ? ", ..." : ""
      })`
      : "") +
    ".";
}

// --------------------------------------------- who runs, before joining

/** Who runs in a group, as the locks on its runtime files tell. */
export interface GroupMembers {
  /** The group's runtime folder (`ROOT/PREFIX`). */
  dir: string;
  /** Whether the folder exists (a group ran under this prefix). */
  exists: boolean;
  /** The primary's PID (it holds the write lock on `config`), if it runs. */
  primary?: number;
  /**
   * Other running processes of the group (each holds locks on the shared
   * memory's `fbarray_*` files): secondaries, or processes of a primary
   * that has exited. This process is never listed.
   */
  others: number[];
}

/** The runtime folders' parent: {@linkcode runtimeRoot} (kept as an alias). */
export function ealRuntimeRoot(): string {
  return runtimeRoot();
}

/**
 * The processes of group `prefix`, from the locks on its runtime files
 * (read from /proc/locks in C: no lock is taken or dropped, so any
 * process may call it, the group's primary and a process not yet in the
 * group alike; no Deno permission needed). The kernel drops a lock when
 * its holder dies, SIGKILL included: only running processes show.
 *
 * @param prefix the group's `--file-prefix`
 * @param root the runtime folders' parent (default: {@linkcode ealRuntimeRoot})
 */
export function groupMembers(
  prefix: string,
  root: string = ealRuntimeRoot(),
): GroupMembers {
  const dir = `${root}/${prefix}`;
  const out = new Int32Array(1024);
  const n = lib().shim_group_members(cbuf(dir), out, out.length);
  if (n === -RTE.ENOENT) {
    return { dir, exists: false, others: [] };
  }
  if (n < 0) throw new DpdkError(`the processes of ${dir}`, n);
  return {
    dir,
    exists: true,
    primary: out[0] > 0 ? out[0] : undefined,
    others: [...out.subarray(1, n)].sort((a, b) => a - b),
  };
}

/**
 * The command line of process `pid` (`/proc/PID/cmdline`, read in C),
 * empty when it cannot be read (gone, or not ours to read).
 */
export function processCommandLine(pid: number): string[] {
  if (!((pid | 0) === pid && pid > 0)) return [];
  const buf = new Uint8Array(1 << 16);
  const n = lib().shim_file_read(cbuf(`/proc/${pid}/cmdline`), buf, buf.length);
  if (n <= 0) return [];
  return new TextDecoder().decode(buf.subarray(0, n)).replace(/\0$/, "")
    .split("\0");
}

/** How long process `pid` has been running (ms), or undefined when gone. */
export function processAgeMs(pid: number): number | undefined {
  if (!((pid | 0) === pid && pid > 0)) return undefined;
  const ms = lib().shim_proc_age_ms(pid);
  return ms < 0 ? undefined : ms;
}

/** This process's real user ID (read in C: no Deno permission needed). */
export function userId(): number {
  return lib().shim_getuid();
}

/** The hugetlbfs mounts this process cannot write to (DPDK needs to). */
export function unwritableHugepageMounts(): string[] {
  const buf = new Uint8Array(1 << 16);
  const n = lib().shim_unwritable_hugepage_mounts(buf, buf.length);
  if (n <= 0) return [];
  return new TextDecoder().decode(buf.subarray(0, n)).split("\n")
    .filter((m) => m !== "");
}

// ------------------------------------------------------------ held records

/** The step a held record is in. */
export type HeldPhase =
  | "idle"
  | "getting"
  | "held"
  | "enqueuing"
  | "dequeuing"
  | "putting";

interface HeldLayout {
  size: number;
  lock: number;
  owner: number;
  ownerStart: number;
  phase: number;
  n: number;
  ops: number;
  max: number;
  idle: number;
  phases: Map<number, HeldPhase>;
}

let heldLayout: HeldLayout | undefined;

function held(): HeldLayout {
  if (heldLayout === undefined) {
    const phases = new Map<number, HeldPhase>();
    for (
      const p of [
        "idle",
        "getting",
        "held",
        "enqueuing",
        "dequeuing",
        "putting",
      ] as const
    ) {
      phases.set(fact(`held.phase_${p}`), p);
    }
    heldLayout = {
      size: fact("held.size"),
      lock: fact("held.lock"),
      owner: fact("held.owner"),
      ownerStart: fact("held.owner_start"),
      phase: fact("held.phase"),
      n: fact("held.n"),
      ops: fact("held.ops"),
      max: fact("held.max"),
      idle: fact("held.phase_idle"),
      phases,
    };
  }
  return heldLayout;
}

/** The most objects one held-record call may move (`held.max`). */
export function heldMax(): number {
  return held().max;
}

/** What settling a dead owner's record did. */
export interface Settled {
  /** The record's slot. */
  slot: number;
  /** The dead owner's PID. */
  pid: number;
  /** The step it died in. */
  phase: HeldPhase;
  /** Objects that went back to the pool. */
  returned: number;
  /**
   * Objects whose fate cannot be told (it died inside a DPDK call with
   * them, or the record named objects not of the pool): up to this many
   * may be lost.
   */
  unknown: number;
}

/**
 * Held records in a memzone, one per slot (e.g. per lcore ID): what the
 * owner of a slot took from a pool and has not handed on yet. A process
 * {@linkcode HeldTable.take}s the slots it uses (settling a dead owner's
 * record first); any process can {@linkcode HeldTable.settleDead} the
 * records whose owner died, returning what they held to the pool. Each
 * slot has a lock (the PID changing it, taken over from a dead one), so a
 * record is settled once.
 */
export class HeldTable {
  /** The memzone. */
  readonly zone: Memzone;
  /** Number of records. */
  readonly slots: number;
  readonly #w: Uint32Array<ArrayBuffer>;
  readonly #me = Deno.pid;
  readonly #myStart = processStartTime(Deno.pid);
  readonly #pause = new Int32Array(new SharedArrayBuffer(4));
  readonly #out = new Uint32Array(2);
  readonly #records = new Map<number, HeldRecord>();

  private constructor(zone: Memzone) {
    const L = held();
    this.zone = zone;
    this.slots = Math.floor(zone.length / L.size);
    this.#w = new Uint32Array(zone.buffer, 0, (this.slots * L.size) / 4);
  }

  /**
   * Reserves a table of `slots` records (a group's primary, once).
   *
   * @throws DpdkError when DPDK refuses (e.g. the name exists)
   */
  static create(name: string, slots: number = RTE.RTE_MAX_LCORE): HeldTable {
    if (!((slots >>> 0) === slots && slots >= 1 && slots <= 1 << 16)) {
      throw new RangeError(`HeldTable.create: ${slots} slots`);
    }
    return new HeldTable(Memzone.reserve(name, slots * held().size));
  }

  /**
   * Finds a table made by the group's primary.
   *
   * @throws DpdkError when there is none
   */
  static lookup(name: string): HeldTable {
    return new HeldTable(Memzone.lookup(name));
  }

  /** Views a table handed over (an lcore worker's copy of the memzone). */
  static of(zone: Memzone): HeldTable {
    return new HeldTable(zone);
  }

  #word(slot: number, byteOffset: number): number {
    return (slot * held().size + byteOffset) / 4;
  }

  #check(slot: number): void {
    if (!((slot >>> 0) === slot && slot < this.slots)) {
      throw new RangeError(
        `held table "${this.zone.name}": slot ${slot} is not in ` +
          `0..${this.slots - 1}`,
      );
    }
  }

  #lock(slot: number): void {
    const off = 4 * this.#word(slot, held().lock);
    for (let i = 0;; i++) {
      const cur = this.zone.compareExchangeU32(off, 0, this.#me);
      if (cur === 0) return;
      if (!processAlive(cur)) {
        // its holder died while changing it: take the lock over
        if (this.zone.compareExchangeU32(off, cur, this.#me) === cur) return;
        continue;
      }
      if (i >= 5000) {
        throw new DpdkError(
          `held record ${slot} of "${this.zone.name}": locked by process ` +
            `${cur} for 5 s`,
          RTE.EBUSY,
        );
      }
      Atomics.wait(this.#pause, 0, 0, 1);
    }
  }

  #unlock(slot: number): void {
    this.zone.compareExchangeU32(
      4 * this.#word(slot, held().lock),
      this.#me,
      0,
    );
  }

  #owner(slot: number): { pid: number; start: number } {
    const L = held();
    const w = this.#w;
    const s = this.#word(slot, L.ownerStart);
    return {
      pid: w[this.#word(slot, L.owner)],
      start: w[s + 1] * 0x100000000 + w[s],
    };
  }

  #setOwner(slot: number, pid: number, start: number): void {
    const L = held();
    const s = this.#word(slot, L.ownerStart);
    this.#w[s] = start % 0x100000000;
    this.#w[s + 1] = Math.floor(start / 0x100000000);
    this.#w[this.#word(slot, L.owner)] = pid;
  }

  /** The address of record `slot`. Unsafe: valid while the zone lives. */
  #ptr(slot: number): Deno.PointerObject {
    return Deno.UnsafePointer.offset(
      this.zone.unsafeAddr,
      slot * held().size,
    ) as Deno.PointerObject;
  }

  /** Settles record `slot` (lock held, owner dead). */
  #settle(slot: number, pool: Mempool, pid: number): Settled | undefined {
    const r = lib().shim_held_reclaim(
      pool.unsafeHandle,
      this.#ptr(slot),
      this.#out,
    );
    this.#setOwner(slot, 0, 0);
    if (r < 0) throw new DpdkError(`settling held record ${slot}`, r);
    const phase = held().phases.get(r) ?? "idle";
    if (phase === "idle") return undefined;
    return {
      slot,
      pid,
      phase,
      returned: this.#out[0],
      unknown: this.#out[1],
    };
  }

  /**
   * Takes record `slot` for this process (call before using it, e.g. for
   * each lcore ID of this process). A record left by a dead owner is
   * settled first, its objects going back to `pool`.
   *
   * @returns what was settled, or undefined when the record was free
   * @throws DpdkError when a running process owns the record
   */
  take(slot: number, pool: Mempool): Settled | undefined {
    this.#check(slot);
    this.#lock(slot);
    try {
      const o = this.#owner(slot);
      let settled: Settled | undefined;
      if (o.pid !== 0 && o.pid !== this.#me) {
        if (processAlive(o.pid, o.start)) {
          throw new DpdkError(
            `held record ${slot} of "${this.zone.name}" is owned by ` +
              `running process ${o.pid}`,
            RTE.EBUSY,
          );
        }
        settled = this.#settle(slot, pool, o.pid);
      }
      this.#setOwner(slot, this.#me, this.#myStart);
      return settled;
    } finally {
      this.#unlock(slot);
    }
  }

  /**
   * Gives record `slot` up (a clean exit). A record that still holds
   * something stays owned, to be settled once this process has exited.
   */
  release(slot: number): void {
    this.#check(slot);
    this.#lock(slot);
    try {
      const L = held();
      const idle = this.#w[this.#word(slot, L.phase)] === L.idle;
      if (this.#owner(slot).pid === this.#me && idle) {
        this.#setOwner(slot, 0, 0);
      }
    } finally {
      this.#unlock(slot);
    }
  }

  /**
   * Settles every record whose owner has died, returning what they
   * certainly held to `pool`. Returns what was done (records that held
   * nothing are freed silently).
   */
  settleDead(pool: Mempool): Settled[] {
    const out: Settled[] = [];
    const L = held();
    for (let slot = 0; slot < this.slots; slot++) {
      const pid = this.#w[this.#word(slot, L.owner)];
      if (pid === 0 || pid === this.#me) continue;
      const o = this.#owner(slot);
      if (processAlive(o.pid, o.start)) continue;
      this.#lock(slot);
      try {
        const now = this.#owner(slot); // it may have changed hands
        if (now.pid === 0 || processAlive(now.pid, now.start)) continue;
        const s = this.#settle(slot, pool, now.pid);
        if (s !== undefined) out.push(s);
      } finally {
        this.#unlock(slot);
      }
    }
    return out;
  }

  /**
   * The record of `slot` for the calls that keep it (made once per slot
   * and thread; the caller owns the slot, see {@linkcode HeldTable.take}).
   */
  record(slot: number): HeldRecord {
    this.#check(slot);
    let r = this.#records.get(slot);
    if (r === undefined) {
      r = new HeldRecord(
        this.#ptr(slot),
        this.#w,
        this.#word(slot, held().ops),
        this.#word(slot, held().n),
      );
      this.#records.set(slot, r);
    }
    return r;
  }
}

/**
 * One slot's held record: pool and ring calls that keep it up to date.
 * Each is one FFI call, the record written in C around DPDK's own call;
 * counts are checked against the array and {@linkcode heldMax}.
 */
export class HeldRecord {
  readonly #h: Deno.PointerObject;
  readonly #w: Uint32Array<ArrayBuffer>;
  readonly #opsWord: number;
  readonly #nWord: number;

  /** @internal use {@linkcode HeldTable.record} */
  constructor(
    h: Deno.PointerObject,
    w: Uint32Array<ArrayBuffer>,
    opsWord: number,
    nWord: number,
  ) {
    this.#h = h;
    this.#w = w;
    this.#opsWord = opsWord;
    this.#nWord = nWord;
  }

  #check(what: string, objs: PtrArray, n: number): void {
    if (!((n >>> 0) === n && n <= objs.length && n <= held().max)) {
      checkCount(what, n, Math.min(objs.length, held().max));
    }
  }

  /** `pool.getBulk(objs, n)`, recorded: true when the n objects came. */
  get(pool: Mempool, objs: PtrArray, n: number): boolean {
    this.#check("HeldRecord.get", objs, n);
    return lib().shim_held_get(
      pool.unsafeHandle,
      unsafeArrayPointer(objs, "HeldRecord.get"),
      n,
      this.#h,
    ) === 0;
  }

  /** `ring.enqueueBulk(objs, n)`, recorded: n, or 0 (still held). */
  enqueueBulk(ring: Ring, objs: PtrArray, n: number): number {
    this.#check("HeldRecord.enqueueBulk", objs, n);
    return lib().shim_held_enqueue_bulk(
      ring.unsafeHandle,
      unsafeArrayPointer(objs, "HeldRecord.enqueueBulk"),
      n,
      this.#h,
    );
  }

  /** `ring.dequeueBurst(objs, n)`, recorded: how many came (now held). */
  dequeueBurst(ring: Ring, objs: PtrArray, n: number): number {
    this.#check("HeldRecord.dequeueBurst", objs, n);
    return lib().shim_held_dequeue_burst(
      ring.unsafeHandle,
      unsafeArrayPointer(objs, "HeldRecord.dequeueBurst"),
      n,
      this.#h,
    );
  }

  /** `pool.putBulk(objs, n)`, recorded: nothing held afterwards. */
  putBulk(pool: Mempool, objs: PtrArray, n: number): void {
    this.#check("HeldRecord.putBulk", objs, n);
    lib().shim_held_put(
      pool.unsafeHandle,
      unsafeArrayPointer(objs, "HeldRecord.putBulk"),
      n,
      this.#h,
    );
  }

  /** Calls made so far (low 32 bits): the owner's progress. */
  get ops(): number {
    return this.#w[this.#opsWord];
  }

  /** Objects the record holds (or asked for, inside a call). */
  get held(): number {
    return this.#w[this.#nWord];
  }
}
