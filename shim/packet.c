/* SPDX-License-Identifier: MIT
 *
 * packet: DPDK's inline checksum functions as plain exported functions (the
 * oracle lib/packet/checksum.ts is tested against), and the offload
 * contract: ol_flags bits, ethdev offload capability bits, packet type
 * masks and the struct rte_mbuf offsets a script needs to request TX
 * checksum offload or read RX metadata, so that TypeScript copies none of
 * them as literals. Nothing here needs an initialised EAL except the
 * timestamp dynamic field functions, which say so.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

/* ---- checksums: DPDK's own inline functions ------------------------------ */

/** rte_raw_cksum: the folded, non-complemented sum of len bytes (host order). */
uint16_t shim_raw_cksum(const void *buf, uint32_t len)
{
	return rte_raw_cksum(buf, len);
}

/** rte_ipv4_cksum: the IPv4 header checksum (the field must be 0). */
uint16_t shim_ipv4_cksum(const void *ip_hdr)
{
	return rte_ipv4_cksum(ip_hdr);
}

/** rte_ipv4_phdr_cksum: the pseudo-header sum an L4 offload expects. */
uint16_t shim_ipv4_phdr_cksum(const void *ip_hdr, uint64_t ol_flags)
{
	return rte_ipv4_phdr_cksum(ip_hdr, ol_flags);
}

/** rte_ipv4_udptcp_cksum: the L4 checksum (its field must be 0). */
uint16_t shim_ipv4_udptcp_cksum(const void *ip_hdr, const void *l4_hdr)
{
	return rte_ipv4_udptcp_cksum(ip_hdr, l4_hdr);
}

/** rte_ipv6_phdr_cksum: the pseudo-header sum an L4 offload expects. */
uint16_t shim_ipv6_phdr_cksum(const void *ip_hdr, uint64_t ol_flags)
{
	return rte_ipv6_phdr_cksum(ip_hdr, ol_flags);
}

/** rte_ipv6_udptcp_cksum: the L4 checksum (its field must be 0). */
uint16_t shim_ipv6_udptcp_cksum(const void *ip_hdr, const void *l4_hdr)
{
	return rte_ipv6_udptcp_cksum(ip_hdr, l4_hdr);
}

/* ---- the offload contract ------------------------------------------------ */

/*
 * Layout facts TypeScript relies on, checked by the compiler: the fields
 * are written as whole little-endian words from TypeScript.
 */
_Static_assert(sizeof(((struct rte_mbuf *)0)->ol_flags) == 8, "ol_flags u64");
_Static_assert(sizeof(((struct rte_mbuf *)0)->packet_type) == 4,
	       "packet_type u32");
_Static_assert(sizeof(((struct rte_mbuf *)0)->hash.rss) == 4, "hash.rss u32");
_Static_assert(sizeof(((struct rte_mbuf *)0)->vlan_tci) == 2, "vlan_tci u16");
_Static_assert(sizeof(((struct rte_mbuf *)0)->vlan_tci_outer) == 2,
	       "vlan_tci_outer u16");
_Static_assert(sizeof(((struct rte_mbuf *)0)->tx_offload) == 8,
	       "tx_offload u64");
_Static_assert(offsetof(struct rte_mbuf, ol_flags) % 8 == 0,
	       "ol_flags 8-aligned");
_Static_assert(offsetof(struct rte_mbuf, tx_offload) % 8 == 0,
	       "tx_offload 8-aligned");
_Static_assert(RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN,
	       "TypeScript reads mbuf fields little-endian");
/* on little endian the bitfields fill tx_offload from bit 0 up, in order */
_Static_assert(RTE_MBUF_L2_LEN_OFS == 0, "l2_len at bit 0");
_Static_assert(RTE_MBUF_L3_LEN_OFS == RTE_MBUF_L2_LEN_OFS + RTE_MBUF_L2_LEN_BITS,
	       "l3_len follows l2_len");
_Static_assert(RTE_MBUF_L4_LEN_OFS == RTE_MBUF_L3_LEN_OFS + RTE_MBUF_L3_LEN_BITS,
	       "l4_len follows l3_len");
_Static_assert(RTE_MBUF_L4_LEN_OFS + RTE_MBUF_L4_LEN_BITS <= 32,
	       "l2/l3/l4_len sit in the low 32 bits");
_Static_assert(RTE_MBUF_F_TX_L4_MASK ==
		       (RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_SCTP_CKSUM |
			RTE_MBUF_F_TX_UDP_CKSUM),
	       "the L4 request is a 2-bit field");
_Static_assert(RTE_MBUF_F_RX_IP_CKSUM_NONE == RTE_MBUF_F_RX_IP_CKSUM_MASK,
	       "IP checksum state is a 2-bit field");
