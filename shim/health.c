/* SPDX-License-Identifier: BSD-3-Clause
 *
 * health: what a process needs to notice that its group is stuck, and to
 * account for what a dead process held.
 *
 * 1. Ring positions. A process killed inside a multi-producer enqueue (or
 *    multi-consumer dequeue) between moving the head and moving the tail
 *    leaves the ring half-updated: the next producer (consumer) waits for
 *    the tail forever (DPDK cannot recover this). From outside, such a ring
 *    shows a head and a tail that stay apart while the tail does not move.
 *    shim_ring_positions() reads them, for any ring sync type;
 *    shim_mempool_ring_positions() does so for a ring-based mempool (the
 *    ring behind every pool op). A single-producer (consumer) side is
 *    reported too, with its sync type: there a dead thread's half-update is
 *    not a wedge (the next single producer overwrites the head), only a
 *    loss of what it held.
 *
 * 2. Held records. A process that takes objects from a pool and hands
 *    them to a ring (or takes them from a ring and gives them back to the
 *    pool) holds them in between; killed there, they are lost to the
 *    group. A held record, one per lcore in shared memory, says what the
 *    lcore holds and in which step it is, written in C around each DPDK
 *    call so that the steps whose outcome cannot be told from outside
 *    (inside a get, an enqueue, a dequeue or a put) last only as long as
 *    that call. Another process can then return the objects of a record
 *    whose owner died in the "held" step (certainly out of the pool and
 *    not in the ring), and count as unknown those of one that died inside
 *    a call. Who owns a record, and the lock under which records change
 *    hands, is managed by TypeScript (lib/health.ts).
 *
 * 3. Who runs in a group, before joining it: the processes holding locks
 *    on the group's runtime files (the primary's write lock on `config`,
 *    every process's locks on the shared memory's `fbarray_*` files), from
 *    /proc/locks; the kernel drops a lock when its holder dies, SIGKILL
 *    included. Reading /proc/locks takes no lock (F_GETLK from the primary
 *    itself would drop its own lock). With EAL's runtime folder as EAL
 *    computes it, a process's command line and age, the user ID, and the
 *    hugepage mounts this user cannot write to: all read here, so the
 *    TypeScript side needs no permission beyond FFI (a compiled app has
 *    no other).
 *
 * Hot-path functions take only integers and pointers; counts are checked
 * by the caller (at most SHIM_HELD_MAX objects per call).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <rte_lcore.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "shim.h"

/* Indexes of the output of shim_ring_positions(). */
enum {
	POS_PROD_HEAD,
	POS_PROD_TAIL,
	POS_CONS_HEAD,
	POS_CONS_TAIL,
	POS_PROD_SYNC,
	POS_CONS_SYNC,
	POS_LEN,
};

/* Objects one held record can hold: one burst. */
#define SHIM_HELD_MAX 64

/* The step an lcore is in (shim_held.phase). */
enum {
	HELD_IDLE,      /* holds nothing */
	HELD_GETTING,   /* inside rte_mempool_get_bulk: unknown */
	HELD_HELD,      /* holds objs[0 .. n-1]: out of the pool, not queued */
	HELD_ENQUEUING, /* inside rte_ring_enqueue_bulk: unknown */
	HELD_DEQUEUING, /* inside rte_ring_dequeue_burst: unknown */
	HELD_PUTTING,   /* inside rte_mempool_put_bulk: unknown */
};

/**
 * One lcore's held record, in a memzone every process of the group maps.
 * `lock`, `owner` and `owner_start` are TypeScript's (ownership); the
 * rest is written here, by the owner only.
 */
struct shim_held {
	uint32_t lock;        /* pid of the process changing hands, or 0 */
	uint32_t owner;       /* pid of the owner, or 0 */
	uint64_t owner_start; /* its start time (clock ticks since boot) */
	uint32_t phase;       /* HELD_* */
	uint32_t n;           /* objects in objs (or asked for, in a call) */
	uint64_t ops;         /* calls made: the lcore's progress */
	void *objs[SHIM_HELD_MAX];
} __rte_cache_aligned;

