/**
 * DPDK's build limits, flags and errno values, as the loaded shim reports
 * them (never copied here as literals): `RTE.RTE_MAX_ETHPORTS`,
 * `RTE.RING_F_SP_ENQ`, `RTE.EINVAL`, ... Each is read from the shim on
 * first use, so importing this module does not load the shim.
 *
 * @example
 * ```ts
 * import { RTE } from "./mod.ts";
 * console.log(RTE.RTE_MAX_ETHPORTS, RTE.RTE_MAX_LCORE); // 32 128 (Debian)
 * ```
 *
 * @module
 */

import { fact, factBig } from "../ffi/lib.ts";
import { FACT_NAMES, type FactName } from "../ffi/contract.ts";

export type { FactName };

/** Facts that are 64-bit flag masks: read them as BigInt. */
const BIG = new Set<string>([
  "RTE_ETH_RSS_IP",
  "RTE_ETH_RSS_UDP",
  "RTE_ETH_RSS_TCP",
  "RTE_ETH_RX_OFFLOAD_CHECKSUM",
  "RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE",
]);

/** Names of facts that are constants (not layout fields like `mbuf.port`). */
export type ConstantName<S = FactName> = S extends `${string}.${string}` ? never
  : S;
/** Names of the 64-bit flag masks among them (read as BigInt). */
export type BigName =
  | "RTE_ETH_RSS_IP"
  | "RTE_ETH_RSS_UDP"
  | "RTE_ETH_RSS_TCP"
  | "RTE_ETH_RX_OFFLOAD_CHECKSUM"
  | "RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE";

/** The named constants of {@linkcode RTE}: numbers, and BigInt flag masks. */
export type RteConstants =
  & { readonly [K in Exclude<ConstantName, BigName>]: number }
  & { readonly [K in BigName]: bigint };

function build(): RteConstants {
  const o: Record<string, unknown> = {};
  for (const name of FACT_NAMES) {
    if (name.includes(".")) continue; // layouts: see layout()
    Object.defineProperty(o, name, {
      get: BIG.has(name) ? () => factBig(name) : () => fact(name),
      enumerable: true,
    });
  }
  return Object.freeze(o) as RteConstants;
}

/**
 * DPDK's constants as the shim was built (limits, flags, errno values),
 * read from the shim on first use of each.
 */
export const RTE: RteConstants = build();

/**
 * The shim's numbers for one structure or output array (`"mbuf"`,
 * `"stats"`, `"info"`, `"link"`, `"txb"`, `"txt"`): field name to offset or
 * index, e.g. `layout("mbuf").data_off`. Read once; loads the shim.
 */
export function layout(prefix: string): Readonly<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const name of FACT_NAMES) {
    if (name.startsWith(prefix + ".")) {
      out[name.slice(prefix.length + 1)] = fact(name);
    }
  }
  return Object.freeze(out);
}
