/* SPDX-License-Identifier: BSD-3-Clause
 *
 * dpdk_shim core: plain exported functions over DPDK's static inline APIs,
 * a few batch helpers that save FFI crossings, and the contract that
 * TypeScript reads at load (shim.h). Everything here is callable from
 * Deno.dlopen. Application policy does not belong here: it lives in
 * TypeScript (apps/). Hot-path functions take only integers and pointers.
 *
 * Boundary rule: TypeScript checks every count and index it passes (one
 * compare per burst); what the shim reads from shared memory itself (an
 * mbuf's port, a table slot) it bounds here, and its own failures return
 * -errno.
 */
#define _GNU_SOURCE
#define ALLOW_EXPERIMENTAL_API /* rte_eth_dev_conf_get */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memzone.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_thread.h>
#include <rte_version.h>

#include "shim.h"

/* ---- TX buffers and routing tables (declared first: the contract names
 * their offsets) ------------------------------------------------------ */

#define SHIM_TXB_MAGIC 0x54584246u /* "TXBF" */
#define SHIM_TXT_MAGIC 0x54585442u /* "TXTB" */

/**
 * A TX buffer with its counters in front, which TypeScript reads through a
 * view: packets sent and dropped. `buf` must stay last (flexible array).
 */
struct shim_txb {
	uint64_t sent;
	uint64_t dropped;
	uint32_t magic;
	uint32_t pad;
	struct rte_eth_dev_tx_buffer buf;
};

/**
 * Where a packet goes by the port it arrived on (shim_tx_table_burst):
 * TX buffer, port and queue per input port. `unroutable` counts packets
 * whose input port had no route (freed).
 */
struct shim_txt {
	uint64_t unroutable;
	uint32_t magic;
	uint32_t pad;
	struct shim_txb *txb[RTE_MAX_ETHPORTS];
	uint16_t port[RTE_MAX_ETHPORTS];
	uint16_t queue[RTE_MAX_ETHPORTS];
};

_Static_assert(offsetof(struct shim_txb, sent) == 0, "txb.sent first");
_Static_assert(offsetof(struct shim_txb, dropped) == 8, "txb.dropped");
_Static_assert(offsetof(struct shim_txt, unroutable) == 0, "txt counter");

/* ---- the contract ------------------------------------------------------ */

/* Output arrays filled by this file: an index per field. */
enum { INFO_MAX_RXQ, INFO_MAX_TXQ, INFO_RSS, INFO_RX_CAPA, INFO_TX_CAPA,
       INFO_SOCKET, INFO_NB_RXQ, INFO_NB_TXQ, INFO_MAX_MTU, INFO_LEN };
enum { STAT_IPACKETS, STAT_OPACKETS, STAT_IBYTES, STAT_OBYTES, STAT_IMISSED,
       STAT_IERRORS, STAT_OERRORS, STAT_RX_NOMBUF, STAT_LEN };
enum { LINK_SPEED, LINK_UP, LINK_DUPLEX, LINK_LEN };
#define SHIM_NAME_LEN 64 /* driver and device name buffers */

