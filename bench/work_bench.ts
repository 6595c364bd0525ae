/**
 * The per-packet work of examples/l2fwd.ts (`swapAndCount`: swap the
 * destination and source MACs of each frame in place, count its EtherType
 * in a 65536-entry array), alone, as JS through a DataView, as WebAssembly
 * over a Wasm memory holding the packets, and as C. Pure compute: no
 * DPDK, no EAL.
 *
 * A packet area like a mempool lives inside one `WebAssembly.Memory`:
 * 8192 buffers of 2176 bytes, a 64-byte frame (Ethernet + IPv4/UDP,
 * IPv6/UDP or ARP, 7 : 2 : 1) at offset 128 of each. Every burst, 32
 * frame addresses are copied into a 32-entry offsets array (also in that
 * memory) from a shuffled sequence over the whole pool, as bursts from a
 * pool would come; then the variant is called once for the burst:
 *
 * - `js-dataview`: examples/l2fwd.ts's `swapAndCount` as is, counters in
 *   a Float64Array(65536);
 * - `wasm`: the same accesses in hand-written WebAssembly (`WAT` below),
 *   counters u64 in the Wasm memory;
 * - `wasm-i64`: the swap as two overlapping 64-bit loads and stores;
 * - `js-bigint64`: the same 64-bit trick in JS (DataView BigUint64);
 * - `js-i32off`: `js-dataview` with the offsets read as an Int32Array;
 * - `c`: the loop of bench/l2fwd_c/l2fwd.c's `work` (cc -O3), the burst
 *   loop in C too, called once per measurement;
 * - `fill` / `c-fill`: only the copying of the offsets (the harness),
 *   subtracted from the others to give the work alone ("net").
 *
 * At start-up every variant runs the same bursts on the same frames and
 * must leave identical bytes and counts (else it exits with an error).
 *
 * ```sh
 * # instructions per packet under callgrind (needs valgrind and its headers)
 * deno run -A bench/work_bench.ts --callgrind [--bursts 50000] [--warmup 4000]
 * # ns per packet, medians of paired rounds (variants in rotating order)
 * deno run -A bench/work_bench.ts [--rounds 9] [--bursts 200000]
 * # either, with more V8 flags (e.g. --wasm-enforce-bounds-checks)
 * deno run -A bench/work_bench.ts --callgrind --v8=--wasm-enforce-bounds-checks
 * # regenerate WASM_BASE64 from WAT (needs wabt's wat2wasm)
 * deno run -A bench/work_bench.ts --print-wasm
 * ```
 *
 * Both modes run this file again in a child process with
 * `--v8-flags=--no-concurrent-recompilation,--no-liftoff`: optimized JS is
 * installed before a measurement starts, and Wasm runs TurboFan code from
 * its first call. Under callgrind the child calls a small C library (built
 * with cc into a temporary directory, loaded with `Deno.dlopen`) whose
 * `cg_zero()` / `cg_dump()` issue `CALLGRIND_ZERO_STATS` /
 * `CALLGRIND_DUMP_STATS_AT` around `--bursts` bursts of each variant, after
 * `--warmup` calls of 16 bursts; the parent reads the main thread's total
 * of each dump. cc and the C library are needed in both modes (the `c`
 * variant); wat2wasm only for `--print-wasm`.
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
// the example's own function, measured as the example runs it
import { swapAndCount } from "../examples/l2fwd.ts";

const BURST = 32;
const NB_BUF = 8192;
const BUF_SIZE = 2176;
const HEADROOM = 128;
const FRAME_LEN = 64;
const TYPES = 65536;

// the Wasm memory: offsets, the order of the pool, counters, the pool
const OFF_ADDR = 0; // BURST u32: the burst's frame addresses
const SEQ_ADDR = 4096; // NB_BUF u32: frame addresses in pool order
const WASM_COUNTS_ADDR = 65536; // TYPES u64 (Wasm's counters)
const C_COUNTS_ADDR = WASM_COUNTS_ADDR + TYPES * 8; // TYPES u64 (C's)
const POOL_ADDR = 2 << 20;
const POOL_END = POOL_ADDR + NB_BUF * BUF_SIZE;
const PAGES = Math.ceil(POOL_END / 65536);

const V8_FLAGS = "--no-concurrent-recompilation,--no-liftoff";

/**
 * The WebAssembly variants, as compiled into WASM_BASE64 (wat2wasm 1.0.32;
 * `--print-wasm` recompiles it).
 */