static const struct shim_fact health_facts[] = {
	SHIM_FACT("ringpos.prod_head", POS_PROD_HEAD),
	SHIM_FACT("ringpos.prod_tail", POS_PROD_TAIL),
	SHIM_FACT("ringpos.cons_head", POS_CONS_HEAD),
	SHIM_FACT("ringpos.cons_tail", POS_CONS_TAIL),
	SHIM_FACT("ringpos.prod_sync", POS_PROD_SYNC),
	SHIM_FACT("ringpos.cons_sync", POS_CONS_SYNC),
	SHIM_FACT("ringpos.len", POS_LEN),
	SHIM_FACT("health.sync_mt", RTE_RING_SYNC_MT),
	SHIM_FACT("health.sync_st", RTE_RING_SYNC_ST),
	SHIM_FACT("health.sync_mt_rts", RTE_RING_SYNC_MT_RTS),
	SHIM_FACT("health.sync_mt_hts", RTE_RING_SYNC_MT_HTS),
	SHIM_FACT("held.size", sizeof(struct shim_held)),
	SHIM_FACT("held.lock", offsetof(struct shim_held, lock)),
	SHIM_FACT("held.owner", offsetof(struct shim_held, owner)),
	SHIM_FACT("held.owner_start", offsetof(struct shim_held, owner_start)),
	SHIM_FACT("held.phase", offsetof(struct shim_held, phase)),
	SHIM_FACT("held.n", offsetof(struct shim_held, n)),
	SHIM_FACT("held.ops", offsetof(struct shim_held, ops)),
	SHIM_FACT("held.max", SHIM_HELD_MAX),
	SHIM_FACT("held.phase_idle", HELD_IDLE),
	SHIM_FACT("held.phase_getting", HELD_GETTING),
	SHIM_FACT("held.phase_held", HELD_HELD),
	SHIM_FACT("held.phase_enqueuing", HELD_ENQUEUING),
	SHIM_FACT("held.phase_dequeuing", HELD_DEQUEUING),
	SHIM_FACT("held.phase_putting", HELD_PUTTING),
};
SHIM_REGISTER_FACTS(health_facts);

/* Head and tail positions of one side of a ring, whatever its sync type. */
static void side_positions(const void *side, uint32_t *head, uint32_t *tail,
			   uint32_t *sync)
{
	/* every headtail variant keeps its sync type at the same place as
	 * rte_ring_headtail does: after 8 bytes of positions */
	const struct rte_ring_headtail *ht = side;
	const struct rte_ring_hts_headtail *hts = side;
	const struct rte_ring_rts_headtail *rts = side;

	*sync = __atomic_load_n(&ht->sync_type, __ATOMIC_RELAXED);
	switch (*sync) {
	case RTE_RING_SYNC_MT_HTS: {
		union __rte_ring_hts_pos p;

		p.raw = __atomic_load_n(&hts->ht.raw, __ATOMIC_ACQUIRE);
		*head = p.pos.head;
		*tail = p.pos.tail;
		break;
	}
	case RTE_RING_SYNC_MT_RTS:
		*tail = __atomic_load_n(&rts->tail.val.pos, __ATOMIC_ACQUIRE);
		*head = __atomic_load_n(&rts->head.val.pos, __ATOMIC_ACQUIRE);
		break;
	default:
		/* tail first: a head read after it is never behind it */
		*tail = __atomic_load_n(&ht->tail, __ATOMIC_ACQUIRE);
		*head = __atomic_load_n(&ht->head, __ATOMIC_ACQUIRE);
		break;
	}
}

/**
 * The positions of a ring: out[ringpos.*] = producer head and tail,
 * consumer head and tail, producer and consumer sync types
 * (RTE_RING_SYNC_*). Returns 0, or -EINVAL for NULL.
 */
int shim_ring_positions(const struct rte_ring *r, uint32_t *out)
{
	if (r == NULL || out == NULL)
		return -EINVAL;
	side_positions(&r->prod, &out[POS_PROD_HEAD], &out[POS_PROD_TAIL],
		       &out[POS_PROD_SYNC]);
	side_positions(&r->cons, &out[POS_CONS_HEAD], &out[POS_CONS_TAIL],
		       &out[POS_CONS_SYNC]);
	return 0;
}

/**
 * The positions of the ring behind a ring-based mempool (ops "ring_*"),
 * as shim_ring_positions(). Returns 0, -EINVAL for NULL, or -ENOTSUP for
 * a pool whose objects are not kept in a ring (stack, bucket, ...).
 */
int shim_mempool_ring_positions(const struct rte_mempool *mp, uint32_t *out)
{
	const struct rte_mempool_ops *ops;

	if (mp == NULL || out == NULL)
		return -EINVAL;
	ops = rte_mempool_get_ops(mp->ops_index);
	if (ops == NULL || strncmp(ops->name, "ring_", 5) != 0 ||
	    mp->pool_data == NULL)
		return -ENOTSUP;
	return shim_ring_positions(mp->pool_data, out);
}

