/**
 * DPDK from TypeScript: EAL, rings, mempools, mbufs, memzones, ethdev ports
 * and lcore workers, over a small C shim loaded with `Deno.dlopen`.
 *
 * A minimal program (run it as root with hugepages, see the README):
 *
 * @example
 * ```ts
 * import { cleanupEal, initEal, Mempool, ptrArray, Ring } from "./mod.ts";
 *
 * const { processType } = initEal(["-l", "0", "--no-pci", "--file-prefix", "demo"]);
 * const ring = Ring.create("demo_ring", 1024);
 * const pool = Mempool.create("demo_pool", 1023, 64);
 * const objs = ptrArray(32);
 * pool.getBulk(objs, 32);
 * ring.enqueueBurst(objs, 32);
 * console.log(processType, ring.count()); // "primary 32"
 * pool.putBulk(objs, ring.dequeueBurst(objs, 32));
 * cleanupEal();
 * ```
 *
 * The layers: `shim/` (C) → `ffi/` (the symbol table and loading) →
 * `lib/` (this typed API) → `apps/` (the sample applications).
 *
 * @module
 */

export { dpdkVersion, shimCandidates, ShimLoadError } from "./ffi/lib.ts";
export { check, DpdkError, rteErrno, strerror } from "./lib/errors.ts";
export {
  cleanupEal,
  currentCpu,
  DEFAULT_BASE_VIRTADDR,
  type EalInit,
  ealInitialised,
  initEal,
  LCORE_ID_ANY,
  lcoreId,
  lcores,
  mainLcore,
  primaryAlive,
  processAlive,
  processStartTime,
  type ProcessType,
  processType,
  removeRuntimeFiles,
  runtimeDir,
  socketId,
  splitArgs,
  tscCycles,
  tscHz,
  workerLcores,
} from "./lib/eal.ts";
export {
  addressOf,
  pointerFrom,
  type PtrArray,
  ptrArray,
  ptrArrayAddress,
  stridePtrs,
} from "./lib/ptr.ts";
export { Ring, type RingOptions } from "./lib/ring.ts";
export {
  Mempool,
  type MempoolOptions,
  type PktmbufPoolOptions,
  PoolView,
} from "./lib/mempool.ts";
export { freeMbufs, MBUF_LAYOUT, MbufBurst } from "./lib/mbuf.ts";
export { Memzone, U64Counters } from "./lib/memzone.ts";
export {
  type LinkStatus,
  MAX_ETHPORTS,
  Port,
  type PortConfig,
  type PortConfigResult,
  portFromRings,
  type PortInfo,
  type PortStats,
  RSS_IP,
  TxBuffer,
  txByInputPort,
  txTable,
} from "./lib/ethdev.ts";
export {
  launchLcores,
  type LaunchOptions,
  type LcoreContext,
  LcoreGroup,
  type LcoreMain,
  type LcoreResult,
} from "./lib/lcore.ts";
