/* SPDX-License-Identifier: BSD-3-Clause
 *
 * introspect: what a process attached to a DPDK group (a secondary, a
 * watcher) can list and read without knowing names in advance, and what a
 * secondary needs to know before it attaches:
 *  - walks of memzones, rings and mempools, port details and xstats, as
 *    JSON text written into the caller's buffer (bounded: the return value
 *    is the length the whole text needs, so a caller whose buffer was too
 *    small retries with a bigger one; -errno on failure);
 *  - a client for the telemetry socket (SOCK_SEQPACKET, which Deno cannot
 *    open), usable without an initialised EAL;
 *  - the layout of the group's runtime config (struct rte_mem_config,
 *    internal to DPDK: mirrored here for 22.11 and checked against the
 *    config file's size and contents by the TypeScript reader), bounded
 *    file reads (/proc, the runtime folder) that need no Deno permission,
 *    the holder of a file lock (is a primary running?), an in-place re-exec
 *    of this process (same PID, same stdio) and an address-range
 *    reservation (to simulate a clash in tests);
 *  - a capture of DPDK's log lines (so a failed attach can be explained in
 *    one line, and logs kept off stdout).
 */
#define _GNU_SOURCE
#define ALLOW_EXPERIMENTAL_API /* rte_eth_dev_conf_get */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_eal_memconfig.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_fbarray.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_memory.h>
#include <rte_mempool.h>
#include <rte_memzone.h>
#include <rte_ring.h>
#include <rte_rwlock.h>
#include <rte_spinlock.h>
#include <rte_tailq.h>

#include "shim.h"

/* ---- the group's runtime config (DPDK 22.11) ----------------------------
 *
 * struct rte_mem_config lives in DPDK's internal eal_memcfg.h, which is
 * not installed. This mirror follows 22.11's definition field by field,
 * built from the public types it is made of; only the offsets below are
 * read. TypeScript checks it against the real file before trusting it
 * (file size == mcfg.size, magic, the memzone array's name), so a DPDK
 * whose layout differs is detected, not misread.
 */
struct mirror_malloc_elem;
struct mirror_malloc_heap {
	rte_spinlock_t lock;
	LIST_HEAD(, mirror_malloc_elem) free_head[13]; /* RTE_HEAP_NUM_FREELISTS */
	struct mirror_malloc_elem *volatile first;
	struct mirror_malloc_elem *volatile last;
	unsigned int alloc_count;
	unsigned int socket_id;
	size_t total_size;
	char name[32]; /* RTE_HEAP_NAME_MAX_LEN */
} __rte_cache_aligned;

struct mirror_mem_config {
	volatile uint32_t magic;
	uint32_t version;
	uint32_t nchannel;
	uint32_t nrank;
	rte_rwlock_t mlock;
	rte_rwlock_t qlock;
	rte_rwlock_t mplock;
	rte_spinlock_t tlock;
	rte_rwlock_t memory_hotplug_lock;
	uint8_t mp_status;
	struct rte_fbarray memzones;
	struct rte_memseg_list memsegs[RTE_MAX_MEMSEG_LISTS];
	uintptr_t mem_va_addr;
	size_t mem_va_len;
	size_t mem_va_page_sz;
	struct rte_tailq_head tailq_head[RTE_MAX_TAILQ];
	struct mirror_malloc_heap malloc_heaps[RTE_MAX_HEAPS];
	int next_socket_id;
	uint64_t mem_cfg_addr;
	uint32_t legacy_mem;
	uint32_t single_file_segments;
	uint64_t tsc_hz;
	uint8_t dma_maskbits;
};

#define SHIM_TELEMETRY_TIMEOUT_MS 5000 /* default receive/send timeout */
#define SHIM_LOG_KEEP 8192             /* bytes of DPDK log kept */