/**
 * Fault injection, for tests: leaves the consumer side of a ring-based
 * pool's ring as a process killed inside a dequeue leaves it (its head
 * moved by n, its tail not), so every later get on the pool waits
 * forever. Only for a pool with the default MP/MC sync and at least n
 * objects in its ring. Returns 0, -EINVAL, -ENOTSUP or -EAGAIN (raced).
 */
int shim_test_wedge_pool(struct rte_mempool *mp, uint32_t n)
{
	const struct rte_mempool_ops *ops;
	struct rte_ring *r;
	uint32_t head, tail;

	if (mp == NULL || n == 0)
		return -EINVAL;
	ops = rte_mempool_get_ops(mp->ops_index);
	if (ops == NULL || strncmp(ops->name, "ring_", 5) != 0 ||
	    mp->pool_data == NULL)
		return -ENOTSUP;
	r = mp->pool_data;
	if (r->cons.sync_type != RTE_RING_SYNC_MT)
		return -ENOTSUP;
	head = __atomic_load_n(&r->cons.head, __ATOMIC_ACQUIRE);
	tail = __atomic_load_n(&r->cons.tail, __ATOMIC_ACQUIRE);
	if (head != tail ||
	    __atomic_load_n(&r->prod.tail, __ATOMIC_ACQUIRE) - head < n)
		return -EAGAIN;
	return __atomic_compare_exchange_n(&r->cons.head, &head, head + n, 0,
					   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)
		       ? 0 : -EAGAIN;
}

/**
 * Objects in lcore `lcore_id`'s cache of a pool (they count as available,
 * and go back into use when a thread with that lcore ID takes from the
 * pool). Returns -EINVAL for NULL or an lcore ID out of range, 0 for a
 * pool without caches.
 */
int shim_mempool_cache_len(const struct rte_mempool *mp, uint32_t lcore_id)
{
	if (mp == NULL || lcore_id >= RTE_MAX_LCORE)
		return -EINVAL;
	if (mp->cache_size == 0 || mp->local_cache == NULL)
		return 0;
	return (int)__atomic_load_n(&mp->local_cache[lcore_id].len,
				    __ATOMIC_RELAXED);
}

/* The steps are stores to shared memory that a later reader (another
 * process, after this one died) must see in program order: release. */
static inline void set_phase(struct shim_held *h, uint32_t phase)
{
	__atomic_store_n(&h->phase, phase, __ATOMIC_RELEASE);
}

static inline void count_op(struct shim_held *h)
{
	__atomic_store_n(&h->ops, h->ops + 1, __ATOMIC_RELAXED);
}

/**
 * rte_mempool_get_bulk(mp, objs, n), recorded: on success the record
 * holds the n objects. Returns 0, or -ENOENT when the pool has fewer than
 * n (the record then holds nothing).
 */
int shim_held_get(struct rte_mempool *mp, void **objs, uint32_t n,
		  struct shim_held *h)
{
	int ret;

	h->n = n;
	set_phase(h, HELD_GETTING);
	ret = rte_mempool_get_bulk(mp, objs, n);
	if (ret == 0) {
		memcpy(h->objs, objs, n * sizeof(void *));
		set_phase(h, HELD_HELD);
	} else {
		h->n = 0;
		set_phase(h, HELD_IDLE);
	}
	count_op(h);
	return ret;
}

/**
 * rte_ring_enqueue_bulk(r, objs, n), recorded: the record holds nothing
 * once all n are queued, and still holds them when there was no room.
 * Returns n or 0.
 */
uint32_t shim_held_enqueue_bulk(struct rte_ring *r, void **objs, uint32_t n,
				struct shim_held *h)
{
	uint32_t done;

	set_phase(h, HELD_ENQUEUING);
	done = rte_ring_enqueue_bulk(r, objs, n, NULL);
	if (done == n) {
		h->n = 0;
		set_phase(h, HELD_IDLE);
	} else {
		set_phase(h, HELD_HELD);
	}
	count_op(h);
	return done;
}

/**
 * rte_ring_dequeue_burst(r, objs, n), recorded: the record holds what
 * came. Returns how many came.
 */
uint32_t shim_held_dequeue_burst(struct rte_ring *r, void **objs, uint32_t n,
				 struct shim_held *h)
{
	uint32_t got;

	h->n = n;
	set_phase(h, HELD_DEQUEUING);
	got = rte_ring_dequeue_burst(r, objs, n, NULL);
	memcpy(h->objs, objs, got * sizeof(void *));
	h->n = got;
	set_phase(h, got > 0 ? HELD_HELD : HELD_IDLE);
	count_op(h);
	return got;
}