_Static_assert(RTE_MBUF_F_RX_L4_CKSUM_NONE == RTE_MBUF_F_RX_L4_CKSUM_MASK,
	       "L4 checksum state is a 2-bit field");

/*
 * The contract, one X-macro list so names and values cannot drift apart:
 * X(name, value). The entries' order is the order of
 * shim_packet_contract_names(); TypeScript looks values up by name.
 */
#define PACKET_CONTRACT(X)                                                     \
	/* struct rte_mbuf: size and field offsets (bytes) */                 \
	X(mbuf_size, sizeof(struct rte_mbuf))                                  \
	X(off_ol_flags, offsetof(struct rte_mbuf, ol_flags))                   \
	X(off_packet_type, offsetof(struct rte_mbuf, packet_type))             \
	X(off_rss, offsetof(struct rte_mbuf, hash.rss))                        \
	X(off_vlan_tci, offsetof(struct rte_mbuf, vlan_tci))                   \
	X(off_vlan_tci_outer, offsetof(struct rte_mbuf, vlan_tci_outer))       \
	X(off_tx_offload, offsetof(struct rte_mbuf, tx_offload))               \
	X(off_dynfield1, offsetof(struct rte_mbuf, dynfield1))                 \
	/* tx_offload bitfields: bit position and width (probed below) */      \
	X(l2_len_shift, RTE_MBUF_L2_LEN_OFS)                                   \
	X(l2_len_bits, RTE_MBUF_L2_LEN_BITS)                                   \
	X(l3_len_shift, RTE_MBUF_L3_LEN_OFS)                                   \
	X(l3_len_bits, RTE_MBUF_L3_LEN_BITS)                                   \
	X(l4_len_shift, RTE_MBUF_L4_LEN_OFS)                                   \
	X(l4_len_bits, RTE_MBUF_L4_LEN_BITS)                                   \
	/* ol_flags: TX requests */                                            \
	X(tx_ipv4, RTE_MBUF_F_TX_IPV4)                                         \
	X(tx_ipv6, RTE_MBUF_F_TX_IPV6)                                         \
	X(tx_ip_cksum, RTE_MBUF_F_TX_IP_CKSUM)                                 \
	X(tx_tcp_cksum, RTE_MBUF_F_TX_TCP_CKSUM)                               \
	X(tx_udp_cksum, RTE_MBUF_F_TX_UDP_CKSUM)                               \
	X(tx_sctp_cksum, RTE_MBUF_F_TX_SCTP_CKSUM)                             \
	X(tx_l4_mask, RTE_MBUF_F_TX_L4_MASK)                                   \
	X(tx_vlan, RTE_MBUF_F_TX_VLAN)                                         \
	X(tx_tcp_seg, RTE_MBUF_F_TX_TCP_SEG)                                   \
	/* ol_flags: RX information */                                         \
	X(rx_vlan, RTE_MBUF_F_RX_VLAN)                                         \
	X(rx_vlan_stripped, RTE_MBUF_F_RX_VLAN_STRIPPED)                       \
	X(rx_rss_hash, RTE_MBUF_F_RX_RSS_HASH)                                 \
	X(rx_ip_cksum_mask, RTE_MBUF_F_RX_IP_CKSUM_MASK)                       \
	X(rx_ip_cksum_bad, RTE_MBUF_F_RX_IP_CKSUM_BAD)                         \
	X(rx_ip_cksum_good, RTE_MBUF_F_RX_IP_CKSUM_GOOD)                       \
	X(rx_ip_cksum_none, RTE_MBUF_F_RX_IP_CKSUM_NONE)                       \
	X(rx_l4_cksum_mask, RTE_MBUF_F_RX_L4_CKSUM_MASK)                       \
	X(rx_l4_cksum_bad, RTE_MBUF_F_RX_L4_CKSUM_BAD)                         \
	X(rx_l4_cksum_good, RTE_MBUF_F_RX_L4_CKSUM_GOOD)                       \
	X(rx_l4_cksum_none, RTE_MBUF_F_RX_L4_CKSUM_NONE)                       \
	/* ethdev offload capabilities (rte_eth_dev_info tx/rx_offload_capa) */ \
	X(eth_tx_vlan_insert, RTE_ETH_TX_OFFLOAD_VLAN_INSERT)                  \
	X(eth_tx_ipv4_cksum, RTE_ETH_TX_OFFLOAD_IPV4_CKSUM)                    \
	X(eth_tx_udp_cksum, RTE_ETH_TX_OFFLOAD_UDP_CKSUM)                      \
	X(eth_tx_tcp_cksum, RTE_ETH_TX_OFFLOAD_TCP_CKSUM)                      \
	X(eth_rx_vlan_strip, RTE_ETH_RX_OFFLOAD_VLAN_STRIP)                    \
	X(eth_rx_ipv4_cksum, RTE_ETH_RX_OFFLOAD_IPV4_CKSUM)                    \
	X(eth_rx_udp_cksum, RTE_ETH_RX_OFFLOAD_UDP_CKSUM)                      \
	X(eth_rx_tcp_cksum, RTE_ETH_RX_OFFLOAD_TCP_CKSUM)                      \
	X(eth_rx_rss_hash, RTE_ETH_RX_OFFLOAD_RSS_HASH)                        \
	X(eth_rx_timestamp, RTE_ETH_RX_OFFLOAD_TIMESTAMP)                      \
	/* packet_type */                                                      \
	X(ptype_l2_mask, RTE_PTYPE_L2_MASK)                                    \
	X(ptype_l3_mask, RTE_PTYPE_L3_MASK)                                    \
	X(ptype_l4_mask, RTE_PTYPE_L4_MASK)                                    \
	X(ptype_tunnel_mask, RTE_PTYPE_TUNNEL_MASK)                            \
	X(ptype_l2_ether, RTE_PTYPE_L2_ETHER)                                  \
	X(ptype_l2_ether_arp, RTE_PTYPE_L2_ETHER_ARP)                          \
	X(ptype_l2_ether_vlan, RTE_PTYPE_L2_ETHER_VLAN)                        \
	X(ptype_l2_ether_qinq, RTE_PTYPE_L2_ETHER_QINQ)                        \
	X(ptype_l3_ipv4, RTE_PTYPE_L3_IPV4)                                    \
	X(ptype_l3_ipv4_ext, RTE_PTYPE_L3_IPV4_EXT)                            \
	X(ptype_l3_ipv4_ext_unknown, RTE_PTYPE_L3_IPV4_EXT_UNKNOWN)            \
	X(ptype_l3_ipv6, RTE_PTYPE_L3_IPV6)                                    \
	X(ptype_l3_ipv6_ext, RTE_PTYPE_L3_IPV6_EXT)                            \
	X(ptype_l3_ipv6_ext_unknown, RTE_PTYPE_L3_IPV6_EXT_UNKNOWN)            \
	X(ptype_l4_tcp, RTE_PTYPE_L4_TCP)                                      \
	X(ptype_l4_udp, RTE_PTYPE_L4_UDP)                                      \
	X(ptype_l4_frag, RTE_PTYPE_L4_FRAG)                                    \
	X(ptype_l4_icmp, RTE_PTYPE_L4_ICMP)                                    \
	X(ptype_l4_nonfrag, RTE_PTYPE_L4_NONFRAG)