static const struct shim_fact core_facts[] = {
	SHIM_FACT("SHIM_ABI", SHIM_ABI),
	SHIM_FACT("RTE_VERSION", RTE_VERSION),
	/* limits */
	SHIM_FACT("RTE_MAX_ETHPORTS", RTE_MAX_ETHPORTS),
	SHIM_FACT("RTE_MAX_LCORE", RTE_MAX_LCORE),
	SHIM_FACT("RTE_MAX_QUEUES_PER_PORT", RTE_MAX_QUEUES_PER_PORT),
	SHIM_FACT("RTE_ETHDEV_QUEUE_STAT_CNTRS", RTE_ETHDEV_QUEUE_STAT_CNTRS),
	SHIM_FACT("LCORE_ID_ANY", LCORE_ID_ANY),
	SHIM_FACT("RTE_MEMZONE_NAMESIZE", RTE_MEMZONE_NAMESIZE),
	SHIM_FACT("RTE_RING_NAMESIZE", RTE_RING_NAMESIZE),
	SHIM_FACT("RTE_MEMPOOL_NAMESIZE", RTE_MEMPOOL_NAMESIZE),
	SHIM_FACT("RTE_RING_SZ_MASK", RTE_RING_SZ_MASK),
	SHIM_FACT("RTE_MBUF_DEFAULT_BUF_SIZE", RTE_MBUF_DEFAULT_BUF_SIZE),
	SHIM_FACT("RTE_PKTMBUF_HEADROOM", RTE_PKTMBUF_HEADROOM),
	SHIM_FACT("UINT16_MAX", UINT16_MAX),
	SHIM_FACT("RTE_MEMPOOL_CACHE_MAX_SIZE", RTE_MEMPOOL_CACHE_MAX_SIZE),
	SHIM_FACT("SHIM_NAME_LEN", SHIM_NAME_LEN),
	SHIM_FACT("RTE_ETH_NAME_MAX_LEN", RTE_ETH_NAME_MAX_LEN),
	SHIM_FACT("RTE_CACHE_LINE_SIZE", RTE_CACHE_LINE_SIZE),
	/* process types */
	SHIM_FACT("RTE_PROC_PRIMARY", RTE_PROC_PRIMARY),
	SHIM_FACT("RTE_PROC_SECONDARY", RTE_PROC_SECONDARY),
	/* ring flags */
	SHIM_FACT("RING_F_SP_ENQ", RING_F_SP_ENQ),
	SHIM_FACT("RING_F_SC_DEQ", RING_F_SC_DEQ),
	SHIM_FACT("RING_F_EXACT_SZ", RING_F_EXACT_SZ),
	/* ethdev flags */
	SHIM_FACT("RTE_ETH_MQ_RX_NONE", RTE_ETH_MQ_RX_NONE),
	SHIM_FACT("RTE_ETH_MQ_RX_RSS", RTE_ETH_MQ_RX_RSS),
	SHIM_FACT("RTE_ETH_RSS_IP", RTE_ETH_RSS_IP),
	SHIM_FACT("RTE_ETH_RSS_UDP", RTE_ETH_RSS_UDP),
	SHIM_FACT("RTE_ETH_RSS_TCP", RTE_ETH_RSS_TCP),
	SHIM_FACT("RTE_ETH_RX_OFFLOAD_CHECKSUM", RTE_ETH_RX_OFFLOAD_CHECKSUM),
	SHIM_FACT("RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE",
		  RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE),
	/* errno values the TypeScript side names */
	SHIM_FACT("EPERM", EPERM), SHIM_FACT("ENOENT", ENOENT),
	SHIM_FACT("EAGAIN", EAGAIN), SHIM_FACT("ENOMEM", ENOMEM),
	SHIM_FACT("EACCES", EACCES), SHIM_FACT("EEXIST", EEXIST),
	SHIM_FACT("ENODEV", ENODEV), SHIM_FACT("EINVAL", EINVAL),
	SHIM_FACT("ENOSPC", ENOSPC), SHIM_FACT("ENOTSUP", ENOTSUP),
	SHIM_FACT("ENOBUFS", ENOBUFS), SHIM_FACT("EALREADY", EALREADY),
	SHIM_FACT("EBADF", EBADF), SHIM_FACT("EBUSY", EBUSY),
	SHIM_FACT("ERANGE", ERANGE),
	/* struct rte_mbuf */
	SHIM_FACT("mbuf.size", sizeof(struct rte_mbuf)),
	SHIM_FACT("mbuf.buf_addr", offsetof(struct rte_mbuf, buf_addr)),
	SHIM_FACT("mbuf.data_off", offsetof(struct rte_mbuf, data_off)),
	SHIM_FACT("mbuf.port", offsetof(struct rte_mbuf, port)),
	SHIM_FACT("mbuf.pkt_len", offsetof(struct rte_mbuf, pkt_len)),
	SHIM_FACT("mbuf.data_len", offsetof(struct rte_mbuf, data_len)),
	SHIM_FACT("mbuf.buf_len", offsetof(struct rte_mbuf, buf_len)),
	SHIM_FACT("mbuf.nb_segs", offsetof(struct rte_mbuf, nb_segs)),
	/* the shim's own structures */
	SHIM_FACT("txb.sent", offsetof(struct shim_txb, sent)),
	SHIM_FACT("txb.dropped", offsetof(struct shim_txb, dropped)),
	SHIM_FACT("txt.unroutable", offsetof(struct shim_txt, unroutable)),
	/* output arrays: index of each field, and length */
	SHIM_FACT("info.max_rx_queues", INFO_MAX_RXQ),
	SHIM_FACT("info.max_tx_queues", INFO_MAX_TXQ),
	SHIM_FACT("info.flow_type_rss_offloads", INFO_RSS),
	SHIM_FACT("info.rx_offload_capa", INFO_RX_CAPA),
	SHIM_FACT("info.tx_offload_capa", INFO_TX_CAPA),
	SHIM_FACT("info.socket_plus_1", INFO_SOCKET),
	SHIM_FACT("info.nb_rx_queues", INFO_NB_RXQ),
	SHIM_FACT("info.nb_tx_queues", INFO_NB_TXQ),
	SHIM_FACT("info.max_mtu", INFO_MAX_MTU),
	SHIM_FACT("info.len", INFO_LEN),
	SHIM_FACT("stats.ipackets", STAT_IPACKETS),
	SHIM_FACT("stats.opackets", STAT_OPACKETS),
	SHIM_FACT("stats.ibytes", STAT_IBYTES),
	SHIM_FACT("stats.obytes", STAT_OBYTES),
	SHIM_FACT("stats.imissed", STAT_IMISSED),
	SHIM_FACT("stats.ierrors", STAT_IERRORS),
	SHIM_FACT("stats.oerrors", STAT_OERRORS),
	SHIM_FACT("stats.rx_nombuf", STAT_RX_NOMBUF),
	SHIM_FACT("stats.len", STAT_LEN),
	SHIM_FACT("link.speed", LINK_SPEED),
	SHIM_FACT("link.up", LINK_UP),
	SHIM_FACT("link.duplex", LINK_DUPLEX),
	SHIM_FACT("link.len", LINK_LEN),
};
SHIM_REGISTER_FACTS(core_facts);

extern const struct shim_facts __start_shim_facts[];
extern const struct shim_facts __stop_shim_facts[];

/** Number of facts in the contract (every registered table). */
unsigned shim_contract_count(void)
{
	unsigned n = 0;

	for (const struct shim_facts *t = __start_shim_facts;
	     t < __stop_shim_facts; t++)
		n += t->count;
	return n;
}

