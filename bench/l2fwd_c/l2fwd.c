/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The C twin of examples/l2fwd.ts, line for line where it matters, so that
 * bench/l2fwd_bench.ts can compare the two on the same net_null ports.
 *
 * Ports are paired 0<->1, 2<->3, ... One lcore (the first worker lcore)
 * receives a burst of up to 32 packets from each port in turn, swaps the
 * source and destination MAC of every frame, counts frames by EtherType,
 * and sends the burst to the paired port; what the TX queue refuses is
 * freed and counted as dropped.
 *
 * net_null's RX hands out pool mbufs without writing their data, so the
 * frames it "receives" are whatever the pool's buffers hold: before
 * forwarding, every mbuf of the pool gets a frame of a known EtherType
 * (7 IPv4 : 2 IPv6 : 1 ARP, by position in the pool).
 *
 * Usage: l2fwd [EAL args] -- [-t SECONDS] [--no-work]
 *   -t SECONDS  run that long (default 5; 0: until SIGINT/SIGTERM)
 *   --no-work   forward without touching the frames
 * Prints a line per second and, at the end, one JSON line.
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#define BURST 32
#define NB_MBUF 8191
#define NB_DESC 1024
#define FRAME_LEN 64

static volatile int force_quit;
static int do_work = 1;
static uint16_t nb_ports;

/* per-port counters and the EtherType table, written by the one lcore */
static uint64_t rx_pkts[RTE_MAX_ETHPORTS];
static uint64_t tx_pkts[RTE_MAX_ETHPORTS];
static uint64_t dropped[RTE_MAX_ETHPORTS];
static uint64_t by_type[65536];

static void on_signal(int sig)
{
	(void)sig;
	force_quit = 1;
}

/* The per-packet work: swap MACs, count by EtherType. */
static inline void work(struct rte_mbuf **m, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		struct rte_ether_hdr *eth =
			rte_pktmbuf_mtod(m[i], struct rte_ether_hdr *);
		struct rte_ether_addr tmp = eth->dst_addr;

		eth->dst_addr = eth->src_addr;
		eth->src_addr = tmp;
		by_type[rte_be_to_cpu_16(eth->ether_type)]++;
	}
}

static int fwd_lcore(void *arg)
{
	struct rte_mbuf *m[BURST];

	(void)arg;
	printf("forwarding on lcore %u, %u ports\n", rte_lcore_id(), nb_ports);
	fflush(stdout);
	while (!force_quit) {
		for (uint16_t p = 0; p < nb_ports; p++) {
			uint16_t n = rte_eth_rx_burst(p, 0, m, BURST);

			if (n == 0)
				continue;
			rx_pkts[p] += n;
			if (do_work)
				work(m, n);
			uint16_t out = p ^ 1;
			uint16_t sent = rte_eth_tx_burst(out, 0, m, n);

			tx_pkts[out] += sent;
			if (sent < n) {
				rte_pktmbuf_free_bulk(&m[sent], n - sent);
				dropped[out] += n - sent;
			}
		}
	}
	return 0;
}

/* Writes a frame of a known EtherType into every mbuf of the pool. */
static void prefill(struct rte_mempool *pool)
{
	static const uint16_t types[10] = {
		0x0800, 0x0800, 0x0800, 0x0800, 0x0800, 0x0800, 0x0800,
		0x86dd, 0x86dd, 0x0806,
	};
	static struct rte_mbuf *all[NB_MBUF];
	unsigned n = 0;

	while (n < NB_MBUF && (all[n] = rte_pktmbuf_alloc(pool)) != NULL)
		n++;
	for (unsigned i = 0; i < n; i++) {
		uint8_t *f = rte_pktmbuf_mtod(all[i], uint8_t *);

		memset(f, 0, FRAME_LEN);
		memcpy(f, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
		f[12] = types[i % 10] >> 8;
		f[13] = types[i % 10] & 0xff;
		all[i]->data_len = all[i]->pkt_len = FRAME_LEN;
	}
	rte_pktmbuf_free_bulk(all, n);
}

static void setup_port(uint16_t p, struct rte_mempool *pool)
{
	struct rte_eth_conf conf;

	memset(&conf, 0, sizeof(conf));
	if (rte_eth_dev_configure(p, 1, 1, &conf) < 0 ||
	    rte_eth_rx_queue_setup(p, 0, NB_DESC, rte_eth_dev_socket_id(p),
				   NULL, pool) < 0 ||
	    rte_eth_tx_queue_setup(p, 0, NB_DESC, rte_eth_dev_socket_id(p),
				   NULL) < 0 ||
	    rte_eth_dev_start(p) < 0)
		rte_exit(EXIT_FAILURE, "cannot set up port %u\n", p);
}

static void parse_args(int argc, char **argv, unsigned *seconds)
{
	static const struct option longopts[] = {
		{ "no-work", no_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "t:", longopts, NULL)) != -1) {
		if (opt == 't')
			*seconds = (unsigned)atoi(optarg);
		else if (opt == 'w')
			do_work = 0;
		else
			rte_exit(EXIT_FAILURE,
				 "usage: l2fwd [EAL] -- [-t SECONDS] [--no-work]\n");
	}
}