/**
 * rte_mempool_put_bulk(mp, objs, n), recorded: the record holds nothing
 * afterwards.
 */
void shim_held_put(struct rte_mempool *mp, void **objs, uint32_t n,
		   struct shim_held *h)
{
	set_phase(h, HELD_PUTTING);
	rte_mempool_put_bulk(mp, objs, n);
	h->n = 0;
	set_phase(h, HELD_IDLE);
	count_op(h);
}

struct find_obj {
	void *const *want;
	uint32_t n;
	uint32_t found; /* bit i: want[i] is an object of the pool */
};

static void find_obj_cb(struct rte_mempool *mp, void *arg, void *obj,
			unsigned int idx)
{
	struct find_obj *f = arg;

	(void)mp;
	(void)idx;
	for (uint32_t i = 0; i < f->n; i++)
		if (f->want[i] == obj)
			f->found |= 1u << i;
}

/**
 * Settles the record of a dead owner (the caller holds the record's lock
 * and has checked that the owner is dead). In the "held" step, every
 * object of the record that is an object of `mp` and appears once goes
 * back to the pool: out[0] = how many. In a step inside a DPDK call,
 * nothing is returned: out[1] = the objects whose fate is unknown (asked
 * for or held). The record is left idle. Returns the step it was in
 * (HELD_*), or -EINVAL.
 */
int shim_held_reclaim(struct rte_mempool *mp, struct shim_held *h,
		      uint32_t *out)
{
	uint32_t phase, n;

	if (mp == NULL || h == NULL || out == NULL)
		return -EINVAL;
	out[0] = 0;
	out[1] = 0;
	phase = __atomic_load_n(&h->phase, __ATOMIC_ACQUIRE);
	n = h->n;
	if (n > SHIM_HELD_MAX)
		n = SHIM_HELD_MAX;
	if (phase == HELD_HELD && n > 0) {
		void *ok[SHIM_HELD_MAX];
		uint32_t k = 0;
		/* a 32-bit set: check objects in chunks of 32 */
		for (uint32_t from = 0; from < n; from += 32) {
			uint32_t m = n - from < 32 ? n - from : 32;
			struct find_obj f = { &h->objs[from], m, 0 };

			rte_mempool_obj_iter(mp, find_obj_cb, &f);
			for (uint32_t i = 0; i < m; i++) {
				void *o = h->objs[from + i];
				int dup = 0;

				for (uint32_t j = 0; j < k; j++)
					dup |= ok[j] == o;
				if ((f.found & (1u << i)) && !dup)
					ok[k++] = o;
			}
		}
		if (k > 0)
			rte_mempool_put_bulk(mp, ok, k);
		out[0] = k;
		out[1] = n - k; /* not objects of this pool: left alone */
	} else if (phase != HELD_IDLE) {
		out[1] = n;
	}
	h->n = 0;
	set_phase(h, HELD_IDLE);
	return (int)phase;
}

/* ---- who runs in a group ---------------------------------------------- */

/* Files of a runtime folder watched at most (fbarray files: a few). */
#define GROUP_FILES_MAX 256

struct group_file {
	dev_t dev;
	ino_t ino;
	int config; /* 1: the config file, 0: an fbarray file */
};

/**
 * The processes holding locks on the files of a group's runtime folder
 * `dir`: out[0] = the primary (the holder of the write lock on `config`),
 * 0 when none; out[1 ..] = every other process holding a lock on an
 * `fbarray_*` file (secondaries, or processes of a primary that has
 * exited), without duplicates and without the caller. Returns the number
 * of entries written (at least 1), or -errno (-ENOENT: no such folder).
 */