static const struct shim_fact *fact_at(unsigned i)
{
	for (const struct shim_facts *t = __start_shim_facts;
	     t < __stop_shim_facts; t++) {
		if (i < t->count)
			return &t->facts[i];
		i -= t->count;
	}
	return NULL;
}

/** Name of fact `i`, NULL past the end. */
const char *shim_contract_name(unsigned i)
{
	const struct shim_fact *f = fact_at(i);

	return f == NULL ? NULL : f->name;
}

/** Value of fact `i`, 0 past the end. */
uint64_t shim_contract_value(unsigned i)
{
	const struct shim_fact *f = fact_at(i);

	return f == NULL ? 0 : f->value;
}

/** Version of this shim's exported interface (SHIM_ABI). */
uint32_t shim_abi(void) { return SHIM_ABI; }

/** The DPDK headers' version string, e.g. "DPDK 22.11.11". */
const char *shim_build_version_string(void)
{
	static char buf[64];
	if (buf[0] == '\0')
		snprintf(buf, sizeof(buf), "DPDK %d.%d.%d", RTE_VER_YEAR,
			 RTE_VER_MONTH, RTE_VER_MINOR);
	return buf;
}

/* ---- errors and lcores -------------------------------------------------- */

/** The calling thread's rte_errno. */
int shim_errno(void) { return rte_errno; }

/** Sets the calling thread's rte_errno (0 before a call, to tell a stale one). */
void shim_set_errno(int e) { rte_errno = e; }

unsigned shim_lcore_id(void) { return rte_lcore_id(); }

/** CPU the calling thread runs on now. */
int shim_current_cpu(void) { return sched_getcpu(); }

/**
 * The TSC (rte_get_tsc_cycles) as a double, so TypeScript gets it from a
 * fast call without a BigInt; exact below 2^53 cycles (about a month of
 * uptime at 3 GHz), and differences stay accurate to a few cycles beyond.
 */
double shim_tsc_cycles(void) { return (double)rte_get_tsc_cycles(); }

/**
 * Make the calling (non-EAL) thread act as lcore `lcore_id`: set the
 * thread-local lcore ID that rte_lcore_id() reads, and pin the thread to
 * that lcore's CPU set. Multi-process safe, unlike rte_thread_register().
 * Returns 0 or a negative errno.
 */
int shim_lcore_bind(unsigned lcore_id)
{
	rte_cpuset_t set;

	if (lcore_id >= RTE_MAX_LCORE || !rte_lcore_is_enabled(lcore_id))
		return -EINVAL;
	set = rte_lcore_cpuset(lcore_id);
	if (rte_thread_set_affinity(&set) != 0)
		return -EPERM;
	RTE_PER_LCORE(_lcore_id) = lcore_id;
	return 0;
}

/** Let the calling thread stop acting as an lcore (rte_lcore_id() == ANY). */
void shim_lcore_unbind(void) { RTE_PER_LCORE(_lcore_id) = LCORE_ID_ANY; }

/*
 * The CPUs the process could run on before EAL pinned its main thread:
 * the affinity of the thread that loaded the shim (TypeScript loads it on
 * the main thread before rte_eal_init).
 */
static rte_cpuset_t process_cpus;

__attribute__((constructor)) static void save_process_cpus(void)
{
	if (sched_getaffinity(0, sizeof(process_cpus), &process_cpus) != 0)
		CPU_ZERO(&process_cpus);
}

/**
 * Moves the calling thread off the CPUs of the lcores `busy[0 .. n-1]`:
 * its affinity becomes the CPUs the process had before EAL pinned it,
 * minus those. When that leaves no CPU (every CPU polls), the thread keeps
 * the CPU set of `fallback` (an lcore, e.g. the main one; EAL places its
 * control threads the same way). Used when the main thread lends its
 * lcore to a busy worker, so that its event loop, timers and what Deno
 * starts from it (threads inherit the affinity) do not preempt the poller.
 * Returns the number of CPUs the thread may now use, or a negative errno.
 */
int shim_thread_avoid_lcores(const uint32_t *busy, unsigned n,
			     uint32_t fallback)
{
	rte_cpuset_t set = process_cpus;

	for (unsigned i = 0; i < n; i++) {
		rte_cpuset_t l;

		if (busy[i] >= RTE_MAX_LCORE || !rte_lcore_is_enabled(busy[i]))
			return -EINVAL;
		l = rte_lcore_cpuset(busy[i]);
		for (unsigned c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &l))
				CPU_CLR(c, &set);
	}
	if (CPU_COUNT(&set) == 0) {
		if (fallback >= RTE_MAX_LCORE || !rte_lcore_is_enabled(fallback))
			return -EINVAL;
		set = rte_lcore_cpuset(fallback);
	}
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0)
		return -EPERM;
	return CPU_COUNT(&set);
}

/**
 * The calling thread's CPU set as a bit mask of the first 64 CPUs (for
 * tests and reports), or 0 when it cannot be read.
 */