export const WAT = `(module
  ;; the packet area, offsets and counters: one memory shared with JS
  (import "env" "memory" (memory 1))
  ;; Swap the MACs of n frames at the byte addresses in the u32 array at
  ;; $off, count each frame's big-endian EtherType in the u64 array at
  ;; $counts. Same accesses as the JS: 4 + 2 bytes each way.
  (func (export "swapAndCount")
    (param $off i32) (param $n i32) (param $counts i32)
    (local $end i32) (local $o i32) (local $dst i32) (local $dstLo i32)
    (local $t i32)
    (if (i32.eqz (local.get $n)) (then (return)))
    (local.set $end
      (i32.add (local.get $off) (i32.shl (local.get $n) (i32.const 2))))
    (loop $next
      (local.set $o (i32.load (local.get $off)))
      (local.set $dst (i32.load (local.get $o)))
      (local.set $dstLo (i32.load16_u offset=4 (local.get $o)))
      (i32.store (local.get $o) (i32.load offset=6 (local.get $o)))
      (i32.store16 offset=4 (local.get $o)
        (i32.load16_u offset=10 (local.get $o)))
      (i32.store offset=6 (local.get $o) (local.get $dst))
      (i32.store16 offset=10 (local.get $o) (local.get $dstLo))
      ;; counter address: $counts + 8 * byte-swapped EtherType
      (local.set $t (i32.load16_u offset=12 (local.get $o)))
      (local.set $t
        (i32.add (local.get $counts)
          (i32.or
            (i32.shl (i32.and (local.get $t) (i32.const 0xff)) (i32.const 11))
            (i32.shl (i32.shr_u (local.get $t) (i32.const 8)) (i32.const 3)))))
      (i64.store (local.get $t) (i64.add (i64.load (local.get $t)) (i64.const 1)))
      (local.set $off (i32.add (local.get $off) (i32.const 4)))
      (br_if $next (i32.lt_u (local.get $off) (local.get $end)))))
  ;; The same with two overlapping 64-bit loads and stores for the swap:
  ;; x = bytes 0..7, y = bytes 4..11; bytes 0..7 := y >> 16 | x << 48,
  ;; bytes 4..11 := y >> 48 | x << 16.
  (func (export "swapAndCount64")
    (param $off i32) (param $n i32) (param $counts i32)
    (local $end i32) (local $o i32) (local $x i64) (local $y i64)
    (local $t i32)
    (if (i32.eqz (local.get $n)) (then (return)))
    (local.set $end
      (i32.add (local.get $off) (i32.shl (local.get $n) (i32.const 2))))
    (loop $next
      (local.set $o (i32.load (local.get $off)))
      (local.set $x (i64.load (local.get $o)))
      (local.set $y (i64.load offset=4 (local.get $o)))
      (i64.store (local.get $o)
        (i64.or (i64.shr_u (local.get $y) (i64.const 16))
                (i64.shl (local.get $x) (i64.const 48))))
      (i64.store offset=4 (local.get $o)
        (i64.or (i64.shr_u (local.get $y) (i64.const 48))
                (i64.shl (local.get $x) (i64.const 16))))
      (local.set $t (i32.load16_u offset=12 (local.get $o)))
      (local.set $t
        (i32.add (local.get $counts)
          (i32.or
            (i32.shl (i32.and (local.get $t) (i32.const 0xff)) (i32.const 11))
            (i32.shl (i32.shr_u (local.get $t) (i32.const 8)) (i32.const 3)))))
      (i64.store (local.get $t) (i64.add (i64.load (local.get $t)) (i64.const 1)))
      (local.set $off (i32.add (local.get $off) (i32.const 4)))
      (br_if $next (i32.lt_u (local.get $off) (local.get $end))))))
`;

