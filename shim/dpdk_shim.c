/* SPDX-License-Identifier: MIT
 *
 * dpdk_shim: plain exported functions over DPDK's static inline APIs, plus a
 * few batch helpers that save FFI crossings. Everything here is callable
 * from Deno.dlopen. Application logic does not belong here: it lives in
 * TypeScript. Hot-path functions take only integers and pointers.
 */
#define _GNU_SOURCE
#define ALLOW_EXPERIMENTAL_API /* rte_eth_dev_conf_get */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
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

#define SHIM_ABI 1

/* ---- build information ------------------------------------------------ */

/** RTE_VERSION of the headers this shim was compiled against. */
uint32_t shim_build_version(void) { return RTE_VERSION; }

/** Version of this shim's exported interface (bumped on any change). */
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

int shim_errno(void) { return rte_errno; }

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

/* ---- rings -------------------------------------------------------------- */

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

void shim_mempool_put_bulk(struct rte_mempool *mp, void **objs, unsigned n)
{
	rte_mempool_put_bulk(mp, objs, n);
}

unsigned shim_mempool_size(const struct rte_mempool *mp) { return mp->size; }

unsigned shim_mempool_elt_size(const struct rte_mempool *mp)
{
	return mp->elt_size;
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

int shim_pktmbuf_alloc_bulk(struct rte_mempool *mp, struct rte_mbuf **m,
			    unsigned n)
{
	return rte_pktmbuf_alloc_bulk(mp, m, n);
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
	for (unsigned i = 0; i < n; i++)
		off[i] = (uint32_t)((uintptr_t)objs[i] - base);
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
 * at src[first], into dst[0 ..]; returns how many were copied. Splits a
 * burst round-robin over `stride` consumers without TypeScript touching
 * each 64-bit pointer.
 */
unsigned shim_ptr_stride(void *const *src, unsigned n, unsigned first,
			 unsigned stride, void **dst)
{
	unsigned k = 0;

	if (stride == 0)
		return 0;
	for (unsigned i = first; i < n; i += stride)
		dst[k++] = src[i];
	return k;
}

/**
 * Batch helper: for each mbuf, the offset of its packet data from `base`
 * and its data length.
 */
void shim_mbuf_data(struct rte_mbuf **m, unsigned n, uintptr_t base,
		    uint32_t *off, uint16_t *len)
{
	for (unsigned i = 0; i < n; i++) {
		off[i] = (uint32_t)((uintptr_t)rte_pktmbuf_mtod(m[i], char *) - base);
		len[i] = m[i]->data_len;
	}
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

	shim_mbuf_data(m, nb, base, off, len);
	return nb;
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
		shim_mbuf_data(m, n, base, off, len);
	return ret;
}

/** Set data and packet length of single-segment mbufs (for generators). */
void shim_mbuf_set_len(struct rte_mbuf **m, unsigned n, const uint16_t *len)
{
	for (unsigned i = 0; i < n; i++) {
		m[i]->data_len = len[i];
		m[i]->pkt_len = len[i];
	}
}

/**
 * Field offsets of struct rte_mbuf, so TypeScript can read headers through a
 * pool view: out[0]=data_off, [1]=port, [2]=pkt_len, [3]=data_len,
 * [4]=buf_addr, [5]=sizeof(struct rte_mbuf).
 */
void shim_mbuf_layout(uint32_t *out)
{
	out[0] = offsetof(struct rte_mbuf, data_off);
	out[1] = offsetof(struct rte_mbuf, port);
	out[2] = offsetof(struct rte_mbuf, pkt_len);
	out[3] = offsetof(struct rte_mbuf, data_len);
	out[4] = offsetof(struct rte_mbuf, buf_addr);
	out[5] = sizeof(struct rte_mbuf);
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

/* ---- ethdev ------------------------------------------------------------- */

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
 * A TX buffer with its counters in front: sent and dropped packets, which
 * TypeScript reads through a view. `buf` must stay last (flexible array).
 */
struct shim_txb {
	uint64_t sent;
	uint64_t dropped;
	struct rte_eth_dev_tx_buffer buf;
};

struct shim_txb *shim_tx_buffer_create(uint16_t size, int socket)
{
	struct shim_txb *t = rte_zmalloc_socket("shim_txb",
		offsetof(struct shim_txb, buf) + RTE_ETH_TX_BUFFER_SIZE(size),
		RTE_CACHE_LINE_SIZE, socket);

	if (t == NULL)
		return NULL;
	if (rte_eth_tx_buffer_init(&t->buf, size) != 0 ||
	    rte_eth_tx_buffer_set_err_callback(&t->buf,
			rte_eth_tx_buffer_count_callback, &t->dropped) != 0) {
		rte_free(t);
		return NULL;
	}
	return t;
}

void shim_tx_buffer_free(struct shim_txb *t) { rte_free(t); }

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

/**
 * Batch helper: buffer each mbuf for the port paired with the port it
 * arrived on: out port = map[m->port], buffer = txbs[m->port]. Returns
 * packets sent. Used by forwarders that dequeue mixed-port bursts.
 */
uint16_t shim_tx_buffer_by_port(uint16_t queue, struct shim_txb **txbs,
				const uint16_t *map, struct rte_mbuf **m,
				uint16_t n)
{
	uint16_t sent = 0;

	for (uint16_t i = 0; i < n; i++) {
		uint16_t in = m[i]->port;
		uint16_t s = rte_eth_tx_buffer(map[in], queue, &txbs[in]->buf,
					       m[i]);
		txbs[in]->sent += s;
		sent += s;
	}
	return sent;
}

/**
 * Port configuration the way the multi-process samples want it.
 * flags bit 0: RSS (mq_mode RSS with rss_hf masked by the device's
 * capability), bit 1: RX checksum offload, bit 2: TX mbuf fast free.
 * Returns rte_eth_dev_configure()'s result; *rss_out gets the hash
 * functions configured.
 */
int shim_eth_configure(uint16_t port, uint16_t nb_rx, uint16_t nb_tx,
		       uint32_t flags, uint64_t rss_hf, uint64_t *rss_out)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	int ret;

	memset(&conf, 0, sizeof(conf));
	ret = rte_eth_dev_info_get(port, &info);
	if (ret != 0)
		return ret;
	if (flags & 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = rss_hf & info.flow_type_rss_offloads;
	}
	if (flags & 2)
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_CHECKSUM;
	if ((flags & 4) &&
	    (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE))
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
	if (rss_out != NULL)
		*rss_out = conf.rx_adv_conf.rss_conf.rss_hf;
	return rte_eth_dev_configure(port, nb_rx, nb_tx, &conf);
}

/**
 * Device facts, into out[]: 0 max_rx_queues, 1 max_tx_queues,
 * 2 flow_type_rss_offloads, 3 rx_offload_capa, 4 tx_offload_capa,
 * 5 socket id (+1, 0 = any), 6 nb_rx_queues, 7 nb_tx_queues,
 * Driver name into name[0..63].
 */
int shim_eth_info(uint16_t port, uint64_t *out, char *name)
{
	struct rte_eth_dev_info info;
	int ret = rte_eth_dev_info_get(port, &info);

	if (ret != 0)
		return ret;
	out[0] = info.max_rx_queues;
	out[1] = info.max_tx_queues;
	out[2] = info.flow_type_rss_offloads;
	out[3] = info.rx_offload_capa;
	out[4] = info.tx_offload_capa;
	out[5] = (uint64_t)(rte_eth_dev_socket_id(port) + 1);
	out[6] = info.nb_rx_queues;
	out[7] = info.nb_tx_queues;
	snprintf(name, 64, "%s", info.driver_name ? info.driver_name : "");
	return 0;
}

/** RX queue setup with the device's default config plus rx_drop_en. */
int shim_eth_rx_queue_setup(uint16_t port, uint16_t q, uint16_t nb_desc,
			    struct rte_mempool *mp)
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
	rxq.rx_drop_en = 1;
	rxq.offloads = conf.rxmode.offloads;
	return rte_eth_rx_queue_setup(port, q, nb_desc,
				      rte_eth_dev_socket_id(port), &rxq, mp);
}

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

/** Link state: out[0] speed (Mbps), out[1] up, out[2] full duplex. */
int shim_eth_link(uint16_t port, uint32_t *out)
{
	struct rte_eth_link link;
	int ret;

	memset(&link, 0, sizeof(link));
	ret = rte_eth_link_get_nowait(port, &link);
	if (ret != 0)
		return ret;
	out[0] = link.link_speed;
	out[1] = link.link_status;
	out[2] = link.link_duplex;
	return 0;
}

/**
 * Port stats, into out[]: ipackets, opackets, ibytes, obytes, imissed,
 * ierrors, oerrors, rx_nombuf, then per-queue q_ipackets[nq],
 * q_opackets[nq] for the first nq (<= 16) queues.
 */
int shim_eth_stats(uint16_t port, uint64_t *out, unsigned nq)
{
	struct rte_eth_stats s;
	int ret = rte_eth_stats_get(port, &s);

	if (ret != 0)
		return ret;
	out[0] = s.ipackets;
	out[1] = s.opackets;
	out[2] = s.ibytes;
	out[3] = s.obytes;
	out[4] = s.imissed;
	out[5] = s.ierrors;
	out[6] = s.oerrors;
	out[7] = s.rx_nombuf;
	if (nq > RTE_ETHDEV_QUEUE_STAT_CNTRS)
		nq = RTE_ETHDEV_QUEUE_STAT_CNTRS;
	for (unsigned i = 0; i < nq; i++) {
		out[8 + i] = s.q_ipackets[i];
		out[8 + nq + i] = s.q_opackets[i];
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