int shim_group_members(const char *dir, int32_t *out, uint32_t cap)
{
	struct group_file files[GROUP_FILES_MAX];
	uint32_t nfiles = 0, n = 1;
	struct dirent *e;
	char line[256];
	DIR *d;
	FILE *f;

	if (dir == NULL || out == NULL || cap < 1)
		return -EINVAL;
	d = opendir(dir);
	if (d == NULL)
		return -errno;
	while ((e = readdir(d)) != NULL && nfiles < GROUP_FILES_MAX) {
		struct stat st;
		int config = strcmp(e->d_name, "config") == 0;

		if (!config && strncmp(e->d_name, "fbarray_", 8) != 0)
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, 0) != 0)
			continue;
		files[nfiles++] = (struct group_file){ st.st_dev, st.st_ino,
						       config };
	}
	closedir(d);
	out[0] = 0;
	f = fopen("/proc/locks", "re");
	if (f == NULL)
		return -errno;
	while (fgets(line, sizeof(line), f) != NULL) {
		/* "1: POSIX  ADVISORY  WRITE 9965 fe:00:1474798 0 EOF";
		 * a waiter's line has "->" after the number: skipped */
		char type[16], mode[16];
		unsigned int maj, min;
		unsigned long ino;
		int pid;

		if (strstr(line, "->") != NULL)
			continue;
		if (sscanf(line, "%*d: %15s %*s %15s %d %x:%x:%lu", type, mode,
			   &pid, &maj, &min, &ino) != 6 || pid <= 0)
			continue;
		for (uint32_t i = 0; i < nfiles; i++) {
			if (files[i].ino != ino ||
			    major(files[i].dev) != maj ||
			    minor(files[i].dev) != min)
				continue;
			if (files[i].config) {
				if (strcmp(type, "POSIX") == 0 &&
				    strcmp(mode, "WRITE") == 0)
					out[0] = pid;
			} else if (pid != getpid()) {
				uint32_t j;

				for (j = 1; j < n && out[j] != pid; j++)
					;
				if (j == n && n < cap)
					out[n++] = pid;
			}
			break;
		}
	}
	fclose(f);
	/* the primary locks the fbarray files too: not one of the others */
	for (uint32_t j = 1; j < n; j++) {
		if (out[j] == out[0]) {
			out[j] = out[--n];
			j--;
		}
	}
	return (int)n;
}

/**
 * The folder under which EAL keeps each group's runtime files, as EAL
 * 22.11 computes it (eal_create_runtime_dir): /var/run/dpdk for root,
 * else $XDG_RUNTIME_DIR/dpdk, else /tmp/dpdk. Returns its length, or
 * -ERANGE when it does not fit in `cap` bytes (NUL included).
 */
int shim_runtime_root(char *buf, uint32_t cap)
{
	const char *base = "/var/run";
	int n;

	if (getuid() != 0) {
		base = getenv("XDG_RUNTIME_DIR");
		if (base == NULL)
			base = "/tmp";
	}
	n = snprintf(buf, cap, "%s/dpdk", base);
	return n < 0 || (uint32_t)n >= cap ? -ERANGE : n;
}

/** The real user ID of this process. */
uint32_t shim_getuid(void)
{
	return (uint32_t)getuid();
}

/**
 * How long process `pid` has been running, in milliseconds (its start
 * time in /proc/PID/stat against /proc/uptime), or -errno.
 */
double shim_proc_age_ms(int32_t pid)
{
	char path[64], buf[1024];
	unsigned long long start = 0;
	double uptime;
	const char *p;
	long hz = sysconf(_SC_CLK_TCK);
	ssize_t len;
	int fd, field;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return -EIO;
	buf[len] = '\0';
	/* fields after the command name (which may hold spaces and ")") */
	p = strrchr(buf, ')');
	if (p == NULL)
		return -EIO;
	/* field 3 (state) follows ") "; the start time is field 22 */
	for (field = 2; field < 22 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p + 1, "%llu", &start) != 1 || hz <= 0)
		return -EIO;
	f = fopen("/proc/uptime", "re");
	if (f == NULL)
		return -errno;
	if (fscanf(f, "%lf", &uptime) != 1) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	return uptime * 1000.0 - (double)start * 1000.0 / (double)hz;
}

/**
 * The hugetlbfs mounts this process cannot write to (access(W_OK)), each
 * followed by a newline, into `buf`. Returns the length written (0: none),
 * or -errno (-ERANGE: `buf` too small).
 */
int shim_unwritable_hugepage_mounts(char *buf, uint32_t cap)
{
	struct mntent *m;
	uint32_t len = 0;
	FILE *f;

	if (buf == NULL || cap < 1)
		return -EINVAL;
	f = setmntent("/proc/mounts", "re");
	if (f == NULL)
		return -errno;
	while ((m = getmntent(f)) != NULL) {
		size_t n;

		if (strcmp(m->mnt_type, "hugetlbfs") != 0 ||
		    access(m->mnt_dir, W_OK) == 0)
			continue;
		n = strlen(m->mnt_dir);
		if (len + n + 1 > cap) {
			endmntent(f);
			return -ERANGE;
		}
		memcpy(buf + len, m->mnt_dir, n);
		len += (uint32_t)n;
		buf[len++] = '\n';
	}
	endmntent(f);
	return (int)len;
}