/** `wat2wasm` of WAT, base64. */
const WASM_BASE64 =
  "AGFzbQEAAAABBwFgA39/fwACDwEDZW52Bm1lbW9yeQIAAQMDAgAAByECDHN3YXBBbmRDb3VudAAADnN3YXBBbmRDb3VudDY0AAEKlwICiAEBBX8gAUUEQA8LIAAgAUECdGohAwNAIAAoAgAhBCAEKAIAIQUgBC8BBCEGIAQgBCgCBjYCACAEIAQvAQo7AQQgBCAFNgIGIAQgBjsBCiAELwEMIQcgAiAHQf8BcUELdCAHQQh2QQN0cmohByAHIAcpAwBCAXw3AwAgAEEEaiEAIAAgA0kNAAsLigEDAn8CfgF/IAFFBEAPCyAAIAFBAnRqIQMDQCAAKAIAIQQgBCkDACEFIAQpAwQhBiAEIAZCEIggBUIwhoQ3AwAgBCAGQjCIIAVCEIaENwMEIAQvAQwhByACIAdB/wFxQQt0IAdBCHZBA3RyaiEHIAcgBykDAEIBfDcDACAAQQRqIQAgACADSQ0ACws=";

/** The C side: callgrind requests, and the work of l2fwd.c in a loop. */
const C_SOURCE = `#include <stdint.h>
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_ZERO_STATS
#define CALLGRIND_DUMP_STATS_AT(s)
#define RUNNING_ON_VALGRIND 0
#endif

void cg_zero(void) { CALLGRIND_ZERO_STATS; }
void cg_dump(void) { CALLGRIND_DUMP_STATS_AT("work_bench"); }
int cg_running(void) { return RUNNING_ON_VALGRIND; }

/* struct rte_ether_hdr: aligned to 2 */
struct mac { uint8_t b[6]; } __attribute__((aligned(2)));
struct eth { struct mac dst, src; uint16_t type; } __attribute__((aligned(2)));

/* bench/l2fwd_c/l2fwd.c's work(), over frame addresses */
static inline void work(uint8_t *mem, const uint32_t *off, uint32_t n,
                        uint64_t *by_type)
{
	for (uint32_t i = 0; i < n; i++) {
		struct eth *eth = (struct eth *)(mem + off[i]);
		struct mac tmp = eth->dst;

		eth->dst = eth->src;
		eth->src = tmp;
		by_type[__builtin_bswap16(eth->type)]++;
	}
}

/* bursts of n from cursor (copy the addresses, work on them); returns
 * the cursor */
uint32_t c_run(uint8_t *mem, uint32_t bursts, uint32_t cursor, uint32_t n,
               int do_work)
{
	uint32_t *off = (uint32_t *)(mem + ${OFF_ADDR});
	const uint32_t *seq = (const uint32_t *)(mem + ${SEQ_ADDR});
	uint64_t *by_type = (uint64_t *)(mem + ${C_COUNTS_ADDR});

	for (uint32_t b = 0; b < bursts; b++) {
		for (uint32_t i = 0; i < n; i++)
			off[i] = seq[cursor + i];
		cursor = (cursor + ${BURST}) & ${NB_BUF - 1};
		if (do_work)
			work(mem, off, n, by_type);
		__asm__ volatile("" ::: "memory"); /* as an FFI crossing */
	}
	return cursor;
}
`;

const C_SYMBOLS = {
  cg_zero: { parameters: [], result: "void" },
  cg_dump: { parameters: [], result: "void" },
  cg_running: { parameters: [], result: "i32" },
  c_run: {
    parameters: ["buffer", "u32", "u32", "u32", "i32"],
    result: "u32",
  },
} as const;

/** `swapAndCount` with the offsets as an Int32Array. */
export function swapAndCountI32(
  dv: DataView,
  off: Int32Array,
  n: number,
  byType: Float64Array,
): void {
  for (let i = 0; i < n; i++) {
    const o = off[i];
    const dstHi = dv.getUint32(o, true), dstLo = dv.getUint16(o + 4, true);
    dv.setUint32(o, dv.getUint32(o + 6, true), true);
    dv.setUint16(o + 4, dv.getUint16(o + 10, true), true);
    dv.setUint32(o + 6, dstHi, true);
    dv.setUint16(o + 10, dstLo, true);
    byType[dv.getUint16(o + 12)]++;
  }
}