static const struct shim_fact introspect_facts[] = {
	SHIM_FACT("RTE_MAGIC", RTE_MAGIC),
	SHIM_FACT("RTE_MAX_MEMSEG_LISTS", RTE_MAX_MEMSEG_LISTS),
	SHIM_FACT("RTE_FBARRAY_NAME_LEN", RTE_FBARRAY_NAME_LEN),
	SHIM_FACT("SHIM_TELEMETRY_TIMEOUT_MS", SHIM_TELEMETRY_TIMEOUT_MS),
	SHIM_FACT("SHIM_LOG_KEEP", SHIM_LOG_KEEP),
	SHIM_FACT("ELOOP", ELOOP),
	SHIM_FACT("EMSGSIZE", EMSGSIZE),
	SHIM_FACT("ESRCH", ESRCH),
	SHIM_FACT("ECONNREFUSED", ECONNREFUSED),
	SHIM_FACT("ETIMEDOUT", ETIMEDOUT),
	SHIM_FACT("ECONNRESET", ECONNRESET),
	/* struct rte_mem_config (mirror, see above) */
	SHIM_FACT("mcfg.size", sizeof(struct mirror_mem_config)),
	SHIM_FACT("mcfg.magic", offsetof(struct mirror_mem_config, magic)),
	SHIM_FACT("mcfg.version", offsetof(struct mirror_mem_config, version)),
	SHIM_FACT("mcfg.memzones",
		  offsetof(struct mirror_mem_config, memzones)),
	SHIM_FACT("mcfg.memsegs", offsetof(struct mirror_mem_config, memsegs)),
	SHIM_FACT("mcfg.mem_cfg_addr",
		  offsetof(struct mirror_mem_config, mem_cfg_addr)),
	SHIM_FACT("mcfg.legacy_mem",
		  offsetof(struct mirror_mem_config, legacy_mem)),
	/* struct rte_memseg_list (public) */
	SHIM_FACT("msl.size", sizeof(struct rte_memseg_list)),
	SHIM_FACT("msl.base_va", offsetof(struct rte_memseg_list, base_va)),
	SHIM_FACT("msl.page_sz", offsetof(struct rte_memseg_list, page_sz)),
	SHIM_FACT("msl.socket_id", offsetof(struct rte_memseg_list, socket_id)),
	SHIM_FACT("msl.len", offsetof(struct rte_memseg_list, len)),
	SHIM_FACT("msl.external", offsetof(struct rte_memseg_list, external)),
	SHIM_FACT("msl.memseg_arr",
		  offsetof(struct rte_memseg_list, memseg_arr)),
	/* struct rte_fbarray (public) */
	SHIM_FACT("fbarray.name", offsetof(struct rte_fbarray, name)),
	SHIM_FACT("fbarray.count", offsetof(struct rte_fbarray, count)),
	SHIM_FACT("fbarray.len", offsetof(struct rte_fbarray, len)),
	SHIM_FACT("fbarray.elt_sz", offsetof(struct rte_fbarray, elt_sz)),
	SHIM_FACT("fbarray.data", offsetof(struct rte_fbarray, data)),
};
SHIM_REGISTER_FACTS(introspect_facts);

_Static_assert(sizeof(((struct rte_memseg_list *)0)->len) == 8, "msl.len u64");
_Static_assert(sizeof(((struct rte_fbarray *)0)->data) == 8, "fbarray.data");
_Static_assert(sizeof(((struct mirror_mem_config *)0)->mem_cfg_addr) == 8,
	       "mem_cfg_addr u64");

/* ---- a bounded JSON writer ---------------------------------------------- */

/*
 * Writes at most cap bytes (NUL included) and counts every byte the whole
 * text needs, so the caller learns the size to retry with.
 */
struct jw {
	char *buf;
	size_t cap;
	size_t len;
};

static void jw_init(struct jw *w, char *buf, uint32_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	if (cap > 0)
		buf[0] = '\0';
}

static void __attribute__((format(printf, 2, 3)))
jw_printf(struct jw *w, const char *fmt, ...)
{
	va_list ap;
	size_t room = w->len < w->cap ? w->cap - w->len : 0;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room > 0 ? w->buf + w->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		w->len += (size_t)n;
}

static void jw_char(struct jw *w, char c)
{
	if (w->len + 1 < w->cap) {
		w->buf[w->len] = c;
		w->buf[w->len + 1] = '\0';
	}
	w->len++;
}

/** A JSON string (quoted, escaped); NULL writes null. */
static void jw_str(struct jw *w, const char *s)
{
	if (s == NULL) {
		jw_printf(w, "null");
		return;
	}
	jw_char(w, '"');
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			jw_char(w, '\\');
			jw_char(w, (char)c);
		} else if (c < 0x20) {
			jw_printf(w, "\\u%04x", c);
		} else {
			jw_char(w, (char)c);
		}
	}
	jw_char(w, '"');
}

/** `"key":` */
static void jw_key(struct jw *w, const char *k)
{
	jw_str(w, k);
	jw_char(w, ':');
}

/** An array of the names of the bits set in `flags`. */
struct flag_name {
	uint64_t bit;
	const char *name;
};

static void jw_flags(struct jw *w, uint64_t flags, const struct flag_name *t,
		     unsigned n)
{
	int first = 1;

	jw_char(w, '[');
	for (unsigned i = 0; i < n; i++) {
		if (flags & t[i].bit) {
			if (!first)
				jw_char(w, ',');
			jw_str(w, t[i].name);
			first = 0;
			flags &= ~t[i].bit;
		}
	}
	if (flags != 0) /* bits this table does not name */
		jw_printf(w, "%s\"0x%" PRIx64 "\"", first ? "" : ",", flags);
	jw_char(w, ']');
}