uint64_t shim_thread_cpus(void)
{
	rte_cpuset_t set;
	uint64_t mask = 0;

	if (pthread_getaffinity_np(pthread_self(), sizeof(set), &set) != 0)
		return 0;
	for (unsigned c = 0; c < 64 && c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			mask |= 1ull << c;
	return mask;
}

/* ---- rings -------------------------------------------------------------- */

/* Offset of each object from `base` (static: inlined where a burst needs it, see mbuf_locate). */
static inline void ptr_offsets(void **objs, unsigned n, uintptr_t base,
			       uint32_t *off)
{
	for (unsigned i = 0; i < n; i++)
		off[i] = (uint32_t)((uintptr_t)objs[i] - base);
}

unsigned shim_ring_enqueue_burst(struct rte_ring *r, void **objs, unsigned n)
{
	return rte_ring_enqueue_burst(r, objs, n, NULL);
}

unsigned shim_ring_dequeue_burst(struct rte_ring *r, void **objs, unsigned n)
{
	return rte_ring_dequeue_burst(r, objs, n, NULL);
}

unsigned shim_ring_enqueue_bulk(struct rte_ring *r, void **objs, unsigned n)
{
	return rte_ring_enqueue_bulk(r, objs, n, NULL);
}

/**
 * Hot-path helper for ObjectBurst.dequeue: rte_ring_dequeue_burst, then
 * each object's offset from `base` (a pool's span start), in one FFI
 * crossing. Returns the number dequeued.
 */
unsigned shim_ring_dequeue_locate(struct rte_ring *r, void **objs, unsigned n,
				  uintptr_t base, uint32_t *off)
{
	unsigned nb = rte_ring_dequeue_burst(r, objs, n, NULL);

	ptr_offsets(objs, nb, base, off);
	return nb;
}

unsigned shim_ring_count(const struct rte_ring *r) { return rte_ring_count(r); }

unsigned shim_ring_free_count(const struct rte_ring *r)
{
	return rte_ring_free_count(r);
}

unsigned shim_ring_capacity(const struct rte_ring *r)
{
	return rte_ring_get_capacity(r);
}

/* ---- mempools and mbufs ------------------------------------------------- */

int shim_mempool_get_bulk(struct rte_mempool *mp, void **objs, unsigned n)
{
	return rte_mempool_get_bulk(mp, objs, n);
}

/**
 * Hot-path helper for ObjectBurst.get: rte_mempool_get_bulk (all or
 * none), then each object's offset from `base`, in one FFI crossing.
 * Returns 0, or a negative errno when the pool has too few.
 */
int shim_mempool_get_locate(struct rte_mempool *mp, void **objs, unsigned n,
			    uintptr_t base, uint32_t *off)
{
	int ret = rte_mempool_get_bulk(mp, objs, n);

	if (ret == 0)
		ptr_offsets(objs, n, base, off);
	return ret;
}

void shim_mempool_put_bulk(struct rte_mempool *mp, void **objs, unsigned n)
{
	rte_mempool_put_bulk(mp, objs, n);
}

unsigned shim_mempool_size(const struct rte_mempool *mp) { return mp->size; }

unsigned shim_mempool_elt_size(const struct rte_mempool *mp)
{
	return mp->elt_size;
}

/**
 * Data room of a pktmbuf pool's mbufs, or -EINVAL when `mp` is not a
 * pktmbuf pool (its private area is too small to hold the pktmbuf header).
 */
int shim_pktmbuf_data_room(struct rte_mempool *mp)
{
	if (mp->private_data_size < sizeof(struct rte_pktmbuf_pool_private) ||
	    mp->elt_size < sizeof(struct rte_mbuf))
		return -EINVAL;
	return rte_pktmbuf_data_room_size(mp);
}

static void span_cb(struct rte_mempool *mp, void *opaque,
		    struct rte_mempool_memhdr *memhdr, unsigned mem_idx)
{
	uint64_t *span = opaque;
	uint64_t lo = (uintptr_t)memhdr->addr, hi = lo + memhdr->len;

	(void)mp;
	(void)mem_idx;
	if (span[0] == 0 || lo < span[0])
		span[0] = lo;
	if (hi > span[1])
		span[1] = hi;
}

/** Lowest and highest address of a pool's object memory: span[0], span[1]. */
void shim_mempool_span(struct rte_mempool *mp, uint64_t *span)
{
	span[0] = span[1] = 0;
	rte_mempool_mem_iter(mp, span_cb, span);
}

void shim_pktmbuf_free_bulk(struct rte_mbuf **m, unsigned n)
{
	rte_pktmbuf_free_bulk(m, n);
}

/** Frees m[from] .. m[to - 1] (what a partial send left, say). */
void shim_pktmbuf_free_range(struct rte_mbuf **m, unsigned from, unsigned to)
{
	if (to > from)
		rte_pktmbuf_free_bulk(&m[from], to - from);
}

/**
 * Batch helper for zero-copy access: for each object pointer, its offset
 * from `base` (a pool's span start). Lets TypeScript index one view of the
 * pool's memory without reading 64-bit pointers.
 */
void shim_ptr_offsets(void **objs, unsigned n, uintptr_t base, uint32_t *off)
{
	ptr_offsets(objs, n, base, off);
}

/** Reverse of shim_ptr_offsets: base + off[i] into objs[i]. */
void shim_offsets_to_ptrs(const uint32_t *off, unsigned n, uintptr_t base,
			  void **objs)
{
	for (unsigned i = 0; i < n; i++)
		objs[i] = (void *)(base + off[i]);
}

/**
 * Batch helper: copies every `stride`-th pointer of src[0 .. n-1], starting
 * at src[first], into dst[0 ..]; returns how many were copied (at most
 * `room`). Splits a burst round-robin over `stride` consumers without
 * TypeScript touching each 64-bit pointer.
 */
unsigned shim_ptr_stride(void *const *src, unsigned n, unsigned first,
			 unsigned stride, void **dst, unsigned room)
{
	unsigned k = 0;

	if (stride == 0)
		return 0;
	for (unsigned i = first; i < n && k < room; i += stride)
		dst[k++] = src[i];
	return k;
}

/*
 * Offset of each mbuf's packet data from `base`, and its data length. Static
 * (not the exported shim_mbuf_data): an exported function of a shared
 * library is interposable, so a call to it from here would go through the
 * PLT on every burst instead of being inlined.
 */
static inline void mbuf_locate(struct rte_mbuf **m, unsigned n, uintptr_t base,
			       uint32_t *off, uint16_t *len)
{
	for (unsigned i = 0; i < n; i++) {
		off[i] = (uint32_t)((uintptr_t)rte_pktmbuf_mtod(m[i], char *) - base);
		len[i] = m[i]->data_len;
	}
}

/**
 * Batch helper: for each mbuf, the offset of its packet data from `base`
 * and its data length.
 */
void shim_mbuf_data(struct rte_mbuf **m, unsigned n, uintptr_t base,
		    uint32_t *off, uint16_t *len)
{
	mbuf_locate(m, n, base, off, len);
}

/**
 * Hot-path helper for MbufBurst.receive: rte_eth_rx_burst, then what
 * shim_mbuf_data gives for the received mbufs, in one FFI crossing.
 * Returns the number of packets received.
 */
uint16_t shim_eth_rx_locate(uint16_t port, uint16_t queue, struct rte_mbuf **m,
			    uint16_t n, uintptr_t base, uint32_t *off,
			    uint16_t *len)
{
	uint16_t nb = rte_eth_rx_burst(port, queue, m, n);

	mbuf_locate(m, nb, base, off, len);
	return nb;
}

/**
 * Hot-path helper for MbufBurst.sendReceive: transmits the first `ntx`
 * mbufs of `tx_m` on tx_port/tx_queue (freeing what the queue did not
 * take), then receives up to `nrx` into `m` from port/queue and locates
 * them, in one FFI crossing: a loop that works on each burst and sends it
 * on crosses once per burst instead of twice. `tx_m` and `m` may be the
 * same array (the send completes before the receive). Returns
 * rx | sent << 16.
 */
uint32_t shim_eth_tx_rx_locate(uint16_t tx_port, uint16_t tx_queue,
			       struct rte_mbuf **tx_m, uint16_t ntx,
			       uint16_t port, uint16_t queue,
			       struct rte_mbuf **m, uint16_t nrx,
			       uintptr_t base, uint32_t *off, uint16_t *len)
{
	uint16_t sent = 0, nb;

	if (ntx > 0) {
		sent = rte_eth_tx_burst(tx_port, tx_queue, tx_m, ntx);
		if (sent < ntx)
			rte_pktmbuf_free_bulk(&tx_m[sent], ntx - sent);
	}
	nb = rte_eth_rx_burst(port, queue, m, nrx);
	mbuf_locate(m, nb, base, off, len);
	return (uint32_t)nb | (uint32_t)sent << 16;
}

/**
 * Hot-path helper for MbufBurst.alloc: rte_pktmbuf_alloc_bulk (all or
 * none), then what shim_mbuf_data gives for the new mbufs, in one FFI
 * crossing. Returns 0, or a negative errno when the pool has too few.
 */
int shim_pktmbuf_alloc_locate(struct rte_mempool *mp, struct rte_mbuf **m,
			      unsigned n, uintptr_t base, uint32_t *off,
			      uint16_t *len)
{
	int ret = rte_pktmbuf_alloc_bulk(mp, m, n);

	if (ret == 0)
		mbuf_locate(m, n, base, off, len);
	return ret;
}

/**
 * Set data and packet length of single-segment mbufs (for generators).
 * Every length is checked against its mbuf's room first (buf_len -
 * data_off); returns 0, or -ERANGE (changing nothing) when one is larger.
 */
int shim_mbuf_set_len(struct rte_mbuf **m, unsigned n, const uint16_t *len)
{
	for (unsigned i = 0; i < n; i++) {
		if (len[i] > m[i]->buf_len - m[i]->data_off)
			return -ERANGE;
	}
	for (unsigned i = 0; i < n; i++) {
		m[i]->data_len = len[i];
		m[i]->pkt_len = len[i];
	}
	return 0;
}

/* ---- memzones ----------------------------------------------------------- */

void *shim_memzone_addr(const struct rte_memzone *mz) { return mz->addr; }
uint64_t shim_memzone_len(const struct rte_memzone *mz) { return mz->len; }

/**
 * Atomic compare-and-swap of a 32-bit word in shared memory (sequentially
 * consistent, safe across processes): if *p == expected, *p = desired.
 * Returns the value *p held before; the swap happened iff it equals
 * `expected`. For claims in memzones (JS Atomics need a SharedArrayBuffer).
 */
uint32_t shim_atomic_cas_u32(uint32_t *p, uint32_t expected, uint32_t desired)
{
	__atomic_compare_exchange_n(p, &expected, desired, 0, __ATOMIC_SEQ_CST,
				    __ATOMIC_SEQ_CST);
	return expected;
}

/* ---- ethdev: bursts ----------------------------------------------------- */

uint16_t shim_eth_rx_burst(uint16_t port, uint16_t queue, struct rte_mbuf **m,
			   uint16_t n)
{
	return rte_eth_rx_burst(port, queue, m, n);
}

uint16_t shim_eth_tx_burst(uint16_t port, uint16_t queue, struct rte_mbuf **m,
			   uint16_t n)
{
	return rte_eth_tx_burst(port, queue, m, n);
}

/** Batch helper: transmit a burst and free what the queue did not take. */
uint16_t shim_eth_tx_burst_free(uint16_t port, uint16_t queue,
				struct rte_mbuf **m, uint16_t n)
{
	uint16_t sent = rte_eth_tx_burst(port, queue, m, n);

	if (sent < n)
		rte_pktmbuf_free_bulk(&m[sent], n - sent);
	return sent;
}

/**
 * One forwarding burst, packets untouched: receive up to n mbufs from
 * port/queue, transmit them on dst_port/dst_queue and free those the TX
 * queue did not take. Returns rx | tx << 16. (MbufBurst.forward)
 */
uint32_t shim_eth_forward_burst(uint16_t port, uint16_t queue,
				uint16_t dst_port, uint16_t dst_queue,
				struct rte_mbuf **m, uint16_t n)
{
	uint16_t rx = rte_eth_rx_burst(port, queue, m, n);
	uint16_t tx;

	if (rx == 0)
		return 0;
	tx = rte_eth_tx_burst(dst_port, dst_queue, m, rx);
	if (tx < rx)
		rte_pktmbuf_free_bulk(&m[tx], rx - tx);
	return (uint32_t)rx | (uint32_t)tx << 16;
}

/**
 * Hot-path helper for MbufBurst.forwardPaths: `rounds` passes over `n`
 * forwarding paths, packets untouched. Path i receives up to `burst` mbufs
 * from port/queue paths[4i], paths[4i+1], transmits them on port/queue
 * paths[4i+2], paths[4i+3] and frees what the TX queue refused; its
 * received and sent packets are added to rx[i] and tx[i] (doubles: exact
 * to 2^53, and TypeScript reads them without BigInt). The loop of a
 * forwarder that never looks at its packets, one FFI crossing for
 * rounds * n bursts. Returns the packets received.
 */
double shim_eth_forward_paths(const uint16_t *paths, unsigned n,
			      struct rte_mbuf **m, uint16_t burst,
			      unsigned rounds, double *rx, double *tx)
{
	uint64_t total = 0;

	for (unsigned r = 0; r < rounds; r++) {
		for (unsigned i = 0; i < n; i++) {
			const uint16_t *p = &paths[4 * i];
			uint16_t nb = rte_eth_rx_burst(p[0], p[1], m, burst);
			uint16_t sent;

			if (nb == 0)
				continue;
			sent = rte_eth_tx_burst(p[2], p[3], m, nb);
			if (sent < nb)
				rte_pktmbuf_free_bulk(&m[sent], nb - sent);
			rx[i] += nb;
			tx[i] += sent;
			total += nb;
		}
	}
	return (double)total;
}

/* ---- TX buffers --------------------------------------------------------- */

/*
 * TX buffers and tables this process made, so that a worker thread handed
 * one by address gets it only if it is one (shim_tx_buffer_check).
 */
#define SHIM_MAX_OWNED 1024
static void *owned[SHIM_MAX_OWNED];
static pthread_mutex_t owned_lock = PTHREAD_MUTEX_INITIALIZER;

static int own(void *p)
{
	int ret = -ENOSPC;

	pthread_mutex_lock(&owned_lock);
	for (unsigned i = 0; i < SHIM_MAX_OWNED; i++) {
		if (owned[i] == NULL) {
			owned[i] = p;
			ret = 0;
			break;
		}
	}
	pthread_mutex_unlock(&owned_lock);
	return ret;
}

static int disown(void *p)
{
	int ret = -ENOENT;

	pthread_mutex_lock(&owned_lock);
	for (unsigned i = 0; i < SHIM_MAX_OWNED; i++) {
		if (owned[i] == p && p != NULL) {
			owned[i] = NULL;
			ret = 0;
			break;
		}
	}
	pthread_mutex_unlock(&owned_lock);
	return ret;
}

/* Whether `p` was made here and holds `magic` at byte `at`. */
static int is_owned(const void *p, size_t at, uint32_t magic)
{
	int ret = 0;

	pthread_mutex_lock(&owned_lock);
	for (unsigned i = 0; i < SHIM_MAX_OWNED && p != NULL; i++) {
		if (owned[i] == p) {
			ret = *(const uint32_t *)((const char *)p + at) == magic;
			break;
		}
	}
	pthread_mutex_unlock(&owned_lock);
	return ret;
}


/** A TX buffer of `size` (1..UINT16_MAX) packets, or NULL (rte_errno set). */
struct shim_txb *shim_tx_buffer_create(uint16_t size, int socket)
{
	struct shim_txb *t;

	if (size == 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	t = rte_zmalloc_socket("shim_txb",
		offsetof(struct shim_txb, buf) + RTE_ETH_TX_BUFFER_SIZE(size),
		RTE_CACHE_LINE_SIZE, socket);
	if (t == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	if (rte_eth_tx_buffer_init(&t->buf, size) != 0 ||
	    rte_eth_tx_buffer_set_err_callback(&t->buf,
			rte_eth_tx_buffer_count_callback, &t->dropped) != 0 ||
	    own(t) != 0) {
		rte_free(t);
		rte_errno = ENOSPC;
		return NULL;
	}
	t->magic = SHIM_TXB_MAGIC;
	return t;
}

/** Frees a TX buffer of this process; -ENOENT when it is not one. */
int shim_tx_buffer_free(struct shim_txb *t)
{
	if (disown(t) != 0)
		return -ENOENT;
	t->magic = 0;
	rte_free(t);
	return 0;
}

/** `t` if it is a live TX buffer of this process, else NULL. */
struct shim_txb *shim_tx_buffer_check(struct shim_txb *t)
{
	return is_owned(t, offsetof(struct shim_txb, magic), SHIM_TXB_MAGIC) ? t : NULL;
}

/** Batch helper: rte_eth_tx_buffer() for each mbuf; returns packets sent. */
uint16_t shim_tx_buffer_burst(uint16_t port, uint16_t queue,
			      struct shim_txb *t, struct rte_mbuf **m,
			      uint16_t n)
{
	uint16_t sent = 0;

	for (uint16_t i = 0; i < n; i++)
		sent += rte_eth_tx_buffer(port, queue, &t->buf, m[i]);
	t->sent += sent;
	return sent;
}

uint16_t shim_tx_buffer_flush(uint16_t port, uint16_t queue,
			      struct shim_txb *t)
{
	uint16_t sent = rte_eth_tx_buffer_flush(port, queue, &t->buf);

	t->sent += sent;
	return sent;
}

/** Packets waiting in a TX buffer. */
uint16_t shim_tx_buffer_length(const struct shim_txb *t)
{
	return t->buf.length;
}

/** An empty routing table (no input port routed), or NULL. */
struct shim_txt *shim_tx_table_create(void)
{
	struct shim_txt *t = rte_zmalloc("shim_txt", sizeof(*t),
					 RTE_CACHE_LINE_SIZE);

	if (t == NULL)
		return NULL;
	if (own(t) != 0) {
		rte_free(t);
		return NULL;
	}
	t->magic = SHIM_TXT_MAGIC;
	return t;
}

/**
 * Routes packets that arrived on `in_port` to `txb`, for port/queue
 * out_port/out_queue. Returns 0, or -EINVAL for a port out of range, a
 * port that is not valid, or a buffer that is not a TX buffer of ours.
 */
int shim_tx_table_set(struct shim_txt *t, uint16_t in_port, uint16_t out_port,
		      uint16_t out_queue, struct shim_txb *txb)
{
	if (in_port >= RTE_MAX_ETHPORTS || !rte_eth_dev_is_valid_port(out_port) ||
	    shim_tx_buffer_check(txb) == NULL)
		return -EINVAL;
	t->txb[in_port] = txb;
	t->port[in_port] = out_port;
	t->queue[in_port] = out_queue;
	return 0;
}

/** Frees a routing table of this process; -ENOENT when it is not one. */
int shim_tx_table_free(struct shim_txt *t)
{
	if (disown(t) != 0)
		return -ENOENT;
	t->magic = 0;
	rte_free(t);
	return 0;
}

/** `t` if it is a live routing table of this process, else NULL. */
struct shim_txt *shim_tx_table_check(struct shim_txt *t)
{
	return is_owned(t, offsetof(struct shim_txt, magic), SHIM_TXT_MAGIC) ? t : NULL;
}

/**
 * Batch helper: buffers each mbuf for the route of the port it arrived on
 * (m->port, read from shared memory and bounded here). A packet whose
 * input port has no route is freed and counted in t->unroutable. Returns
 * packets sent. Used by forwarders that dequeue mixed-port bursts.
 */
uint16_t shim_tx_table_burst(struct shim_txt *t, struct rte_mbuf **m,
			     uint16_t n)
{
	uint16_t sent = 0;

	for (uint16_t i = 0; i < n; i++) {
		uint16_t in = m[i]->port;
		struct shim_txb *b = in < RTE_MAX_ETHPORTS ? t->txb[in] : NULL;
		uint16_t s;

		if (b == NULL) {
			rte_pktmbuf_free(m[i]);
			t->unroutable++;
			continue;
		}
		s = rte_eth_tx_buffer(t->port[in], t->queue[in], &b->buf, m[i]);
		b->sent += s;
		sent += s;
	}
	return sent;
}

/* ---- ethdev: control ---------------------------------------------------- */

/**
 * rte_eth_dev_configure with the settings given and nothing else: RX
 * multi-queue mode, RSS hash functions, RX and TX offloads.
 */
int shim_eth_configure(uint16_t port, uint16_t nb_rx, uint16_t nb_tx,
		       uint32_t mq_mode, uint64_t rss_hf, uint64_t rx_offloads,
		       uint64_t tx_offloads)
{
	struct rte_eth_conf conf;

	memset(&conf, 0, sizeof(conf));
	conf.rxmode.mq_mode = mq_mode;
	conf.rx_adv_conf.rss_conf.rss_hf = rss_hf;
	conf.rxmode.offloads = rx_offloads;
	conf.txmode.offloads = tx_offloads;
	return rte_eth_dev_configure(port, nb_rx, nb_tx, &conf);
}

/**
 * Device facts into out[0 .. INFO_LEN-1] (indices in the contract,
 * "info.*"); driver name into name[0 .. SHIM_NAME_LEN-1].
 */
int shim_eth_info(uint16_t port, uint64_t *out, char *name)
{
	struct rte_eth_dev_info info;
	int ret = rte_eth_dev_info_get(port, &info);

	if (ret != 0)
		return ret;
	out[INFO_MAX_RXQ] = info.max_rx_queues;
	out[INFO_MAX_TXQ] = info.max_tx_queues;
	out[INFO_RSS] = info.flow_type_rss_offloads;
	out[INFO_RX_CAPA] = info.rx_offload_capa;
	out[INFO_TX_CAPA] = info.tx_offload_capa;
	out[INFO_SOCKET] = (uint64_t)(rte_eth_dev_socket_id(port) + 1);
	out[INFO_NB_RXQ] = info.nb_rx_queues;
	out[INFO_NB_TXQ] = info.nb_tx_queues;
	out[INFO_MAX_MTU] = info.max_mtu;
	snprintf(name, SHIM_NAME_LEN, "%s",
		 info.driver_name ? info.driver_name : "");
	return 0;
}

/**
 * RX queue setup with the device's default queue config, the port's RX
 * offloads, and rx_drop_en as given (drop packets when no descriptor is
 * free rather than hold the queue).
 */
int shim_eth_rx_queue_setup(uint16_t port, uint16_t q, uint16_t nb_desc,
			    struct rte_mempool *mp, uint8_t drop_en)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	struct rte_eth_rxconf rxq;
	int ret = rte_eth_dev_info_get(port, &info);

	if (ret != 0)
		return ret;
	ret = rte_eth_dev_conf_get(port, &conf);
	if (ret != 0)
		return ret;
	rxq = info.default_rxconf;
	rxq.rx_drop_en = drop_en;
	rxq.offloads = conf.rxmode.offloads;
	return rte_eth_rx_queue_setup(port, q, nb_desc,
				      rte_eth_dev_socket_id(port), &rxq, mp);
}

/** TX queue setup with the device's default queue config and port offloads. */
int shim_eth_tx_queue_setup(uint16_t port, uint16_t q, uint16_t nb_desc)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	struct rte_eth_txconf txq;
	int ret = rte_eth_dev_info_get(port, &info);

	if (ret != 0)
		return ret;
	ret = rte_eth_dev_conf_get(port, &conf);
	if (ret != 0)
		return ret;
	txq = info.default_txconf;
	txq.offloads = conf.txmode.offloads;
	return rte_eth_tx_queue_setup(port, q, nb_desc,
				      rte_eth_dev_socket_id(port), &txq);
}

/** Link state into out[0 .. LINK_LEN-1] ("link.*" in the contract). */
int shim_eth_link(uint16_t port, uint32_t *out)
{
	struct rte_eth_link link;
	int ret;

	memset(&link, 0, sizeof(link));
	ret = rte_eth_link_get_nowait(port, &link);
	if (ret != 0)
		return ret;
	out[LINK_SPEED] = link.link_speed;
	out[LINK_UP] = link.link_status;
	out[LINK_DUPLEX] = link.link_duplex;
	return 0;
}

/**
 * Port stats into out[0 .. STAT_LEN-1] ("stats.*"), then per-queue
 * q_ipackets[nq], q_opackets[nq] for the first nq queues; -EINVAL when nq
 * is above RTE_ETHDEV_QUEUE_STAT_CNTRS.
 */
int shim_eth_stats(uint16_t port, uint64_t *out, unsigned nq)
{
	struct rte_eth_stats s;
	int ret;

	if (nq > RTE_ETHDEV_QUEUE_STAT_CNTRS)
		return -EINVAL;
	ret = rte_eth_stats_get(port, &s);
	if (ret != 0)
		return ret;
	out[STAT_IPACKETS] = s.ipackets;
	out[STAT_OPACKETS] = s.opackets;
	out[STAT_IBYTES] = s.ibytes;
	out[STAT_OBYTES] = s.obytes;
	out[STAT_IMISSED] = s.imissed;
	out[STAT_IERRORS] = s.ierrors;
	out[STAT_OERRORS] = s.oerrors;
	out[STAT_RX_NOMBUF] = s.rx_nombuf;
	for (unsigned i = 0; i < nq; i++) {
		out[STAT_LEN + i] = s.q_ipackets[i];
		out[STAT_LEN + nq + i] = s.q_opackets[i];
	}
	return 0;
}

/* ---- processes ---------------------------------------------------------- */

/**
 * Start time of process `pid` (field 22 of /proc/PID/stat: clock ticks
 * since boot), or -1 when no such process runs (gone, or a zombie). With
 * a recorded start time it tells a live process from a reused PID. Here
 * rather than in TypeScript because Deno lets a script read /proc only
 * with --allow-all, which compiled apps are not granted.
 */
double shim_proc_start_time(int32_t pid)
{
	char path[64], buf[1024];
	ssize_t n;
	int fd;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* "pid (comm) S ppid ...": comm may hold spaces and parentheses */
	char *p = strrchr(buf, ')');
	if (p == NULL || p[1] != ' ')
		return -1;
	p += 2; /* field 3, the state */
	if (*p == 'Z' || *p == 'X')
		return -1;
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (p == NULL)
			return -1;
		p++;
	}
	return strtod(p, NULL);
}