/**
 * The swap as two overlapping 64-bit loads and stores (x = bytes 0..7,
 * y = bytes 4..11): bytes 0..7 := y >> 16 | x << 48, 4..11 := y >> 48 |
 * x << 16 (the setter keeps the low 64 bits).
 */
export function swapAndCountBig(
  dv: DataView,
  off: Uint32Array,
  n: number,
  byType: Float64Array,
): void {
  for (let i = 0; i < n; i++) {
    const o = off[i];
    const x = dv.getBigUint64(o, true), y = dv.getBigUint64(o + 4, true);
    dv.setBigUint64(o, (y >> 16n) | BigInt.asUintN(64, x << 48n), true);
    dv.setBigUint64(o + 4, (y >> 48n) | BigInt.asUintN(64, x << 16n), true);
    byType[dv.getUint16(o + 12)]++;
  }
}

/** The shared state of the child. */
interface Setup {
  memory: WebAssembly.Memory;
  bytes: Uint8Array;
  dv: DataView;
  off: Uint32Array;
  offI32: Int32Array;
  seq: Uint32Array;
  /** [0]: frames per burst (read per burst, not a constant to the JIT) */
  n: Int32Array;
  byType: Float64Array;
  wasmCounts: BigUint64Array;
  cCounts: BigUint64Array;
  wasm: (off: number, n: number, counts: number) => void;
  wasm64: (off: number, n: number, counts: number) => void;
  lib: Deno.DynamicLibrary<typeof C_SYMBOLS>;
}

function wasmBytes(): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(WASM_BASE64), (c) => c.charCodeAt(0));
}

/** mulberry32: a deterministic shuffle of the pool */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Writes buffer `b`'s frame: 7 IPv4/UDP : 2 IPv6/UDP : 1 ARP. */
function writeFrame(bytes: Uint8Array, dv: DataView, at: number, b: number) {
  bytes.fill(0, at, at + FRAME_LEN);
  const hi = (b >> 8) & 0xff, lo = b & 0xff;
  bytes.set([0x02, 0, 0, hi, lo, 0x01, 0x02, 0, 0, hi, lo, 0x02], at);
  const kind = b % 10, l3 = at + 14;
  if (kind < 7) { // IPv4 / UDP, 10.0.hi.lo:1024+ > 10.1.0.1:9
    dv.setUint16(at + 12, 0x0800);
    bytes.set([0x45, 0, 0, FRAME_LEN - 14, hi, lo, 0, 0, 64, 17], l3);
    bytes.set([10, 0, hi, lo, 10, 1, 0, 1], l3 + 12);
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += dv.getUint16(l3 + i);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
    dv.setUint16(l3 + 10, ~sum & 0xffff);
    dv.setUint16(l3 + 20, 1024 + (b & 1023));
    dv.setUint16(l3 + 22, 9);
    dv.setUint16(l3 + 24, FRAME_LEN - 14 - 20);
  } else if (kind < 9) { // IPv6 / UDP, fd00::hi:lo > fd00::1
    dv.setUint16(at + 12, 0x86dd);
    dv.setUint32(l3, 0x60000000);
    dv.setUint16(l3 + 4, FRAME_LEN - 14 - 40);
    bytes[l3 + 6] = 17;
    bytes[l3 + 7] = 64;
    bytes.set([0xfd, 0], l3 + 8);
    bytes.set([hi, lo], l3 + 22);
    bytes.set([0xfd, 0], l3 + 24);
    bytes[l3 + 39] = 1;
    dv.setUint16(l3 + 40, 1024 + (b & 1023));
    dv.setUint16(l3 + 42, 9);
    dv.setUint16(l3 + 44, FRAME_LEN - 14 - 40);
  } else { // ARP request: who has 10.1.0.1, tell 10.0.hi.lo
    dv.setUint16(at + 12, 0x0806);
    bytes.set([0, 1, 8, 0, 6, 4, 0, 1], l3);
    bytes.set([0x02, 0, 0, hi, lo, 0x02, 10, 0, hi, lo], l3 + 8);
    bytes.set([10, 1, 0, 1], l3 + 24);
  }
}

