/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The C twin of examples/pktgen.ts at full speed, so that
 * bench/pktgen_bench.ts can compare the two on the same net_null port.
 *
 * A UDP/IPv4 frame (10.0.0.1:10000 -> 10.0.0.2:9, SIZE bytes, checksums
 * filled in) is stamped into every mbuf of the pool before the run. One
 * lcore (the first worker lcore) then allocates bursts of 32 mbufs, sets
 * each packet's UDP source port, cycling through F ports, and either
 * recomputes the UDP and IPv4 checksums (--checksum full: DPDK's
 * rte_ipv4_udptcp_cksum and rte_ipv4_cksum) or fixes the UDP checksum
 * incrementally (RFC 1624, the default), sets the lengths and sends the
 * burst; what the TX queue refuses is freed.
 *
 * Usage: pktgen [EAL args] -- [-t SECONDS] [--checksum incremental|full]
 *                             [--flows F] [--size BYTES]
 * Prints "generating ..." when the lcore runs, a line per second and, at
 * the end, one JSON line.
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
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#define BURST 32
#define NB_MBUF 8191
#define SPORT 10000
#define L3 RTE_ETHER_HDR_LEN
#define L4 (L3 + (int)sizeof(struct rte_ipv4_hdr))

static volatile int force_quit;
static int full;
static unsigned flows = 1, size = 60;
static uint64_t sent, generated, no_mbuf;

static void on_signal(int sig)
{
	(void)sig;
	force_quit = 1;
}

/* RFC 1624: checksum c after a 16-bit word changes from old to new. */
static inline uint16_t cksum_adjust(uint16_t c, uint16_t old, uint16_t new)
{
	uint32_t s = (uint16_t)~c + (uint16_t)~old + new;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return ~s & 0xffff;
}

static int gen_lcore(void *arg)
{
	struct rte_mempool *pool = arg;
	struct rte_mbuf *m[BURST];
	unsigned flow = 0;

	printf("generating %u-byte frames, %u flow(s), on lcore %u\n", size,
	       flows, rte_lcore_id());
	fflush(stdout);
	while (!force_quit) {
		if (rte_pktmbuf_alloc_bulk(pool, m, BURST) != 0) {
			no_mbuf++;
			continue;
		}
		flow = sent % flows;
		for (unsigned i = 0; i < BURST; i++) {
			uint8_t *f = rte_pktmbuf_mtod(m[i], uint8_t *);
			struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + L3);
			struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(f + L4);
			uint16_t port = rte_cpu_to_be_16(SPORT + flow);

			if (full) {
				udp->src_port = port;
				udp->dgram_cksum = 0;
				udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
				ip->hdr_checksum = 0;
				ip->hdr_checksum = rte_ipv4_cksum(ip);
			} else {
				uint16_t old = rte_be_to_cpu_16(udp->src_port);
				uint16_t c = rte_be_to_cpu_16(udp->dgram_cksum);

				udp->src_port = port;
				if (c != 0) { /* 0: no UDP checksum */
					c = cksum_adjust(c, old, SPORT + flow);
					udp->dgram_cksum =
						rte_cpu_to_be_16(c ? c : 0xffff);
				}
			}
			if (++flow == flows)
				flow = 0;
			m[i]->data_len = m[i]->pkt_len = size;
		}
		uint16_t k = rte_eth_tx_burst(0, 0, m, BURST);

		if (k < BURST)
			rte_pktmbuf_free_bulk(&m[k], BURST - k);
		sent += k;
		generated += BURST;
	}
	return 0;
}

/* The template: Ethernet, IPv4, UDP, zero payload, checksums filled in. */
static void build_frame(uint8_t *f)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + L3);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(f + L4);
	static const struct rte_ether_addr src = {{2, 0, 0, 0, 0, 1}};
	static const struct rte_ether_addr dst = {{2, 0, 0, 0, 0, 2}};

	memset(f, 0, size);
	eth->src_addr = src;
	eth->dst_addr = dst;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(size - L3);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(RTE_IPV4(10, 0, 0, 1));
	ip->dst_addr = rte_cpu_to_be_32(RTE_IPV4(10, 0, 0, 2));
	udp->src_port = rte_cpu_to_be_16(SPORT);
	udp->dst_port = rte_cpu_to_be_16(9);
	udp->dgram_len = rte_cpu_to_be_16(size - L4);
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