static void print_result(double seconds)
{
	uint64_t rx = 0, tx = 0, drop = 0;

	printf("{\"example\":\"l2fwd\",\"impl\":\"c\",\"work\":%s,"
	       "\"seconds\":%.3f,\"ports\":[", do_work ? "true" : "false",
	       seconds);
	for (uint16_t p = 0; p < nb_ports; p++) {
		printf("%s{\"port\":%u,\"rx\":%" PRIu64 ",\"tx\":%" PRIu64
		       ",\"dropped\":%" PRIu64 "}", p ? "," : "", p, rx_pkts[p],
		       tx_pkts[p], dropped[p]);
		rx += rx_pkts[p];
		tx += tx_pkts[p];
		drop += dropped[p];
	}
	printf("],\"rx\":%" PRIu64 ",\"tx\":%" PRIu64 ",\"dropped\":%" PRIu64
	       ",\"mpps\":%.3f,\"etherTypes\":{", rx, tx, drop,
	       tx / seconds / 1e6);
	for (unsigned t = 0, first = 1; t < 65536; t++) {
		if (by_type[t] == 0)
			continue;
		printf("%s\"0x%04x\":%" PRIu64, first ? "" : ",", t, by_type[t]);
		first = 0;
	}
	printf("}}\n");
}

int main(int argc, char **argv)
{
	struct rte_mempool *pool;
	unsigned seconds = 5, lcore;
	int ret = rte_eal_init(argc, argv);

	if (ret < 0)
		rte_exit(EXIT_FAILURE, "cannot init EAL\n");
	parse_args(argc - ret, argv + ret, &seconds);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	nb_ports = rte_eth_dev_count_avail();
	if (nb_ports < 2 || nb_ports % 2 != 0)
		rte_exit(EXIT_FAILURE, "need an even number of ports, got %u\n",
			 nb_ports);
	lcore = rte_get_next_lcore(-1, 1, 0);
	if (lcore >= RTE_MAX_LCORE)
		rte_exit(EXIT_FAILURE, "need a worker lcore (-l 0,1)\n");
	pool = rte_pktmbuf_pool_create("l2fwd_pool", NB_MBUF, 256, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE,
				       rte_socket_id());
	if (pool == NULL)
		rte_exit(EXIT_FAILURE, "cannot create mbuf pool\n");
	prefill(pool);
	for (uint16_t p = 0; p < nb_ports; p++)
		setup_port(p, pool);

	uint64_t start = rte_get_timer_cycles(), last = start, last_tx = 0;

	rte_eal_remote_launch(fwd_lcore, NULL, lcore);
	for (unsigned s = 1; !force_quit && (seconds == 0 || s <= seconds); s++) {
		struct rte_eth_stats st;
		uint64_t tx = 0, now;

		sleep(1);
		for (uint16_t p = 0; p < nb_ports; p++)
			if (rte_eth_stats_get(p, &st) == 0)
				tx += st.opackets;
		now = rte_get_timer_cycles();
		printf("%us: %.3f Mpps forwarded\n", s, (tx - last_tx) /
		       ((double)(now - last) / rte_get_timer_hz()) / 1e6);
		fflush(stdout);
		last = now;
		last_tx = tx;
	}
	force_quit = 1;
	rte_eal_wait_lcore(lcore);
	print_result((double)(rte_get_timer_cycles() - start) /
		     rte_get_timer_hz());

	for (uint16_t p = 0; p < nb_ports; p++) {
		rte_eth_dev_stop(p);
		rte_eth_dev_close(p);
	}
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return 0;
}