async function buildLib(): Promise<Deno.DynamicLibrary<typeof C_SYMBOLS>> {
  const dir = await Deno.makeTempDir({ prefix: "work_bench_" });
  try {
    await Deno.writeTextFile(`${dir}/cg.c`, C_SOURCE);
    const out = await new Deno.Command("cc", {
      args: ["-O3", "-shared", "-fPIC", "-o", `${dir}/cg.so`, `${dir}/cg.c`],
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(`cc: ${new TextDecoder().decode(out.stderr)}`);
    }
    return Deno.dlopen(`${dir}/cg.so`, C_SYMBOLS);
  } finally {
    // the library stays mapped once loaded
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

async function setup(): Promise<Setup> {
  const memory = new WebAssembly.Memory({ initial: PAGES, maximum: PAGES });
  const buf = memory.buffer;
  const bytes = new Uint8Array(buf), dv = new DataView(buf);
  const seq = new Uint32Array(buf, SEQ_ADDR, NB_BUF);
  for (let b = 0; b < NB_BUF; b++) {
    const at = POOL_ADDR + b * BUF_SIZE + HEADROOM;
    writeFrame(bytes, dv, at, b);
    seq[b] = at;
  }
  const rand = rng(15);
  for (let i = NB_BUF - 1; i > 0; i--) { // Fisher-Yates
    const j = Math.floor(rand() * (i + 1));
    [seq[i], seq[j]] = [seq[j], seq[i]];
  }
  const { instance } = await WebAssembly.instantiate(wasmBytes(), {
    env: { memory },
  });
  const ex = instance.exports as Record<string, unknown>;
  return {
    memory,
    bytes,
    dv,
    off: new Uint32Array(buf, OFF_ADDR, BURST),
    offI32: new Int32Array(buf, OFF_ADDR, BURST),
    seq,
    n: Int32Array.of(BURST),
    byType: new Float64Array(TYPES),
    wasmCounts: new BigUint64Array(buf, WASM_COUNTS_ADDR, TYPES),
    cCounts: new BigUint64Array(buf, C_COUNTS_ADDR, TYPES),
    wasm: ex.swapAndCount as Setup["wasm"],
    wasm64: ex.swapAndCount64 as Setup["wasm64"],
    lib: await buildLib(),
  };
}

/** Copies the burst's frame addresses from the pool's order at `cur`. */
function fill(off: Uint32Array, seq: Uint32Array, cur: number, n: number) {
  for (let i = 0; i < n; i++) off[i] = seq[cur + i];
}

/** A variant: runs `bursts` bursts from cursor `cur`, returns the cursor. */
type Runner = (s: Setup, bursts: number, cur: number) => number;

// one runner per variant, each its own function (own feedback, own code)
function runFill(s: Setup, bursts: number, cur: number): number {
  const { off, seq, n } = s;
  for (let b = 0; b < bursts; b++) {
    fill(off, seq, cur, n[0]);
    cur = (cur + BURST) & (NB_BUF - 1);
  }
  return cur;
}

function runJs(s: Setup, bursts: number, cur: number): number {
  const { off, seq, n, dv, byType } = s;
  for (let b = 0; b < bursts; b++) {
    const k = n[0];
    fill(off, seq, cur, k);
    cur = (cur + BURST) & (NB_BUF - 1);
    swapAndCount(dv, off, k, byType);
  }
  return cur;
}

function runJsI32(s: Setup, bursts: number, cur: number): number {
  const { off, offI32, seq, n, dv, byType } = s;
  for (let b = 0; b < bursts; b++) {
    const k = n[0];
    fill(off, seq, cur, k);
    cur = (cur + BURST) & (NB_BUF - 1);
    swapAndCountI32(dv, offI32, k, byType);
  }
  return cur;
}

function runJsBig(s: Setup, bursts: number, cur: number): number {
  const { off, seq, n, dv, byType } = s;
  for (let b = 0; b < bursts; b++) {
    const k = n[0];
    fill(off, seq, cur, k);
    cur = (cur + BURST) & (NB_BUF - 1);
    swapAndCountBig(dv, off, k, byType);
  }
  return cur;
}

function runWasm(s: Setup, bursts: number, cur: number): number {
  const { off, seq, n, wasm } = s;
  for (let b = 0; b < bursts; b++) {
    const k = n[0];
    fill(off, seq, cur, k);
    cur = (cur + BURST) & (NB_BUF - 1);
    wasm(OFF_ADDR, k, WASM_COUNTS_ADDR);
  }
  return cur;
}

function runWasm64(s: Setup, bursts: number, cur: number): number {
  const { off, seq, n, wasm64 } = s;
  for (let b = 0; b < bursts; b++) {
    const k = n[0];
    fill(off, seq, cur, k);
    cur = (cur + BURST) & (NB_BUF - 1);
    wasm64(OFF_ADDR, k, WASM_COUNTS_ADDR);
  }
  return cur;
}

function runC(s: Setup, bursts: number, cur: number): number {
  return s.lib.symbols.c_run(s.bytes, bursts, cur, s.n[0], 1);
}

function runCFill(s: Setup, bursts: number, cur: number): number {
  return s.lib.symbols.c_run(s.bytes, bursts, cur, s.n[0], 0);
}

interface Variant {
  name: string;
  run: Runner;
  /** the variant whose instructions to subtract (the harness) */
  base?: string;
  /** its counters, as numbers */
  counts?: (s: Setup) => ArrayLike<number | bigint>;
  reset?: (s: Setup) => void;
}

const VARIANTS: Variant[] = [
  { name: "fill", run: runFill },
  {
    name: "js-dataview",
    run: runJs,
    base: "fill",
    counts: (s) => s.byType,
    reset: (s) => s.byType.fill(0),
  },
  {
    name: "js-i32off",
    run: runJsI32,
    base: "fill",
    counts: (s) => s.byType,
    reset: (s) => s.byType.fill(0),
  },
  {
    name: "js-bigint64",
    run: runJsBig,
    base: "fill",
    counts: (s) => s.byType,
    reset: (s) => s.byType.fill(0),
  },
  {
    name: "wasm",
    run: runWasm,
    base: "fill",
    counts: (s) => s.wasmCounts,
    reset: (s) => s.wasmCounts.fill(0n),
  },
  {
    name: "wasm-i64",
    run: runWasm64,
    base: "fill",
    counts: (s) => s.wasmCounts,
    reset: (s) => s.wasmCounts.fill(0n),
  },
  { name: "c-fill", run: runCFill },
  {
    name: "c",
    run: runC,
    base: "c-fill",
    counts: (s) => s.cCounts,
    reset: (s) => s.cCounts.fill(0n),
  },
];

/** The variants measured (`--only`: some, with their harness). */
const MEASURED: Variant[] = [...VARIANTS];

/**
 * Every working variant, from the same frames, runs the same bursts (more
 * than a pass over the pool, odd so that each frame is left swapped or
 * not); the frames and counts must come out the same as js-dataview's.
 */
function check(s: Setup): void {
  const pool = s.bytes.subarray(POOL_ADDR, POOL_END);
  const before = pool.slice();
  const bursts = NB_BUF / BURST + 37;
  let want: { frames: Uint8Array; counts: number[] } | undefined;
  for (const v of VARIANTS) {
    if (!v.counts || !v.reset) continue;
    pool.set(before);
    v.reset(s);
    v.run(s, bursts, 0);
    const counts = Array.from(v.counts(s), Number);
    const total = counts.reduce((a, b) => a + b, 0);
    if (total !== bursts * BURST) {
      throw new Error(`${v.name}: counted ${total}, not ${bursts * BURST}`);
    }
    if (want === undefined) {
      want = { frames: pool.slice(), counts };
      if (want.frames.every((b, i) => b === before[i])) {
        throw new Error(`${v.name}: changed nothing`);
      }
      continue;
    }
    const badByte = pool.findIndex((b, i) => b !== want!.frames[i]);
    if (badByte >= 0) {
      throw new Error(`${v.name}: byte ${badByte} of the pool differs`);
    }
    const badType = counts.findIndex((c, t) => c !== want!.counts[t]);
    if (badType >= 0) {
      throw new Error(`${v.name}: count of 0x${badType.toString(16)} differs`);
    }
  }
  pool.set(before);
  for (const v of VARIANTS) v.reset?.(s);
}

function median(xs: number[]): number {
  const a = [...xs].sort((x, y) => x - y), m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}

/** Warm-up: many calls, so that each runner is optimized (not OSR). */
function warm(s: Setup, v: Variant, calls: number, cur: number): number {
  for (let i = 0; i < calls; i++) cur = v.run(s, 16, cur);
  return cur;
}

/** The child under callgrind: zero, run, dump, per variant. */
function childCallgrind(s: Setup, bursts: number, warmup: number): void {
  if (s.lib.symbols.cg_running() === 0) {
    throw new Error("--child-callgrind: not running under valgrind");
  }
  let cur = 0;
  for (const v of MEASURED) {
    cur = warm(s, v, warmup, cur);
    s.lib.symbols.cg_zero();
    cur = v.run(s, bursts, cur);
    s.lib.symbols.cg_dump();
    console.log(`dumped ${v.name}`);
  }
}

/** The child measuring time: paired rounds, variants in rotating order. */
function childTime(
  s: Setup,
  rounds: number,
  bursts: number,
  warmup: number,
): void {
  let cur = 0;
  for (const v of MEASURED) cur = warm(s, v, warmup, cur);
  const ns = new Map<string, number[]>(MEASURED.map((v) => [v.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < MEASURED.length; k++) {
      const v = MEASURED[(k + r) % MEASURED.length];
      const t0 = performance.now();
      cur = v.run(s, bursts, cur);
      const t1 = performance.now();
      ns.get(v.name)!.push((t1 - t0) * 1e6 / (bursts * BURST));
    }
  }
  console.log(JSON.stringify(Object.fromEntries(ns)));
}

/** Runs this file again with the V8 flags (under valgrind if `cg`). */
async function runChild(
  childArgs: string[],
  v8Extra: string[],
  cgDir?: string,
): Promise<string> {
  const flags = [V8_FLAGS, ...v8Extra].join(",");
  const self = new URL(import.meta.url).pathname;
  const deno = [Deno.execPath(), "run", "-A", `--v8-flags=${flags}`, self];
  const [cmd, ...args] = cgDir === undefined ? [...deno, ...childArgs] : [
    "valgrind",
    "--tool=callgrind",
    "--separate-threads=yes",
    "--smc-check=all-non-file", // V8 writes code
    `--callgrind-out-file=${cgDir}/cg.%p`,
    ...deno,
    ...childArgs,
  ];
  const out = await new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(
      `${cmd} ${args.join(" ")} failed:\n${text}\n` +
        new TextDecoder().decode(out.stderr).slice(-4000),
    );
  }
  return text;
}

function row(cells: string[], widths: number[]): string {
  return "| " + cells.map((c, i) => c.padEnd(widths[i])).join(" | ") + " |";
}

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => r[i].length))
  );
  return [
    row(head, w),
    "| " + w.map((n) => "-".repeat(n)).join(" | ") + " |",
    ...rows.map((r) => row(r, w)),
  ].join("\n");
}