#define CONTRACT_NAME(name, value) #name ","
#define CONTRACT_VALUE(name, value) (uint64_t)(value),

static const uint64_t contract_values[] = { PACKET_CONTRACT(CONTRACT_VALUE) };
/* "a,b,c," with the trailing comma dropped by the reader */
static const char contract_names[] = PACKET_CONTRACT(CONTRACT_NAME);

#define CONTRACT_COUNT (sizeof(contract_values) / sizeof(contract_values[0]))

/** Comma-separated names of the contract entries, in array order. */
const char *shim_packet_contract_names(void)
{
	return contract_names;
}

/*
 * Checks the tx_offload bitfield positions the compiler actually uses
 * against DPDK's declared ones: set each field to all ones in a zeroed
 * mbuf and look at the 64-bit word.
 */
static int probe_tx_offload(void)
{
	struct rte_mbuf m;

	memset(&m, 0, sizeof(m));
	m.l2_len = (1u << RTE_MBUF_L2_LEN_BITS) - 1;
	if (m.tx_offload != (((1ull << RTE_MBUF_L2_LEN_BITS) - 1)
			     << RTE_MBUF_L2_LEN_OFS))
		return -EPROTO;
	m.tx_offload = 0;
	m.l3_len = (1u << RTE_MBUF_L3_LEN_BITS) - 1;
	if (m.tx_offload != (((1ull << RTE_MBUF_L3_LEN_BITS) - 1)
			     << RTE_MBUF_L3_LEN_OFS))
		return -EPROTO;
	m.tx_offload = 0;
	m.l4_len = (1u << RTE_MBUF_L4_LEN_BITS) - 1;
	if (m.tx_offload != (((1ull << RTE_MBUF_L4_LEN_BITS) - 1)
			     << RTE_MBUF_L4_LEN_OFS))
		return -EPROTO;
	return 0;
}