/** The length the text needs, or -ERANGE past what an int can say. */
static int jw_end(const struct jw *w)
{
	return w->len > INT32_MAX ? -ERANGE : (int)w->len;
}

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- memzones ------------------------------------------------------------ */

static const struct flag_name memzone_flags[] = {
	{ RTE_MEMZONE_2MB, "2MB" },
	{ RTE_MEMZONE_1GB, "1GB" },
	{ RTE_MEMZONE_16MB, "16MB" },
	{ RTE_MEMZONE_16GB, "16GB" },
	{ RTE_MEMZONE_256KB, "256KB" },
	{ RTE_MEMZONE_256MB, "256MB" },
	{ RTE_MEMZONE_512MB, "512MB" },
	{ RTE_MEMZONE_4GB, "4GB" },
	{ RTE_MEMZONE_SIZE_HINT_ONLY, "SIZE_HINT_ONLY" },
	{ RTE_MEMZONE_IOVA_CONTIG, "IOVA_CONTIG" },
};

struct walk {
	struct jw *w;
	unsigned n;
};

static void memzone_cb(const struct rte_memzone *mz, void *arg)
{
	struct walk *k = arg;
	struct jw *w = k->w;

	if (k->n++ > 0)
		jw_char(w, ',');
	jw_char(w, '{');
	jw_key(w, "name");
	jw_str(w, mz->name);
	jw_printf(w, ",\"len\":%zu,\"socket\":%d,\"flags\":%u,"
		  "\"hugepage_sz\":%" PRIu64 ",\"addr\":\"0x%" PRIxPTR "\","
		  "\"iova\":\"0x%" PRIx64 "\",\"flag_names\":",
		  mz->len, mz->socket_id, mz->flags, mz->hugepage_sz,
		  (uintptr_t)mz->addr, (uint64_t)mz->iova);
	jw_flags(w, mz->flags, memzone_flags, N_ELEM(memzone_flags));
	jw_char(w, '}');
}

/**
 * Every memzone of the group (rte_memzone_walk) as a JSON array of
 * {name, len, socket, flags, flag_names, hugepage_sz, addr, iova}.
 * Returns the length the text needs (retry with more when >= cap).
 */
int shim_introspect_memzones(char *buf, uint32_t cap)
{
	struct jw w;
	struct walk k = { &w, 0 };

	jw_init(&w, buf, cap);
	jw_char(&w, '[');
	rte_memzone_walk(memzone_cb, &k);
	jw_char(&w, ']');
	return jw_end(&w);
}

/* ---- rings -------------------------------------------------------------- */

static const struct flag_name ring_flags[] = {
	{ RING_F_SP_ENQ, "SP_ENQ" },
	{ RING_F_SC_DEQ, "SC_DEQ" },
	{ RING_F_EXACT_SZ, "EXACT_SZ" },
	{ RING_F_MP_RTS_ENQ, "MP_RTS_ENQ" },
	{ RING_F_MC_RTS_DEQ, "MC_RTS_DEQ" },
	{ RING_F_MP_HTS_ENQ, "MP_HTS_ENQ" },
	{ RING_F_MC_HTS_DEQ, "MC_HTS_DEQ" },
};

/**
 * Every ring of the group (the RTE_RING tailq, read-locked) as a JSON
 * array of {name, flags, flag_names, size, capacity, count, free,
 * memzone}.
 */
int shim_introspect_rings(char *buf, uint32_t cap)
{
	struct rte_tailq_head *head = rte_eal_tailq_lookup(RTE_TAILQ_RING_NAME);
	struct rte_tailq_entry *te;
	struct jw w;
	unsigned n = 0;

	jw_init(&w, buf, cap);
	jw_char(&w, '[');
	if (head != NULL) {
		rte_mcfg_tailq_read_lock();
		TAILQ_FOREACH(te, &head->tailq_head, next) {
			const struct rte_ring *r = te->data;

			if (r == NULL)
				continue;
			if (n++ > 0)
				jw_char(&w, ',');
			jw_char(&w, '{');
			jw_key(&w, "name");
			jw_str(&w, r->name);
			jw_printf(&w, ",\"flags\":%d,\"size\":%u,"
				  "\"capacity\":%u,\"count\":%u,\"free\":%u,"
				  "\"memzone\":",
				  r->flags, r->size, r->capacity,
				  rte_ring_count(r), rte_ring_free_count(r));
			jw_str(&w, r->memzone != NULL ? r->memzone->name
						      : NULL);
			jw_char(&w, ',');
			jw_key(&w, "flag_names");
			jw_flags(&w, (uint32_t)r->flags, ring_flags,
				 N_ELEM(ring_flags));
			jw_char(&w, '}');
		}
		rte_mcfg_tailq_read_unlock();
	}
	jw_char(&w, ']');
	return jw_end(&w);
}