async function parentCallgrind(
  bursts: number,
  warmup: number,
  v8Extra: string[],
  extra: string[],
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "work_bench_cg_" });
  try {
    const out = await runChild(
      [
        "--child-callgrind",
        `--bursts=${bursts}`,
        `--warmup=${warmup}`,
        ...extra,
      ],
      v8Extra,
      dir,
    );
    const names = [...out.matchAll(/^dumped (\S+)$/gm)].map((m) => m[1]);
    const ir = new Map<string, number>();
    for await (const e of Deno.readDir(dir)) {
      // cg.PID.N-01: dump N, thread 1 (the main thread)
      const m = e.name.match(/^cg\.\d+\.(\d+)-01$/);
      if (!m) continue;
      const text = await Deno.readTextFile(`${dir}/${e.name}`);
      const sum = text.match(/^summary: (\d+)/m);
      const name = names[Number(m[1]) - 1];
      if (sum && name) ir.set(name, Number(sum[1]));
    }
    const packets = bursts * BURST;
    const per = (name: string) => ir.get(name)! / packets;
    console.log(
      `instructions per packet (callgrind, main thread), ${bursts} bursts ` +
        `of ${BURST}; net = minus the harness (copying the offsets)`,
    );
    console.log(table(
      ["variant", "gross", "net"],
      MEASURED.filter((v) => ir.has(v.name)).map((v) => [
        v.name,
        per(v.name).toFixed(1),
        v.base ? (per(v.name) - per(v.base)).toFixed(1) : "",
      ]),
    ));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function parentTime(
  rounds: number,
  bursts: number,
  warmup: number,
  v8Extra: string[],
  extra: string[],
): Promise<void> {
  const out = await runChild(
    [
      "--child-time",
      `--rounds=${rounds}`,
      `--bursts=${bursts}`,
      `--warmup=${warmup}`,
      ...extra,
    ],
    v8Extra,
  );
  const line = out.trim().split("\n").at(-1)!;
  const ns = JSON.parse(line) as Record<string, number[]>;
  console.log(
    `ns per packet, median of ${rounds} rounds of ${bursts} bursts of ` +
      `${BURST}; net: per round, minus the harness of the same round`,
  );
  console.log(table(
    ["variant", "gross", "range", "net"],
    MEASURED.map((v) => {
      const xs = ns[v.name];
      const net = v.base
        ? median(xs.map((x, r) => x - ns[v.base!][r])).toFixed(2)
        : "";
      return [
        v.name,
        median(xs).toFixed(2),
        `${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)}`,
        net,
      ];
    }),
  ));
}

async function printWasm(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "work_bench_wat_" });
  try {
    await Deno.writeTextFile(`${dir}/w.wat`, WAT);
    const out = await new Deno.Command("wat2wasm", {
      args: [`${dir}/w.wat`, "-o", `${dir}/w.wasm`],
    }).output();
    if (!out.success) throw new Error("wat2wasm failed");
    const b = await Deno.readFile(`${dir}/w.wasm`);
    const b64 = btoa(String.fromCharCode(...b));
    console.log(b64);
    console.log(
      b64 === WASM_BASE64
        ? "(the same as WASM_BASE64)"
        : "(differs from WASM_BASE64: paste it there)",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  const opts = parseArgs(Deno.args, {
    string: ["rounds", "bursts", "warmup", "v8", "only"],
    boolean: ["callgrind", "child-callgrind", "child-time", "print-wasm"],
    collect: ["v8"],
  });
  const num = (k: string, d: number) => {
    const v = (opts as Record<string, unknown>)[k];
    return v === undefined ? d : Number(v);
  };
  const v8Extra = (opts.v8 ?? []) as string[];
  const childArgs: string[] = [];
  if (opts.only !== undefined) {
    // these and the harness they subtract; the check still runs them all
    const only = new Set(String(opts.only).split(","));
    const keep = VARIANTS.filter((v) => only.has(v.name));
    for (const v of keep) if (v.base) only.add(v.base);
    if (keep.length === 0) throw new Error(`--only ${opts.only}: no variant`);
    MEASURED.splice(
      0,
      MEASURED.length,
      ...VARIANTS.filter((v) => only.has(v.name)),
    );
    childArgs.push(`--only=${opts.only}`);
  }
  if (opts["print-wasm"]) await printWasm();
  else if (opts["child-callgrind"] || opts["child-time"]) {
    const s = await setup();
    check(s);
    console.log("check: every variant leaves the same frames and counts");
    if (opts["child-callgrind"]) {
      childCallgrind(s, num("bursts", 50_000), num("warmup", 4_000));
    } else {
      childTime(
        s,
        num("rounds", 9),
        num("bursts", 200_000),
        num("warmup", 4_000),
      );
    }
    s.lib.close();
  } else if (opts.callgrind) {
    await parentCallgrind(
      num("bursts", 50_000),
      num("warmup", 4_000),
      v8Extra,
      childArgs,
    );
  } else {
    await parentTime(
      num("rounds", 9),
      num("bursts", 200_000),
      num("warmup", 4_000),
      v8Extra,
      childArgs,
    );
  }
}
