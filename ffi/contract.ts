/**
 * The contract between the shim and TypeScript: every limit, flag, errno
 * value, struct offset and output-array index that both languages need is
 * a named fact in the shim (shim/shim.h, `SHIM_FACT`), read here once at
 * load. TypeScript never copies such a number as a literal: it asks
 * {@linkcode fact} by name. The loader (lib.ts) refuses a shim that lacks
 * any name of {@linkcode FACT_NAMES} or has another interface version.
 *
 * @module
 */

import type { Symbols } from "./symbols.ts";

/** Interface version this symbol table expects (SHIM_ABI in shim/shim.h). */
export const SHIM_ABI = 4;

/** The facts the core library reads; the loader checks each is present. */
export const FACT_NAMES = [
  "SHIM_ABI",
  "RTE_VERSION",
  "RTE_MAX_ETHPORTS",
  "RTE_MAX_LCORE",
  "RTE_MAX_QUEUES_PER_PORT",
  "RTE_ETHDEV_QUEUE_STAT_CNTRS",
  "LCORE_ID_ANY",
  "RTE_MEMZONE_NAMESIZE",
  "RTE_RING_NAMESIZE",
  "RTE_MEMPOOL_NAMESIZE",
  "RTE_RING_SZ_MASK",
  "RTE_MBUF_DEFAULT_BUF_SIZE",
  "RTE_PKTMBUF_HEADROOM",
  "UINT16_MAX",
  "RTE_MEMPOOL_CACHE_MAX_SIZE",
  "SHIM_NAME_LEN",
  "RTE_ETH_NAME_MAX_LEN",
  "RTE_CACHE_LINE_SIZE",
  "RTE_PROC_PRIMARY",
  "RTE_PROC_SECONDARY",
  "RING_F_SP_ENQ",
  "RING_F_SC_DEQ",
  "RING_F_EXACT_SZ",
  "RTE_ETH_MQ_RX_NONE",
  "RTE_ETH_MQ_RX_RSS",
  "RTE_ETH_RSS_IP",
  "RTE_ETH_RSS_UDP",
  "RTE_ETH_RSS_TCP",
  "RTE_ETH_RX_OFFLOAD_CHECKSUM",
  "RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE",
  "EPERM",
  "ENOENT",
  "EAGAIN",
  "ENOMEM",
  "EACCES",
  "EEXIST",
  "ENODEV",
  "EINVAL",
  "ENOSPC",
  "ENOTSUP",
  "ENOBUFS",
  "EALREADY",
  "EBADF",
  "EBUSY",
  "ERANGE",
  "mbuf.size",
  "mbuf.buf_addr",
  "mbuf.data_off",
  "mbuf.port",
  "mbuf.pkt_len",
  "mbuf.data_len",
  "mbuf.buf_len",
  "mbuf.nb_segs",
  "txb.sent",
  "txb.dropped",
  "txt.unroutable",
  "info.max_rx_queues",
  "info.max_tx_queues",
  "info.flow_type_rss_offloads",
  "info.rx_offload_capa",
  "info.tx_offload_capa",
  "info.socket_plus_1",
  "info.nb_rx_queues",
  "info.nb_tx_queues",
  "info.max_mtu",
  "info.len",
  "stats.ipackets",
  "stats.opackets",
  "stats.ibytes",
  "stats.obytes",
  "stats.imissed",
  "stats.ierrors",
  "stats.oerrors",
  "stats.rx_nombuf",
  "stats.len",
  "link.speed",
  "link.up",
  "link.duplex",
  "link.len",
] as const;

/** A fact the core library reads. */
export type FactName = (typeof FACT_NAMES)[number];

/** Reads every fact of a loaded shim: name to value. */
export function readContract(s: Symbols): Map<string, bigint> {
  const facts = new Map<string, bigint>();
  const n = s.shim_contract_count();
  for (let i = 0; i < n; i++) {
    const p = s.shim_contract_name(i);
    if (p === null) break;
    facts.set(
      Deno.UnsafePointerView.getCString(p),
      BigInt(s.shim_contract_value(i)),
    );
  }
  return facts;
}

/**
 * What is wrong with a shim's contract for this TypeScript, or undefined
 * when it matches: another interface version, or facts missing.
 */
export function contractMismatch(
  abi: number,
  facts: Map<string, bigint>,
  required: readonly string[] = FACT_NAMES,
): string | undefined {
  if (abi !== SHIM_ABI) {
    return `the shim has interface version ${abi}, this TypeScript expects ` +
      `${SHIM_ABI}`;
  }
  const missing = required.filter((n) => !facts.has(n));
  if (missing.length > 0) {
    return `the shim lacks ${missing.length} fact(s) this TypeScript ` +
      `needs: ${missing.slice(0, 5).join(", ")}` +
      (missing.length > 5 ? ", ..." : "");
  }
  return undefined;
}