/* ---- mempools ------------------------------------------------------------ */

static const struct flag_name mempool_flags[] = {
	{ RTE_MEMPOOL_F_NO_SPREAD, "NO_SPREAD" },
	{ RTE_MEMPOOL_F_NO_CACHE_ALIGN, "NO_CACHE_ALIGN" },
	{ RTE_MEMPOOL_F_SP_PUT, "SP_PUT" },
	{ RTE_MEMPOOL_F_SC_GET, "SC_GET" },
	{ RTE_MEMPOOL_F_POOL_CREATED, "POOL_CREATED" },
	{ RTE_MEMPOOL_F_NO_IOVA_CONTIG, "NO_IOVA_CONTIG" },
	{ RTE_MEMPOOL_F_NON_IO, "NON_IO" },
};

/*
 * Whether `mp` is a packet mbuf pool: it carries the pktmbuf private area
 * and its elements are exactly mbuf + private area + data room, as
 * rte_pktmbuf_pool_create makes them.
 */
static const struct rte_pktmbuf_pool_private *pktmbuf_priv(
	struct rte_mempool *mp)
{
	const struct rte_pktmbuf_pool_private *p;

	if (mp->private_data_size < sizeof(*p))
		return NULL;
	p = rte_mempool_get_priv(mp);
	if (mp->elt_size != sizeof(struct rte_mbuf) + p->mbuf_priv_size +
				    p->mbuf_data_room_size)
		return NULL;
	return p;
}

static void mempool_cb(struct rte_mempool *mp, void *arg)
{
	struct walk *k = arg;
	struct jw *w = k->w;
	const struct rte_pktmbuf_pool_private *pp = pktmbuf_priv(mp);
	unsigned cached = 0, lc = 0, avail;

	if (k->n++ > 0)
		jw_char(w, ',');
	jw_char(w, '{');
	jw_key(w, "name");
	jw_str(w, mp->name);
	/* per-lcore caches that hold objects: [lcore, count] pairs */
	jw_printf(w, ",\"caches\":[");
	if (mp->cache_size != 0 && mp->local_cache != NULL) {
		for (unsigned i = 0; i < RTE_MAX_LCORE; i++) {
			unsigned len = mp->local_cache[i].len;

			if (len == 0)
				continue;
			cached += len;
			jw_printf(w, "%s[%u,%u]", lc++ > 0 ? "," : "", i, len);
		}
	}
	/* avail = common pool + caches (rte_mempool_avail_count) */
	avail = rte_mempool_avail_count(mp);
	jw_printf(w, "],\"size\":%u,\"populated\":%u,\"cache_size\":%u,"
		  "\"elt_size\":%u,\"header_size\":%u,\"trailer_size\":%u,"
		  "\"private_data_size\":%u,\"flags\":%u,\"socket\":%d,"
		  "\"nb_mem_chunks\":%u,\"avail\":%u,\"in_use\":%u,"
		  "\"cache_count\":%u,\"common_count\":%u,\"ops\":",
		  mp->size, mp->populated_size, mp->cache_size, mp->elt_size,
		  mp->header_size, mp->trailer_size, mp->private_data_size,
		  mp->flags, mp->socket_id, mp->nb_mem_chunks, avail,
		  mp->size > avail ? mp->size - avail : 0, cached,
		  avail > cached ? avail - cached : 0);
	jw_str(w, mp->ops_index >= 0 &&
			  (unsigned)mp->ops_index < rte_mempool_ops_table.num_ops
		  ? rte_mempool_get_ops(mp->ops_index)->name
		  : NULL);
	jw_printf(w, ",\"memzone\":");
	jw_str(w, mp->mz != NULL ? mp->mz->name : NULL);
	jw_printf(w, ",\"flag_names\":");
	jw_flags(w, mp->flags, mempool_flags, N_ELEM(mempool_flags));
	jw_printf(w, ",\"mbuf\":");
	if (pp != NULL)
		jw_printf(w, "{\"data_room\":%u,\"priv_size\":%u}",
			  pp->mbuf_data_room_size, pp->mbuf_priv_size);
	else
		jw_printf(w, "null");
	jw_char(w, '}');
}

/**
 * Every mempool of the group (rte_mempool_walk) as a JSON array of {name,
 * size, populated, cache_size, elt_size, header_size, trailer_size,
 * private_data_size, flags, flag_names, socket, nb_mem_chunks, avail,
 * in_use, common_count, ops, memzone, caches: [[lcore, n]...],
 * cache_count, mbuf: {data_room, priv_size} | null}.
 */
