/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ring_loop: simple_mp's rings and message pool (same names and sizes)
 * driven by a tight C loop on the main lcore: the baseline of
 * bench/simple_mp_bench.ts, which builds and runs it.
 *
 *   ring_loop EAL-ARGS -- MODE COUNT [WARMUP]
 *
 * The primary creates PRI_2_SEC, SEC_2_PRI and MSG_POOL, a secondary looks
 * them up (its send ring is the primary's receive ring), as simple_mp does.
 * MODE:
 *   send  WARMUP + COUNT messages (the decimal sequence number as a C
 *         string), in bursts of 32, waiting for room
 *   recv  WARMUP + COUNT messages in bursts of 32, checking their order;
 *         prints the rate from the first timestamp (one every 1024
 *         bursts) at or past message WARMUP to the last message
 *   ping  WARMUP round trips of one message, then COUNT timed ones;
 *         prints the latencies of those
 *   pong  sends WARMUP + COUNT messages back as they come
 * WARMUP (default 0) is there because the TypeScript twin needs it: V8
 * compiles its loop while it runs (bench/README.md); both sides get the
 * same.
 * Prints "ready" once the objects exist and a JSON line "RESULT {...}" at
 * the end.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#define RING_SIZE 64
#define POOL_SIZE 1024
#define POOL_CACHE 32
#define ELT_SIZE 128 /* STR_TOKEN_SIZE */
#define BURST 32

static struct rte_ring *send_ring, *recv_ring;
static struct rte_mempool *pool;

/* Nanoseconds from the TSC, as the TypeScript side reads it (tscCycles). */
static double now_ns(void)
{
	static double ns_per_cycle;

	if (ns_per_cycle == 0)
		ns_per_cycle = 1e9 / (double)rte_get_tsc_hz();
	return (double)rte_get_tsc_cycles() * ns_per_cycle;
}

/* The same text as the TypeScript side writes: decimal digits, NUL. */
static void put_u32(char *s, uint32_t v)
{
	char tmp[10];
	int n = 0;

	do {
		tmp[n++] = '0' + v % 10;
		v /= 10;
	} while (v != 0);
	while (n > 0)
		*s++ = tmp[--n];
	*s = '\0';
}

static uint32_t get_u32(const char *s)
{
	uint32_t v = 0;

	while (*s != '\0')
		v = v * 10 + (uint32_t)(*s++ - '0');
	return v;
}

static void do_send(uint32_t count, uint32_t warmup)
{
	void *objs[BURST];
	uint32_t seq = 0;

	count += warmup;
	while (seq < count) {
		unsigned n = RTE_MIN((uint32_t)BURST, count - seq);

		if (rte_mempool_get_bulk(pool, objs, n) != 0)
			continue;
		for (unsigned i = 0; i < n; i++)
			put_u32(objs[i], seq + i);
		while (rte_ring_enqueue_bulk(send_ring, objs, n, NULL) == 0)
			;
		seq += n;
	}
	printf("RESULT {\"sent\":%u}\n", seq);
}

/* A timestamp every STAMP_EVERY bursts (as the TypeScript twin, whose
 * compiler needs the branch taken from the start); the timed window runs
 * from the first stamp at or past the warm-up to the last message. */
#define STAMP_EVERY 1024

static void do_recv(uint32_t count, uint32_t warmup)
{
	void *objs[BURST];
	uint32_t expected = 0, errors = 0, bursts = 0, k = 0, from = 0;
	uint32_t total = count + warmup;
	uint32_t stamps = total / STAMP_EVERY + 2;
	double *at = malloc(sizeof(double) * stamps), end;
	uint32_t *up_to = malloc(sizeof(uint32_t) * stamps);

	if (at == NULL || up_to == NULL)
		rte_exit(EXIT_FAILURE, "no memory\n");
	while (expected < total) {
		unsigned n = rte_ring_dequeue_burst(recv_ring, objs, BURST, NULL);

		if (n == 0)
			continue;
		if (bursts++ % STAMP_EVERY == 0) {
			at[k] = now_ns();
			up_to[k++] = expected;
		}
		for (unsigned i = 0; i < n; i++)
			if (get_u32(objs[i]) != expected++)
				errors++;
		rte_mempool_put_bulk(pool, objs, n);
	}
	end = now_ns();
	while (from + 1 < k && up_to[from] < warmup)
		from++;
	printf("RESULT {\"received\":%u,\"errors\":%u,\"timed\":%u,"
	       "\"seconds\":%.9f}\n", expected, errors, expected - up_to[from],
	       (end - at[from]) / 1e9);
	free(at);
	free(up_to);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void do_ping(uint32_t count, uint32_t warmup)
{
	double *lat = malloc(sizeof(double) * count);
	double sum = 0;
	uint32_t errors = 0;
	void *msg;

	if (lat == NULL || rte_mempool_get(pool, &msg) != 0)
		rte_exit(EXIT_FAILURE, "no memory\n");
	for (uint32_t i = 0; i < warmup; i++) {
		put_u32(msg, i);
		while (rte_ring_enqueue(send_ring, msg) != 0)
			;
		while (rte_ring_dequeue(recv_ring, &msg) != 0)
			;
	}
	for (uint32_t i = 0; i < count; i++) {
		double t0;

		put_u32(msg, i);
		t0 = now_ns();
		while (rte_ring_enqueue(send_ring, msg) != 0)
			;
		while (rte_ring_dequeue(recv_ring, &msg) != 0)
			;
		lat[i] = now_ns() - t0;
		sum += lat[i];
		if (get_u32(msg) != i)
			errors++;
	}
	rte_mempool_put(pool, msg);
	qsort(lat, count, sizeof(double), cmp_double);
	printf("RESULT {\"pings\":%u,\"errors\":%u,\"meanNs\":%.1f,"
	       "\"p50Ns\":%.1f,\"p99Ns\":%.1f}\n", count, errors, sum / count,
	       lat[count / 2], lat[(uint64_t)count * 99 / 100]);
	free(lat);
}

static void do_pong(uint32_t count, uint32_t warmup)
{
	void *msg;

	count += warmup;
	for (uint32_t i = 0; i < count; i++) {
		while (rte_ring_dequeue(recv_ring, &msg) != 0)
			;
		while (rte_ring_enqueue(send_ring, msg) != 0)
			;
	}
	printf("RESULT {\"ponged\":%u}\n", count);
}

int main(int argc, char **argv)
{
	int ret = rte_eal_init(argc, argv);
	uint32_t count, warmup = 0;

	if (ret < 0)
		rte_exit(EXIT_FAILURE, "Cannot init EAL\n");
	argc -= ret;
	argv += ret;
	if (argc != 3 && argc != 4)
		rte_exit(EXIT_FAILURE, "usage: ring_loop EAL-ARGS -- "
			 "send|recv|ping|pong COUNT [WARMUP]\n");
	count = (uint32_t)strtoul(argv[2], NULL, 10);
	if (argc == 4)
		warmup = (uint32_t)strtoul(argv[3], NULL, 10);
	if (count == 0)
		rte_exit(EXIT_FAILURE, "COUNT must be positive\n");

	if (rte_eal_process_type() == RTE_PROC_PRIMARY) {
		send_ring = rte_ring_create("PRI_2_SEC", RING_SIZE,
					    rte_socket_id(), 0);
		recv_ring = rte_ring_create("SEC_2_PRI", RING_SIZE,
					    rte_socket_id(), 0);
		pool = rte_mempool_create("MSG_POOL", POOL_SIZE, ELT_SIZE,
					  POOL_CACHE, 0, NULL, NULL, NULL, NULL,
					  rte_socket_id(), 0);
	} else {
		recv_ring = rte_ring_lookup("PRI_2_SEC");
		send_ring = rte_ring_lookup("SEC_2_PRI");
		pool = rte_mempool_lookup("MSG_POOL");
	}
	if (send_ring == NULL || recv_ring == NULL || pool == NULL)
		rte_exit(EXIT_FAILURE, "Problem getting rings or pool\n");
	printf("ready\n");
	fflush(stdout);

	if (strcmp(argv[1], "send") == 0)
		do_send(count, warmup);
	else if (strcmp(argv[1], "recv") == 0)
		do_recv(count, warmup);
	else if (strcmp(argv[1], "ping") == 0)
		do_ping(count, warmup);
	else if (strcmp(argv[1], "pong") == 0)
		do_pong(count, warmup);
	else
		rte_exit(EXIT_FAILURE, "unknown mode %s\n", argv[1]);
	fflush(stdout);
	rte_eal_cleanup();
	return 0;
}
