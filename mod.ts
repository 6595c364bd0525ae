/**
 * DPDK from TypeScript: EAL, rings, mempools, mbufs, memzones, ethdev ports
 * and lcore workers, over a small C shim loaded with `Deno.dlopen`.
 *
 * A minimal program (run it as root with hugepages, see the README):
 *
 * @example
 * ```ts
 * import { initEal, Mempool, ptrArray, Ring } from "./mod.ts";
 *
 * using eal = initEal(["-l", "0", "--no-pci", "--file-prefix", "demo"], {
 *   removeFilesOnCleanup: true, // a throwaway group: remove its files too
 * });
 * using ring = Ring.create("demo_ring", 1024);
 * using pool = Mempool.create("demo_pool", 1023, 64);
 * const objs = ptrArray(32);
 * pool.getBulk(objs, 32);
 * ring.enqueueBurst(objs, 32);
 * console.log(eal.processType, ring.count()); // "primary 32"
 * pool.putBulk(objs, ring.dequeueBurst(objs, 32));
 * // leaving the scope frees the pool and ring, then cleans EAL up
 * ```
 *
 * The layers: `shim/` (C) → `ffi/` (the symbol table and loading) →
 * `lib/` (this typed API) → `apps/` (the sample applications).
 *
 * @module
 */

export {
  buildHint,
  dpdkVersion,
  shimCandidates,
  ShimLoadError,
  shimSourceDir,
} from "./ffi/lib.ts";
export { FACT_NAMES, SHIM_ABI } from "./ffi/contract.ts";
export {
  type BigName,
  type ConstantName,
  type FactName,
  layout,
  RTE,
  type RteConstants,
} from "./lib/constants.ts";
export {
  check,
  checkCount,
  DisposedError,
  DpdkError,
  rteErrno,
  strerror,
} from "./lib/errors.ts";
export {
  cleanupEal,
  currentCpu,
  DEFAULT_BASE_VIRTADDR,
  type EalInit,
  ealInitialised,
  type EalOptions,
  initEal,
  LCORE_CLAIMS,
  LcoreClashError,
  lcoreId,
  lcores,
  mainLcore,
  primaryAlive,
  processAlive,
  processStartTime,
  type ProcessType,
  processType,
  removeGroupFiles,
  type RemoveGroupOptions,
  removeRuntimeFiles,
  runtimeDir,
  runtimeRoot,
  socketId,
  splitArgs,
  tscCycles,
  tscHz,
  workerLcores,
} from "./lib/eal.ts";
export { type ClaimHolder, ClaimTable } from "./lib/claims.ts";
export {
  ObjectBurst,
  type PtrArray,
  ptrArray,
  stridePtrs,
  unsafeAddressOf,
  unsafeArrayPointer,
  unsafePointerFrom,
} from "./lib/ptr.ts";
export { Ring, type RingOptions } from "./lib/ring.ts";
export {
  Mempool,
  type MempoolOptions,
  PktmbufPool,
  type PktmbufPoolOptions,
  PoolView,
} from "./lib/mempool.ts";
export {
  type ForwardPath,
  ForwardPaths,
  freeMbufs,
  MbufBurst,
  mbufLayout,
} from "./lib/mbuf.ts";
export { Memzone, type MemzoneOptions, U64Counters } from "./lib/memzone.ts";
export {
  type LinkStatus,
  Port,
  type PortConfig,
  portFromRings,
  type PortInfo,
  type PortStats,
  RxQueue,
  type RxQueueOptions,
  TxBuffer,
  TxQueue,
  TxTable,
} from "./lib/ethdev.ts";
export {
  defineLcore,
  launchLcores,
  type LaunchOptions,
  type LcoreContext,
  type LcoreData,
  LcoreGroup,
  type LcoreMain,
  type LcoreResult,
} from "./lib/lcore.ts";
export * from "./lib/measure/mod.ts";
export {
  type AppOptions,
  describeError,
  type EalOption,
  ealOptions,
  EXIT_FAILED,
  EXIT_OK,
  EXIT_USAGE,
  type ExperimentContext,
  experimentEalDefaults,
  type ExperimentPlan,
  type ExperimentSpec,
  flagName,
  intArg,
  mergeEalArgs,
  parseAppArgs,
  planExperiment,
  type RawArgs,
  runExperiment,
  UsageError,
  wantsHelp,
} from "./lib/experiment.ts";
export {
  attachDevice,
  type AttachedDevice,
  detachDevice,
  type DetachOptions,
  devargsMax,
  deviceAttached,
  type DeviceId,
  devicePorts,
  HotplugError,
  listPorts,
  parseDevargs,
  type PortEntry,
  portStarted,
} from "./lib/hotplug.ts";
export {
  type GroupSnapshot,
  groupSnapshot,
  type MempoolInfo,
  mempools,
  type MemzoneInfo,
  memzones,
  type PortDetails,
  portDetails,
  type PortReport,
  portReport,
  portXstats,
  resetPortCounters,
  type RingInfo,
  rings,
  TELEMETRY_SOCKET,
  TelemetryClient,
  type TelemetryInfo,
  type TelemetryOptions,
  telemetryQuery,
  telemetrySocketPath,
  type Xstat,
} from "./lib/introspect.ts";
export {
  ATTACH_REEXEC_ENV,
  AttachClashError,
  type AttachOptions,
  attachReexecs,
  type AttachReport,
  type Clash,
  describeClash,
  ealPart,
  filePrefixOf,
  findClashes,
  foreignClashes,
  type GroupLayout,
  type GroupRange,
  hasFlag,
  LayoutError,
  type Mapping,
  NoPrimaryError,
  optionValues,
  parseMaps,
  prepareAttach,
  readGroupLayout,
  recoverFailedAttach,
  removeAttachLeftovers,
  selfMaps,
} from "./lib/attach.ts";
export {
  type AttachedSecondary,
  AttachError,
  attachSecondary,
  type AttachSecondaryOptions,
  failureReason,
  type GroupOptions,
  type GroupProcess,
  groupProcesses,
  LCORE_AVOID_ENV,
  lcoresOfEalArgs,
  parseCoreMask,
  parseLcoreList,
  parseLcoreMap,
  pickFreeLcore,
  type PickOptions,
  programArgs,
  SecondaryProcess,
  SecondaryStartError,
  startSecondary,
  type StartSecondaryOptions,
  type UsedLcores,
  usedLcores,
} from "./lib/secondary.ts";
export * from "./lib/packet/mod.ts";
export {
  describeStall,
  ealRuntimeRoot,
  type EndedMember,
  type GroupMember,
  type GroupMembers,
  groupMembers,
  GroupWatch,
  type HealthOptions,
  HealthWatch,
  heldMax,
  type HeldPhase,
  HeldRecord,
  HeldTable,
  poolCacheCount,
  processAgeMs,
  processCommandLine,
  RingProbe,
  type Settled,
  type Stall,
  StallDetector,
  unwritableHugepageMounts,
  userId,
} from "./lib/health.ts";