int shim_introspect_mempools(char *buf, uint32_t cap)
{
	struct jw w;
	struct walk k = { &w, 0 };

	jw_init(&w, buf, cap);
	jw_char(&w, '[');
	rte_mempool_walk(mempool_cb, &k);
	jw_char(&w, ']');
	return jw_end(&w);
}

/* ---- ports --------------------------------------------------------------- */

static void jw_offloads(struct jw *w, uint64_t bits,
			const char *(*name)(uint64_t))
{
	int first = 1;

	jw_char(w, '[');
	for (unsigned b = 0; b < 64; b++) {
		uint64_t bit = UINT64_C(1) << b;

		if (!(bits & bit))
			continue;
		if (!first)
			jw_char(w, ',');
		jw_str(w, name(bit));
		first = 0;
	}
	jw_char(w, ']');
}

/**
 * Details of port `port` as a JSON object: names, MAC, MTU, link,
 * promiscuous and allmulticast state, queue counts and limits, offload
 * capabilities and configuration (hex strings and names), RSS, and each
 * queue's setup (null when the driver does not tell). Reads only: never
 * configures anything.
 */
int shim_introspect_port(uint16_t port, char *buf, uint32_t cap)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	struct rte_eth_link link;
	struct rte_ether_addr mac;
	char name[RTE_ETH_NAME_MAX_LEN];
	char link_text[RTE_ETH_LINK_MAX_STR_LEN];
	uint16_t mtu = 0;
	int have_conf, ret;
	struct jw w;

	if (!rte_eth_dev_is_valid_port(port))
		return -ENODEV;
	ret = rte_eth_dev_info_get(port, &info);
	if (ret != 0)
		return ret < 0 ? ret : -ret;
	have_conf = rte_eth_dev_conf_get(port, &conf) == 0;
	if (rte_eth_dev_get_name_by_port(port, name) != 0)
		name[0] = '\0';
	jw_init(&w, buf, cap);
	jw_printf(&w, "{\"port\":%u,\"name\":", port);
	jw_str(&w, name);
	jw_printf(&w, ",\"driver\":");
	jw_str(&w, info.driver_name);
	jw_printf(&w, ",\"socket\":%d", rte_eth_dev_socket_id(port));
	if (rte_eth_macaddr_get(port, &mac) == 0)
		jw_printf(&w, ",\"mac\":\"" RTE_ETHER_ADDR_PRT_FMT "\"",
			  RTE_ETHER_ADDR_BYTES(&mac));
	else
		jw_printf(&w, ",\"mac\":null");
	if (rte_eth_dev_get_mtu(port, &mtu) == 0)
		jw_printf(&w, ",\"mtu\":%u", mtu);
	else
		jw_printf(&w, ",\"mtu\":null");
	jw_printf(&w, ",\"min_mtu\":%u,\"max_mtu\":%u,\"max_rx_pktlen\":%u",
		  info.min_mtu, info.max_mtu, info.max_rx_pktlen);
	if (rte_eth_link_get_nowait(port, &link) == 0) {
		rte_eth_link_to_str(link_text, sizeof(link_text), &link);
		jw_printf(&w, ",\"link\":{\"speed\":%u,\"up\":%s,"
			  "\"full_duplex\":%s,\"autoneg\":%s,\"text\":",
			  link.link_speed, link.link_status ? "true" : "false",
			  link.link_duplex ? "true" : "false",
			  link.link_autoneg ? "true" : "false");
		jw_str(&w, link_text);
		jw_char(&w, '}');
	} else {
		jw_printf(&w, ",\"link\":null");
	}
	jw_printf(&w, ",\"promiscuous\":%d,\"allmulticast\":%d",
		  rte_eth_promiscuous_get(port), rte_eth_allmulticast_get(port));
	jw_printf(&w, ",\"nb_rx_queues\":%u,\"nb_tx_queues\":%u,"
		  "\"max_rx_queues\":%u,\"max_tx_queues\":%u",
		  info.nb_rx_queues, info.nb_tx_queues, info.max_rx_queues,
		  info.max_tx_queues);
	jw_printf(&w, ",\"rx_offload_capa\":\"0x%" PRIx64 "\","
		  "\"tx_offload_capa\":\"0x%" PRIx64 "\","
		  "\"flow_type_rss_offloads\":\"0x%" PRIx64 "\"",
		  info.rx_offload_capa, info.tx_offload_capa,
		  info.flow_type_rss_offloads);
	jw_printf(&w, ",\"rx_offload_capa_names\":");
	jw_offloads(&w, info.rx_offload_capa, rte_eth_dev_rx_offload_name);
	jw_printf(&w, ",\"tx_offload_capa_names\":");
	jw_offloads(&w, info.tx_offload_capa, rte_eth_dev_tx_offload_name);
	if (have_conf) {
		jw_printf(&w, ",\"config\":{\"mq_mode\":%u,"
			  "\"rss_hf\":\"0x%" PRIx64 "\","
			  "\"rx_offloads\":\"0x%" PRIx64 "\","
			  "\"tx_offloads\":\"0x%" PRIx64 "\",\"rx_offload_names\":",
			  (unsigned)conf.rxmode.mq_mode,
			  conf.rx_adv_conf.rss_conf.rss_hf,
			  conf.rxmode.offloads, conf.txmode.offloads);
		jw_offloads(&w, conf.rxmode.offloads,
			    rte_eth_dev_rx_offload_name);
		jw_printf(&w, ",\"tx_offload_names\":");
		jw_offloads(&w, conf.txmode.offloads,
			    rte_eth_dev_tx_offload_name);
		jw_char(&w, '}');
	} else {
		jw_printf(&w, ",\"config\":null");
	}
	jw_printf(&w, ",\"rxq\":[");
	for (uint16_t q = 0; q < info.nb_rx_queues; q++) {
		struct rte_eth_rxq_info qi;

		if (q > 0)
			jw_char(&w, ',');
		if (rte_eth_rx_queue_info_get(port, q, &qi) != 0) {
			jw_printf(&w, "null");
			continue;
		}
		jw_printf(&w, "{\"queue\":%u,\"nb_desc\":%u,\"scattered\":%s,"
			  "\"drop_en\":%s,\"mempool\":",
			  q, qi.nb_desc, qi.scattered_rx ? "true" : "false",
			  qi.conf.rx_drop_en ? "true" : "false");
		jw_str(&w, qi.mp != NULL ? qi.mp->name : NULL);
		jw_char(&w, '}');
	}
	jw_printf(&w, "],\"txq\":[");
	for (uint16_t q = 0; q < info.nb_tx_queues; q++) {
		struct rte_eth_txq_info qi;

		if (q > 0)
			jw_char(&w, ',');
		if (rte_eth_tx_queue_info_get(port, q, &qi) != 0) {
			jw_printf(&w, "null");
			continue;
		}
		jw_printf(&w, "{\"queue\":%u,\"nb_desc\":%u}", q, qi.nb_desc);
	}
	jw_printf(&w, "]}");
	return jw_end(&w);
}