/* Stamps the template into every mbuf of the pool, once. */
static void fill_pool(struct rte_mempool *pool)
{
	static struct rte_mbuf *all[NB_MBUF];
	unsigned n = 0;

	while (n < NB_MBUF && (all[n] = rte_pktmbuf_alloc(pool)) != NULL)
		n++;
	for (unsigned i = 0; i < n; i++)
		build_frame(rte_pktmbuf_mtod(all[i], uint8_t *));
	rte_pktmbuf_free_bulk(all, n);
}

static void parse_args(int argc, char **argv, unsigned *seconds)
{
	static const struct option longopts[] = {
		{ "checksum", required_argument, NULL, 'c' },
		{ "flows", required_argument, NULL, 'f' },
		{ "size", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "t:", longopts, NULL)) != -1) {
		if (opt == 't')
			*seconds = (unsigned)atoi(optarg);
		else if (opt == 'c' && strcmp(optarg, "full") == 0)
			full = 1;
		else if (opt == 'c' && strcmp(optarg, "incremental") == 0)
			full = 0;
		else if (opt == 'f' && atoi(optarg) >= 1 &&
			 atoi(optarg) <= 65536 - SPORT)
			flows = (unsigned)atoi(optarg);
		else if (opt == 's' && atoi(optarg) >= 60 &&
			 atoi(optarg) <= RTE_MBUF_DEFAULT_DATAROOM)
			size = (unsigned)atoi(optarg);
		else
			rte_exit(EXIT_FAILURE,
				 "usage: pktgen [EAL] -- [-t SECONDS] "
				 "[--checksum incremental|full] [--flows F] "
				 "[--size BYTES]\n");
	}
}

int main(int argc, char **argv)
{
	struct rte_mempool *pool;
	struct rte_eth_conf conf;
	unsigned seconds = 5, lcore;
	int ret = rte_eal_init(argc, argv);

	if (ret < 0)
		rte_exit(EXIT_FAILURE, "cannot init EAL\n");
	parse_args(argc - ret, argv + ret, &seconds);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	if (rte_eth_dev_count_avail() < 1)
		rte_exit(EXIT_FAILURE, "no port: add one, e.g. --vdev=net_null0\n");
	lcore = rte_get_next_lcore(-1, 1, 0);
	if (lcore >= RTE_MAX_LCORE)
		rte_exit(EXIT_FAILURE, "need a worker lcore (-l 0,1)\n");
	pool = rte_pktmbuf_pool_create("pktgen_pool", NB_MBUF, 256, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE,
				       rte_socket_id());
	if (pool == NULL)
		rte_exit(EXIT_FAILURE, "cannot create mbuf pool\n");
	fill_pool(pool);
	memset(&conf, 0, sizeof(conf));
	if (rte_eth_dev_configure(0, 1, 1, &conf) < 0 ||
	    rte_eth_rx_queue_setup(0, 0, 512, rte_eth_dev_socket_id(0), NULL,
				   pool) < 0 ||
	    rte_eth_tx_queue_setup(0, 0, 1024, rte_eth_dev_socket_id(0),
				   NULL) < 0 ||
	    rte_eth_dev_start(0) < 0)
		rte_exit(EXIT_FAILURE, "cannot set up port 0\n");

	uint64_t start = rte_get_timer_cycles(), last = start, last_tx = 0;

	rte_eal_remote_launch(gen_lcore, pool, lcore);
	for (unsigned s = 1; !force_quit && (seconds == 0 || s <= seconds); s++) {
		struct rte_eth_stats st;
		uint64_t now;

		sleep(1);
		if (rte_eth_stats_get(0, &st) != 0)
			continue;
		now = rte_get_timer_cycles();
		printf("%us: %.0f pps\n", s, (st.opackets - last_tx) /
		       ((double)(now - last) / rte_get_timer_hz()));
		fflush(stdout);
		last = now;
		last_tx = st.opackets;
	}
	force_quit = 1;
	rte_eal_wait_lcore(lcore);

	double secs = (double)(rte_get_timer_cycles() - start) /
		      rte_get_timer_hz();

	printf("{\"example\":\"pktgen\",\"impl\":\"c\",\"checksum\":\"%s\","
	       "\"flows\":%u,\"size\":%u,\"seconds\":%.3f,\"generated\":%" PRIu64
	       ",\"sent\":%" PRIu64 ",\"noMbuf\":%" PRIu64 ",\"mpps\":%.3f}\n",
	       full ? "full" : "incremental", flows, size, secs, generated,
	       sent, no_mbuf, sent / secs / 1e6);
	rte_eth_dev_stop(0);
	rte_eth_dev_close(0);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return 0;
}