/**
 * Fills out[0 .. count-1] with the contract (see PACKET_CONTRACT and
 * shim_packet_contract_names) and returns count. With out == NULL, only
 * returns count. Returns -EINVAL, writing nothing, when n < count, and
 * -EPROTO when the compiled bitfield layout disagrees with DPDK's.
 */
int shim_packet_contract(uint64_t *out, unsigned n)
{
	int rc;

	if (out == NULL)
		return (int)CONTRACT_COUNT;
	if (n < CONTRACT_COUNT)
		return -EINVAL;
	rc = probe_tx_offload();
	if (rc < 0)
		return rc;
	memcpy(out, contract_values, sizeof(contract_values));
	return (int)CONTRACT_COUNT;
}

/* ---- mbuf fields through C, for checking TypeScript's offsets ------------ */

enum {
	MBUF_F_OL_FLAGS,
	MBUF_F_PACKET_TYPE,
	MBUF_F_RSS,
	MBUF_F_VLAN_TCI,
	MBUF_F_VLAN_TCI_OUTER,
	MBUF_F_L2_LEN,
	MBUF_F_L3_LEN,
	MBUF_F_L4_LEN,
	MBUF_F_TX_OFFLOAD,
	MBUF_F_COUNT,
};

/**
 * Reads, through the C struct, m's ol_flags, packet_type, hash.rss,
 * vlan_tci, vlan_tci_outer, l2_len, l3_len, l4_len and tx_offload into
 * out[0..8]. m may be any sizeof(struct rte_mbuf) bytes (no EAL needed).
 */
void shim_packet_mbuf_read(const void *mbuf, uint64_t *out)
{
	const struct rte_mbuf *m = mbuf;

	out[MBUF_F_OL_FLAGS] = m->ol_flags;
	out[MBUF_F_PACKET_TYPE] = m->packet_type;
	out[MBUF_F_RSS] = m->hash.rss;
	out[MBUF_F_VLAN_TCI] = m->vlan_tci;
	out[MBUF_F_VLAN_TCI_OUTER] = m->vlan_tci_outer;
	out[MBUF_F_L2_LEN] = m->l2_len;
	out[MBUF_F_L3_LEN] = m->l3_len;
	out[MBUF_F_L4_LEN] = m->l4_len;
	out[MBUF_F_TX_OFFLOAD] = m->tx_offload;
}

/**
 * Writes in[0..7] (the order of shim_packet_mbuf_read, tx_offload
 * excepted) into m's fields through the C struct.
 */
void shim_packet_mbuf_write(void *mbuf, const uint64_t *in)
{
	struct rte_mbuf *m = mbuf;

	m->ol_flags = in[MBUF_F_OL_FLAGS];
	m->packet_type = (uint32_t)in[MBUF_F_PACKET_TYPE];
	m->hash.rss = (uint32_t)in[MBUF_F_RSS];
	m->vlan_tci = (uint16_t)in[MBUF_F_VLAN_TCI];
	m->vlan_tci_outer = (uint16_t)in[MBUF_F_VLAN_TCI_OUTER];
	m->l2_len = in[MBUF_F_L2_LEN];
	m->l3_len = in[MBUF_F_L3_LEN];
	m->l4_len = in[MBUF_F_L4_LEN];
}

/* ---- timestamp dynamic field (needs the EAL) ----------------------------- */

/*
 * The dynamic field registry lives in EAL shared memory: before
 * rte_eal_init its list does not exist, so these refuse (-ENODEV) then.
 */
static int eal_ready(void)
{
	return rte_lcore_count() > 0;
}

/**
 * Offset in struct rte_mbuf of the timestamp dynamic field
 * (RTE_MBUF_DYNFIELD_TIMESTAMP_NAME), or -ENOENT when nobody registered
 * it, -ENODEV before rte_eal_init.
 */
int shim_mbuf_timestamp_offset(void)
{
	int off;

	if (!eal_ready())
		return -ENODEV;
	off = rte_mbuf_dynfield_lookup(RTE_MBUF_DYNFIELD_TIMESTAMP_NAME, NULL);
	return off < 0 ? -rte_errno : off;
}

/**
 * Registers the timestamp dynamic field and the RX timestamp dynamic flag
 * (rte_mbuf_dyn_rx_timestamp_register; idempotent), writes the flag's
 * ol_flags bit mask to *rx_flag and returns the field's offset; -errno on
 * failure, -ENODEV before rte_eal_init.
 */
int shim_mbuf_timestamp_register(uint64_t *rx_flag)
{
	int off = -1;

	if (!eal_ready())
		return -ENODEV;
	if (rte_mbuf_dyn_rx_timestamp_register(&off, rx_flag) < 0)
		return -rte_errno;
	return off;
}