/**
 * Extended statistics of port `port` as a JSON array of {id, name,
 * value} (values exact in JSON text; above 2^53 a JSON parser rounds).
 */
int shim_introspect_xstats(uint16_t port, char *buf, uint32_t cap)
{
	struct rte_eth_xstat_name *names = NULL;
	struct rte_eth_xstat *vals = NULL;
	int n, got, ret;
	struct jw w;

	if (!rte_eth_dev_is_valid_port(port))
		return -ENODEV;
	n = rte_eth_xstats_get_names(port, NULL, 0);
	if (n < 0)
		return n;
	names = calloc(n > 0 ? n : 1, sizeof(*names));
	vals = calloc(n > 0 ? n : 1, sizeof(*vals));
	if (names == NULL || vals == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	if (rte_eth_xstats_get_names(port, names, n) != n) {
		ret = -EAGAIN; /* the set changed under us: call again */
		goto out;
	}
	got = rte_eth_xstats_get(port, vals, n);
	if (got < 0 || got > n) {
		ret = got < 0 ? got : -EAGAIN;
		goto out;
	}
	jw_init(&w, buf, cap);
	jw_char(&w, '[');
	for (int i = 0; i < got; i++) {
		uint64_t id = vals[i].id;

		if (i > 0)
			jw_char(&w, ',');
		jw_printf(&w, "{\"id\":%" PRIu64 ",\"name\":", id);
		jw_str(&w, id < (uint64_t)n ? names[id].name : NULL);
		jw_printf(&w, ",\"value\":%" PRIu64 "}", vals[i].value);
	}
	jw_char(&w, ']');
	ret = jw_end(&w);
out:
	free(names);
	free(vals);
	return ret;
}

/** rte_eth_xstats_reset: resets the port's basic and extended counters. */
int shim_introspect_xstats_reset(uint16_t port)
{
	return rte_eth_xstats_reset(port);
}

/* ---- telemetry client ---------------------------------------------------- */

static int recv_text(int fd, char *out, uint32_t cap)
{
	ssize_t n;

	if (cap == 0)
		return -EINVAL;
	n = recv(fd, out, cap - 1, MSG_TRUNC);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT
							       : -errno;
	if (n == 0)
		return -ECONNRESET; /* the server closed (too many clients?) */
	if ((size_t)n > cap - 1)
		return -EMSGSIZE;
	out[n] = '\0';
	return (int)n;
}

/**
 * Connects to a telemetry socket (SOCK_SEQPACKET, e.g.
 * /var/run/dpdk/PREFIX/dpdk_telemetry.v2) and reads its greeting (JSON
 * with version, pid, max_output_len) into `info`. Needs no EAL. Every
 * later receive and send waits at most timeout_ms (0: the default).
 * Returns the socket (>= 0) or -errno.
 */
int shim_telemetry_open(const char *path, char *info, uint32_t cap,
			uint32_t timeout_ms)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv;
	int fd, ret;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	if (timeout_ms == 0)
		timeout_ms = SHIM_TELEMETRY_TIMEOUT_MS;
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	ret = recv_text(fd, info, cap);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	return fd;
}

/**
 * Sends one telemetry command (e.g. "/ethdev/stats,0") and receives its
 * JSON reply into `out`. Returns the reply's length, -EMSGSIZE when it
 * does not fit in cap - 1 bytes, or -errno.
 */
int shim_telemetry_query(int fd, const char *cmd, char *out, uint32_t cap)
{
	size_t len = strlen(cmd);

	if (len == 0)
		return -EINVAL;
	if (send(fd, cmd, len, MSG_NOSIGNAL) != (ssize_t)len)
		return errno != 0 ? -errno : -EIO;
	return recv_text(fd, out, cap);
}

/** Closes a telemetry connection. */
int shim_telemetry_close(int fd)
{
	return close(fd) == 0 ? 0 : -errno;
}

/* ---- files, locks, processes --------------------------------------------- */

/**
 * Reads up to `cap` bytes of the file at `path` from its start (works for
 * /proc files, whose size reads as 0). Returns the bytes read (== cap
 * when there may be more) or -errno. Needs no Deno permission.
 */
int shim_file_read(const char *path, char *buf, uint32_t cap)
{
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (got < cap) {
		ssize_t n = read(fd, buf + got, cap - got);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			close(fd);
			return (int)n;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	return got > INT32_MAX ? -ERANGE : (int)got;
}

/** Size of the file at `path` in bytes, or -errno. */
double shim_file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (double)st.st_size : (double)-errno;
}

/**
 * The PID of a process holding a lock on the file at `path` that forbids
 * reading it (a DPDK primary write-locks its config file for its whole
 * life), 0 when none does, or -errno. Only tests the lock (F_GETLK). Call
 * it only in a process that holds no lock on that file: closing any
 * descriptor of a file drops the caller's own locks on it.
 */
int shim_file_lock_holder(const char *path)
{
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
	int ret, fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	ret = fcntl(fd, F_GETLK, &fl) != 0 ? -errno
	      : fl.l_type == F_UNLCK	     ? 0
					     : (int)fl.l_pid;
	close(fd);
	return ret;
}

/**
 * Reads the decimal value of environment variable `name` (0 when unset or
 * not a number) and removes the variable, so processes this one starts
 * later do not inherit it.
 */
int shim_env_take(const char *name)
{
	const char *v = getenv(name);
	long n = 0;

	if (v != NULL) {
		char *end;

		n = strtol(v, &end, 10);
		if (*end != '\0' || n < 0 || n > INT32_MAX)
			n = 0;
		unsetenv(name);
	}
	return (int)n;
}

/**
 * Replaces this process by a fresh run of the same executable with the
 * same arguments (/proc/self/exe, /proc/self/cmdline) and the same
 * environment plus name=value: same PID, same open stdio, fresh address
 * space. Returns only on failure, with -errno.
 */
int shim_reexec(const char *name, uint32_t value)
{
	size_t cap = 1 << 16, len = 0;
	char *args = NULL, **argv = NULL, num[16];
	unsigned argc = 0;
	int fd, ret;

	fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if (args == NULL || len == cap) {
			char *more;

			if (args != NULL)
				cap *= 2;
			if (cap > (1u << 24)) {
				ret = -E2BIG;
				goto fail;
			}
			more = realloc(args, cap + 1);
			if (more == NULL) {
				ret = -ENOMEM;
				goto fail;
			}
			args = more;
		}
		n = read(fd, args + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	fd = -1;
	if (len == 0) {
		ret = -ENOEXEC;
		goto fail;
	}
	args[len] = '\0';
	for (size_t i = 0; i < len; i++)
		argc += args[i] == '\0';
	if (args[len - 1] != '\0')
		argc++;
	argv = calloc(argc + 1, sizeof(*argv));
	if (argv == NULL) {
		ret = -ENOMEM;
		goto fail;
	}
	argc = 0;
	for (size_t i = 0; i < len; i += strlen(args + i) + 1)
		argv[argc++] = args + i;
	snprintf(num, sizeof(num), "%u", value);
	if (setenv(name, num, 1) != 0) {
		ret = -errno;
		goto fail;
	}
	execv("/proc/self/exe", argv);
	ret = -errno;
	unsetenv(name);
fail:
	if (fd >= 0)
		close(fd);
	free(argv);
	free(args);
	return ret;
}

/**
 * Reserves [addr, addr + len) of this process's address space (no access,
 * no memory), failing with -EEXIST when any of it is mapped already. For
 * tests that need an address range to be taken, as V8 sometimes takes it.
 */
int shim_reserve_va(uint64_t addr, uint64_t len)
{
	void *want = (void *)(uintptr_t)addr;
	void *p = mmap(want, len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
			       MAP_FIXED_NOREPLACE,
		       -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	if (p != want) { /* a kernel without MAP_FIXED_NOREPLACE */
		munmap(p, len);
		return -EEXIST;
	}
	return 0;
}

/** Releases a range reserved by shim_reserve_va. */
int shim_release_va(uint64_t addr, uint64_t len)
{
	return munmap((void *)(uintptr_t)addr, len) == 0 ? 0 : -errno;
}

/* ---- DPDK log capture ---------------------------------------------------- */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_keep[SHIM_LOG_KEEP];
static size_t log_len;
static int log_forward;
static FILE *log_stream;

static ssize_t log_write(void *cookie, const char *buf, size_t size)
{
	(void)cookie;
	pthread_mutex_lock(&log_lock);
	if (log_forward) {
		size_t done = 0;

		while (done < size) {
			ssize_t n = write(STDERR_FILENO, buf + done,
					  size - done);
			if (n <= 0)
				break;
			done += (size_t)n;
		}
	}
	if (size >= SHIM_LOG_KEEP) {
		memcpy(log_keep, buf + size - SHIM_LOG_KEEP, SHIM_LOG_KEEP);
		log_len = SHIM_LOG_KEEP;
	} else {
		if (log_len + size > SHIM_LOG_KEEP) {
			size_t drop = log_len + size - SHIM_LOG_KEEP;

			memmove(log_keep, log_keep + drop, log_len - drop);
			log_len -= drop;
		}
		memcpy(log_keep + log_len, buf, size);
		log_len += size;
	}
	pthread_mutex_unlock(&log_lock);
	return (ssize_t)size;
}

/**
 * Sends DPDK's log lines (rte_log, EAL's included) to a capture that keeps
 * the last SHIM_LOG_KEEP bytes, and also to stderr when `forward` is not
 * 0 (never to stdout). Call before rte_eal_init to capture EAL's own
 * lines. Returns 0 or -errno.
 */
int shim_log_capture(int forward)
{
	cookie_io_functions_t io = { .write = log_write };

	pthread_mutex_lock(&log_lock);
	log_forward = forward;
	pthread_mutex_unlock(&log_lock);
	if (log_stream == NULL) {
		log_stream = fopencookie(NULL, "w", io);
		if (log_stream == NULL)
			return -errno;
		setvbuf(log_stream, NULL, _IOLBF, 0);
	}
	return rte_openlog_stream(log_stream) == 0 ? 0 : -EINVAL;
}

/**
 * Copies the captured log text into `buf` (NUL-terminated, the most
 * recent bytes when it does not fit) and, when `clear` is not 0, empties
 * the capture. Returns the captured length.
 */
int shim_log_captured(char *buf, uint32_t cap, int clear)
{
	size_t len, from;

	pthread_mutex_lock(&log_lock);
	len = log_len;
	if (cap > 0) {
		size_t n = len < cap - 1 ? len : cap - 1;

		from = len - n;
		memcpy(buf, log_keep + from, n);
		buf[n] = '\0';
	}
	if (clear)
		log_len = 0;
	pthread_mutex_unlock(&log_lock);
	return (int)len;
}

/** Sends DPDK's log back to its default stream (EAL's, else stderr). */
void shim_log_release(void)
{
	rte_openlog_stream(NULL);
}

static int saved_stdout = -1;

/**
 * While `on` is not 0, file descriptor 1 (stdout) writes to stderr: DPDK
 * prints some things with printf (EAL's usage on a bad argument), which
 * would mix with a program's report on stdout. `on` = 0 restores stdout.
 * Returns 0 or -errno.
 */
int shim_stdout_to_stderr(int on)
{
	fflush(stdout);
	if (on) {
		if (saved_stdout >= 0)
			return 0;
		saved_stdout = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
		if (saved_stdout < 0)
			return -errno;
		if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
			int e = errno;

			close(saved_stdout);
			saved_stdout = -1;
			return -e;
		}
		return 0;
	}
	if (saved_stdout < 0)
		return 0;
	if (dup2(saved_stdout, STDOUT_FILENO) < 0)
		return -errno;
	close(saved_stdout);
	saved_stdout = -1;
	return 0;
}
