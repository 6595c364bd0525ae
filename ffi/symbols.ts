/**
 * The one FFI symbol table: the shim's functions (`shim_*`, shim/*.c) and
 * the DPDK functions that are exported as they are. The shim links DPDK's
 * libraries, so every symbol resolves through the one `Deno.dlopen` of the
 * shim. Each parameter is named by the comment after it (the C name).
 *
 * Hot-path symbols are synchronous and take only numbers and pointers
 * (arrays cross as the pointers `ptrArray` and `MbufBurst` remember), so
 * V8 compiles calls to them as fast calls. `buffer` parameters appear only
 * on control paths.
 *
 * @module
 */

export const symbols = {
  // ---- shim: build information, contract, errors, lcores ----
  shim_abi: { parameters: [], result: "u32" },
  shim_build_version_string: { parameters: [], result: "pointer" },
  shim_contract_count: { parameters: [], result: "u32" },
  shim_contract_name: {
    parameters: [
      "u32", // unsigned i
    ],
    result: "pointer",
  },
  shim_contract_value: {
    parameters: [
      "u32", // unsigned i
    ],
    result: "u64",
  },
  shim_errno: { parameters: [], result: "i32" },
  shim_set_errno: {
    parameters: [
      "i32", // int e
    ],
    result: "void",
  },
  shim_lcore_id: { parameters: [], result: "u32" },
  shim_current_cpu: { parameters: [], result: "i32" },
  shim_tsc_cycles: { parameters: [], result: "f64" },
  shim_lcore_bind: {
    parameters: [
      "u32", // unsigned lcore_id
    ],
    result: "i32",
  },
  shim_lcore_unbind: { parameters: [], result: "void" },
  shim_thread_avoid_lcores: {
    parameters: [
      "buffer", // const uint32_t *busy
      "u32", // unsigned n
      "u32", // uint32_t fallback
    ],
    result: "i32", // CPUs the thread may use, or -errno
  },
  shim_thread_cpus: { parameters: [], result: "u64" }, // mask of CPUs 0..63
  shim_proc_start_time: {
    parameters: [
      "i32", // int32_t pid
    ],
    result: "f64",
  },

  // ---- shim: rings (hot) ----
  shim_ring_enqueue_burst: {
    parameters: [
      "pointer", // struct rte_ring *r
      "pointer", // void **objs
      "u32", // unsigned n
    ],
    result: "u32",
  },
  shim_ring_dequeue_burst: {
    parameters: [
      "pointer", // struct rte_ring *r
      "pointer", // void **objs
      "u32", // unsigned n
    ],
    result: "u32",
  },
  shim_ring_enqueue_bulk: {
    parameters: [
      "pointer", // struct rte_ring *r
      "pointer", // void **objs
      "u32", // unsigned n
    ],
    result: "u32",
  },
  shim_ring_dequeue_locate: {
    parameters: [
      "pointer", // struct rte_ring *r
      "pointer", // void **objs
      "u32", // unsigned n
      "pointer", // uintptr_t base
      "pointer", // uint32_t *off
    ],
    result: "u32",
  },
  shim_ring_count: {
    parameters: [
      "pointer", // const struct rte_ring *r
    ],
    result: "u32",
  },
  shim_ring_free_count: {
    parameters: [
      "pointer", // const struct rte_ring *r
    ],
    result: "u32",
  },
  shim_ring_capacity: {
    parameters: [
      "pointer", // const struct rte_ring *r
    ],
    result: "u32",
  },

  // ---- shim: mempools and mbufs (hot) ----
  shim_mempool_get_bulk: {
    parameters: [
      "pointer", // struct rte_mempool *mp
      "pointer", // void **objs
      "u32", // unsigned n
    ],
    result: "i32",
  },
  shim_mempool_get_locate: {
    parameters: [
      "pointer", // struct rte_mempool *mp
      "pointer", // void **objs
      "u32", // unsigned n
      "pointer", // uintptr_t base
      "pointer", // uint32_t *off
    ],
    result: "i32",
  },
  shim_mempool_put_bulk: {
    parameters: [
      "pointer", // struct rte_mempool *mp
      "pointer", // void **objs
      "u32", // unsigned n
    ],
    result: "void",
  },
  shim_mempool_size: {
    parameters: [
      "pointer", // const struct rte_mempool *mp
    ],
    result: "u32",
  },
  shim_mempool_elt_size: {
    parameters: [
      "pointer", // const struct rte_mempool *mp
    ],
    result: "u32",
  },
  shim_pktmbuf_data_room: {
    parameters: [
      "pointer", // struct rte_mempool *mp
    ],
    result: "i32",
  },
  shim_mempool_span: {
    parameters: [
      "pointer", // struct rte_mempool *mp
      "buffer", // uint64_t *span (2)
    ],
    result: "void",
  },
  shim_pktmbuf_free_bulk: {
    parameters: [
      "pointer", // struct rte_mbuf **m
      "u32", // unsigned n
    ],
    result: "void",
  },
  shim_pktmbuf_free_range: {
    parameters: [
      "pointer", // struct rte_mbuf **m
      "u32", // unsigned from
      "u32", // unsigned to
    ],
    result: "void",
  },
  shim_ptr_offsets: {
    parameters: [
      "pointer", // void **objs
      "u32", // unsigned n
      "pointer", // uintptr_t base
      "buffer", // uint32_t *off
    ],
    result: "void",
  },
  shim_offsets_to_ptrs: {
    parameters: [
      "buffer", // const uint32_t *off
      "u32", // unsigned n
      "pointer", // uintptr_t base
      "pointer", // void **objs
    ],
    result: "void",
  },
  shim_ptr_stride: {
    parameters: [
      "pointer", // void *const *src
      "u32", // unsigned n
      "u32", // unsigned first
      "u32", // unsigned stride
      "pointer", // void **dst
      "u32", // unsigned room
    ],
    result: "u32",
  },
  shim_mbuf_data: {
    parameters: [
      "pointer", // struct rte_mbuf **m
      "u32", // unsigned n
      "pointer", // uintptr_t base
      "pointer", // uint32_t *off
      "pointer", // uint16_t *len
    ],
    result: "void",
  },
  shim_mbuf_set_len: {
    parameters: [
      "pointer", // struct rte_mbuf **m
      "u32", // unsigned n
      "pointer", // const uint16_t *len
    ],
    result: "i32",
  },
  shim_pktmbuf_alloc_locate: {
    parameters: [
      "pointer", // struct rte_mempool *mp
      "pointer", // struct rte_mbuf **m
      "u32", // unsigned n
      "pointer", // uintptr_t base
      "pointer", // uint32_t *off
      "pointer", // uint16_t *len
    ],
    result: "i32",
  },

  // ---- shim: memzones ----
  shim_memzone_addr: {
    parameters: [
      "pointer", // const struct rte_memzone *mz
    ],
    result: "pointer",
  },
  shim_memzone_len: {
    parameters: [
      "pointer", // const struct rte_memzone *mz
    ],
    result: "u64",
  },
  shim_atomic_cas_u32: {
    parameters: [
      "pointer", // uint32_t *p
      "u32", // uint32_t expected
      "u32", // uint32_t desired
    ],
    result: "u32",
  },

  // ---- shim: ethdev bursts (hot) ----
  shim_eth_rx_burst: {
    parameters: [
      "u16", // uint16_t port
      "u16", // uint16_t queue
      "pointer", // struct rte_mbuf **m
      "u16", // uint16_t n
    ],
    result: "u16",
  },
  shim_eth_tx_burst: {
    parameters: [
      "u16", // uint16_t port
      "u16", // uint16_t queue
      "pointer", // struct rte_mbuf **m
      "u16", // uint16_t n
    ],
    result: "u16",
  },
  shim_eth_tx_burst_free: {
    parameters: [
      "u16", // uint16_t port
      "u16", // uint16_t queue
      "pointer", // struct rte_mbuf **m
      "u16", // uint16_t n
    ],
    result: "u16",
  },
  shim_eth_rx_locate: {
    parameters: [
      "u16", // uint16_t port
      "u16", // uint16_t queue
      "pointer", // struct rte_mbuf **m
      "u16", // uint16_t n
      "pointer", // uintptr_t base
      "pointer", // uint32_t *off
      "pointer", // uint16_t *len
    ],
    result: "u16",
  },
  shim_eth_tx_rx_locate: {
    parameters: [
      "u16", // uint16_t tx_port
      "u16", // uint16_t tx_queue
      "pointer", // struct rte_mbuf **tx_m
      "u16", // uint16_t ntx
      "u16", // uint16_t port
      "u16", // uint16_t queue
      "pointer", // struct rte_mbuf **m
      "u16", // uint16_t nrx
      "pointer", // uintptr_t base
      "pointer", // uint32_t *off
      "pointer", // uint16_t *len
    ],
    result: "u32", // rx | sent << 16
  },
  shim_eth_forward_burst: {
    parameters: [
      "u16", // uint16_t port
      "u16", // uint16_t queue
      "u16", // uint16_t dst_port
      "u16", // uint16_t dst_queue
      "pointer", // struct rte_mbuf **m
      "u16", // uint16_t n
    ],
    result: "u32",
  },
  shim_eth_forward_paths: {
    parameters: [
      "pointer", // const uint16_t *paths (4 per path)
      "u32", // unsigned n
      "pointer", // struct rte_mbuf **m
      "u16", // uint16_t burst
      "u32", // unsigned rounds
      "pointer", // double *rx
      "pointer", // double *tx
    ],
    result: "f64", // packets received
  },

  // ---- shim: TX buffers and routing tables ----
  shim_tx_buffer_create: {
    parameters: [
      "u16", // uint16_t size
      "i32", // int socket
    ],
    result: "pointer",
  },
  shim_tx_buffer_free: {
    parameters: [
      "pointer", // struct shim_txb *t
    ],
    result: "i32",
  },
  shim_tx_buffer_check: {
    parameters: [
      "pointer", // struct shim_txb *t
    ],
    result: "pointer",
  },
  shim_tx_buffer_burst: {
    parameters: [
      "u16", // uint16_t port
      "u16", // uint16_t queue
      "pointer", // struct shim_txb *t
      "pointer", // struct rte_mbuf **m
      "u16", // uint16_t n
    ],
    result: "u16",
  },
  shim_tx_buffer_flush: {
    parameters: [
      "u16", // uint16_t port
      "u16", // uint16_t queue
      "pointer", // struct shim_txb *t
    ],
    result: "u16",
  },
  shim_tx_buffer_length: {
    parameters: [
      "pointer", // const struct shim_txb *t
    ],
    result: "u16",
  },
  shim_tx_table_create: { parameters: [], result: "pointer" },
  shim_tx_table_set: {
    parameters: [
      "pointer", // struct shim_txt *t
      "u16", // uint16_t in_port
      "u16", // uint16_t out_port
      "u16", // uint16_t out_queue
      "pointer", // struct shim_txb *txb
    ],
    result: "i32",
  },
  shim_tx_table_free: {
    parameters: [
      "pointer", // struct shim_txt *t
    ],
    result: "i32",
  },
  shim_tx_table_check: {
    parameters: [
      "pointer", // struct shim_txt *t
    ],
    result: "pointer",
  },
  shim_tx_table_burst: {
    parameters: [
      "pointer", // struct shim_txt *t
      "pointer", // struct rte_mbuf **m
      "u16", // uint16_t n
    ],
    result: "u16",
  },

  // ---- shim: ethdev control ----
  shim_eth_configure: {
    parameters: [
      "u16", // uint16_t port
      "u16", // uint16_t nb_rx
      "u16", // uint16_t nb_tx
      "u32", // uint32_t mq_mode
      "u64", // uint64_t rss_hf
      "u64", // uint64_t rx_offloads
      "u64", // uint64_t tx_offloads
    ],
    result: "i32",
  },
  shim_eth_info: {
    parameters: [
      "u16", // uint16_t port
      "buffer", // uint64_t *out (info.len)
      "buffer", // char *name (SHIM_NAME_LEN)
    ],
    result: "i32",
  },
  shim_eth_rx_queue_setup: {
    parameters: [
      "u16", // uint16_t port
      "u16", // uint16_t q
      "u16", // uint16_t nb_desc
      "pointer", // struct rte_mempool *mp
      "u8", // uint8_t drop_en
    ],
    result: "i32",
  },
  shim_eth_tx_queue_setup: {
    parameters: [
      "u16", // uint16_t port
      "u16", // uint16_t q
      "u16", // uint16_t nb_desc
    ],
    result: "i32",
  },
  shim_eth_link: {
    parameters: [
      "u16", // uint16_t port
      "buffer", // uint32_t *out (link.len)
    ],
    result: "i32",
  },
  shim_eth_stats: {
    parameters: [
      "u16", // uint16_t port
      "buffer", // uint64_t *out (stats.len + 2 * nq)
      "u32", // unsigned nq
    ],
    result: "i32",
  },

  // ---- DPDK: EAL ----
  rte_eal_init: {
    parameters: [
      "i32", // int argc
      "buffer", // char **argv
    ],
    result: "i32",
  },
  rte_eal_cleanup: { parameters: [], result: "i32" },
  rte_eal_process_type: { parameters: [], result: "i32" },
  rte_eal_primary_proc_alive: {
    parameters: [
      "pointer", // const char *config_file_path
    ],
    result: "i32",
  },
  rte_strerror: {
    parameters: [
      "i32", // int errnum
    ],
    result: "pointer",
  },
  rte_version: { parameters: [], result: "pointer" },
  rte_get_main_lcore: { parameters: [], result: "u32" },
  rte_get_next_lcore: {
    parameters: [
      "u32", // unsigned i
      "i32", // int skip_main
      "i32", // int wrap
    ],
    result: "u32",
  },
  rte_socket_id: { parameters: [], result: "u32" },
  rte_get_tsc_hz: { parameters: [], result: "u64" },
  rte_eal_get_runtime_dir: { parameters: [], result: "pointer" },

  // ---- DPDK: rings, mempools, memzones ----
  rte_ring_create: {
    parameters: [
      "buffer", // const char *name
      "u32", // unsigned count
      "i32", // int socket_id
      "u32", // unsigned flags
    ],
    result: "pointer",
  },
  rte_ring_lookup: {
    parameters: [
      "buffer", // const char *name
    ],
    result: "pointer",
  },
  rte_ring_free: {
    parameters: [
      "pointer", // struct rte_ring *r
    ],
    result: "void",
  },
  rte_mempool_create: {
    parameters: [
      "buffer", // const char *name
      "u32", // unsigned n
      "u32", // unsigned elt_size
      "u32", // unsigned cache_size
      "u32", // unsigned private_data_size
      "pointer", // rte_mempool_ctor_t *mp_init
      "pointer", // void *mp_init_arg
      "pointer", // rte_mempool_obj_cb_t *obj_init
      "pointer", // void *obj_init_arg
      "i32", // int socket_id
      "u32", // unsigned flags
    ],
    result: "pointer",
  },
  rte_pktmbuf_pool_create: {
    parameters: [
      "buffer", // const char *name
      "u32", // unsigned n
      "u32", // unsigned cache_size
      "u16", // uint16_t priv_size
      "u16", // uint16_t data_room_size
      "i32", // int socket_id
    ],
    result: "pointer",
  },
  rte_mempool_lookup: {
    parameters: [
      "buffer", // const char *name
    ],
    result: "pointer",
  },
  rte_mempool_free: {
    parameters: [
      "pointer", // struct rte_mempool *mp
    ],
    result: "void",
  },
  rte_mempool_avail_count: {
    parameters: [
      "pointer", // const struct rte_mempool *mp
    ],
    result: "u32",
  },
  rte_mempool_in_use_count: {
    parameters: [
      "pointer", // const struct rte_mempool *mp
    ],
    result: "u32",
  },
  rte_memzone_reserve: {
    parameters: [
      "buffer", // const char *name
      "usize", // size_t len
      "i32", // int socket_id
      "u32", // unsigned flags
    ],
    result: "pointer",
  },
  rte_memzone_lookup: {
    parameters: [
      "buffer", // const char *name
    ],
    result: "pointer",
  },
  rte_memzone_free: {
    parameters: [
      "pointer", // const struct rte_memzone *mz
    ],
    result: "i32",
  },

  // ---- DPDK: ethdev ----
  rte_eth_dev_count_avail: { parameters: [], result: "u16" },
  rte_eth_dev_is_valid_port: {
    parameters: [
      "u16", // uint16_t port_id
    ],
    result: "i32",
  },
  rte_eth_dev_socket_id: {
    parameters: [
      "u16", // uint16_t port_id
    ],
    result: "i32",
  },
  rte_eth_dev_get_name_by_port: {
    parameters: [
      "u16", // uint16_t port_id
      "buffer", // char *name (RTE_ETH_NAME_MAX_LEN)
    ],
    result: "i32",
  },
  rte_eth_dev_start: {
    parameters: [
      "u16", // uint16_t port_id
    ],
    result: "i32",
  },
  rte_eth_dev_stop: {
    parameters: [
      "u16", // uint16_t port_id
    ],
    result: "i32",
  },
  rte_eth_dev_close: {
    parameters: [
      "u16", // uint16_t port_id
    ],
    result: "i32",
  },
  rte_eth_promiscuous_enable: {
    parameters: [
      "u16", // uint16_t port_id
    ],
    result: "i32",
  },
  rte_eth_macaddr_get: {
    parameters: [
      "u16", // uint16_t port_id
      "buffer", // struct rte_ether_addr *mac_addr
    ],
    result: "i32",
  },
  rte_eth_stats_reset: {
    parameters: [
      "u16", // uint16_t port_id
    ],
    result: "i32",
  },
  rte_eth_dev_adjust_nb_rx_tx_desc: {
    parameters: [
      "u16", // uint16_t port_id
      "buffer", // uint16_t *nb_rx_desc
      "buffer", // uint16_t *nb_tx_desc
    ],
    result: "i32",
  },
  rte_eth_from_rings: {
    parameters: [
      "buffer", // const char *name
      "buffer", // struct rte_ring *const rx_queues[]
      "u32", // unsigned nb_rx_queues
      "buffer", // struct rte_ring *const tx_queues[]
      "u32", // unsigned nb_tx_queues
      "u32", // unsigned numa_node
    ],
    result: "i32",
  },
  // ---- packets: checksums and offloads (shim/packet.c) ----
  shim_raw_cksum: {
    parameters: [
      "buffer", // const void *buf
      "u32", // len
    ],
    result: "u16", // folded sum, host order
  },
  shim_ipv4_cksum: {
    parameters: [
      "buffer", // const struct rte_ipv4_hdr *ip_hdr
    ],
    result: "u16", // checksum, host order
  },
  shim_ipv4_phdr_cksum: {
    parameters: [
      "buffer", // const struct rte_ipv4_hdr *ip_hdr
      "u64", // ol_flags
    ],
    result: "u16", // pseudo-header sum, host order
  },
  shim_ipv4_udptcp_cksum: {
    parameters: [
      "buffer", // const struct rte_ipv4_hdr *ip_hdr
      "buffer", // const void *l4_hdr
    ],
    result: "u16", // checksum, host order
  },
  shim_ipv6_phdr_cksum: {
    parameters: [
      "buffer", // const struct rte_ipv6_hdr *ip_hdr
      "u64", // ol_flags
    ],
    result: "u16", // pseudo-header sum, host order
  },
  shim_ipv6_udptcp_cksum: {
    parameters: [
      "buffer", // const struct rte_ipv6_hdr *ip_hdr
      "buffer", // const void *l4_hdr
    ],
    result: "u16", // checksum, host order
  },
  shim_packet_contract_names: { parameters: [], result: "pointer" },
  shim_packet_contract: {
    parameters: [
      "buffer", // uint64_t *out
      "u32", // n
    ],
    result: "i32", // entries, or -errno
  },
  shim_packet_mbuf_read: {
    parameters: [
      "buffer", // const struct rte_mbuf *m
      "buffer", // uint64_t *out (9)
    ],
    result: "void",
  },
  shim_packet_mbuf_write: {
    parameters: [
      "buffer", // struct rte_mbuf *m
      "buffer", // const uint64_t *in (8)
    ],
    result: "void",
  },
  shim_mbuf_timestamp_offset: { parameters: [], result: "i32" },
  shim_mbuf_timestamp_register: {
    parameters: [
      "buffer", // uint64_t *rx_flag
    ],
    result: "i32", // offset, or -errno
  },

  // ---- measurement (shim/measure.c) ----

  // ---- introspection (shim/introspect.c) ----
  shim_introspect_memzones: {
    parameters: [
      "buffer", // char *buf
      "u32", // uint32_t cap
    ],
    result: "i32", // JSON length needed, or -errno
  },
  shim_introspect_rings: {
    parameters: [
      "buffer", // char *buf
      "u32", // uint32_t cap
    ],
    result: "i32", // JSON length needed, or -errno
  },
  shim_introspect_mempools: {
    parameters: [
      "buffer", // char *buf
      "u32", // uint32_t cap
    ],
    result: "i32", // JSON length needed, or -errno
  },
  shim_introspect_port: {
    parameters: [
      "u16", // uint16_t port
      "buffer", // char *buf
      "u32", // uint32_t cap
    ],
    result: "i32", // JSON length needed, or -errno
  },
  shim_introspect_xstats: {
    parameters: [
      "u16", // uint16_t port
      "buffer", // char *buf
      "u32", // uint32_t cap
    ],
    result: "i32", // JSON length needed, or -errno
  },
  shim_introspect_xstats_reset: {
    parameters: [
      "u16", // uint16_t port
    ],
    result: "i32", // 0 or -errno
  },
  shim_telemetry_open: {
    parameters: [
      "buffer", // const char *path
      "buffer", // char *info
      "u32", // uint32_t cap
      "u32", // uint32_t timeout_ms
    ],
    result: "i32", // socket, or -errno
    nonblocking: true,
  },
  shim_telemetry_query: {
    parameters: [
      "i32", // int fd
      "buffer", // const char *cmd
      "buffer", // char *out
      "u32", // uint32_t cap
    ],
    result: "i32", // reply length, or -errno
    nonblocking: true,
  },
  shim_telemetry_close: {
    parameters: [
      "i32", // int fd
    ],
    result: "i32", // 0 or -errno
  },
  shim_file_read: {
    parameters: [
      "buffer", // const char *path
      "buffer", // char *buf
      "u32", // uint32_t cap
    ],
    result: "i32", // bytes read, or -errno
  },
  shim_file_size: {
    parameters: [
      "buffer", // const char *path
    ],
    result: "f64", // bytes, or -errno
  },
  shim_file_lock_holder: {
    parameters: [
      "buffer", // const char *path
    ],
    result: "i32", // holder's PID, 0 when unlocked, or -errno
  },
  shim_env_take: {
    parameters: [
      "buffer", // const char *name
    ],
    result: "i32", // its decimal value (0 when unset)
  },
  shim_reexec: {
    parameters: [
      "buffer", // const char *name
      "u32", // uint32_t value
    ],
    result: "i32", // returns only on failure: -errno
  },
  shim_reserve_va: {
    parameters: [
      "u64", // uint64_t addr
      "u64", // uint64_t len
    ],
    result: "i32", // 0 or -errno
  },
  shim_release_va: {
    parameters: [
      "u64", // uint64_t addr
      "u64", // uint64_t len
    ],
    result: "i32", // 0 or -errno
  },
  shim_log_capture: {
    parameters: [
      "i32", // int forward
    ],
    result: "i32", // 0 or -errno
  },
  shim_log_captured: {
    parameters: [
      "buffer", // char *buf
      "u32", // uint32_t cap
      "i32", // int clear
    ],
    result: "i32", // captured length
  },
  shim_log_release: { parameters: [], result: "void" },
  shim_stdout_to_stderr: {
    parameters: [
      "i32", // int on
    ],
    result: "i32", // 0 or -errno
  },

  // ---- hotplug (shim/hotplug.c) ----
  shim_devargs_split: {
    parameters: [
      "buffer", // const char *devargs
      "buffer", // char *bus (hotplug.name_len)
      "buffer", // char *name (hotplug.name_len)
    ],
    result: "i32", // 0, or -errno
  },
  shim_dev_attached: {
    parameters: [
      "buffer", // const char *bus
      "buffer", // const char *name
    ],
    result: "i32", // 1 attached, 0 not
  },
  shim_eal_has_pci: { parameters: [], result: "i32" },
  shim_eth_next_port: {
    parameters: [
      "u32", // uint32_t from
    ],
    result: "u32", // port, or RTE_MAX_ETHPORTS
  },
  shim_eth_port_names: {
    parameters: [
      "u16", // uint16_t port
      "buffer", // char *name (hotplug.name_len)
      "buffer", // char *driver (hotplug.name_len)
      "buffer", // char *device (hotplug.name_len)
      "buffer", // char *bus (hotplug.name_len)
    ],
    result: "i32", // 0, or -errno
  },
  shim_eth_started: {
    parameters: [
      "u16", // uint16_t port
    ],
    result: "i32", // 1 started, 0 stopped, or -errno
  },
  rte_dev_probe: {
    parameters: [
      "buffer", // const char *devargs
    ],
    result: "i32", // 0, or -errno
  },
  rte_eal_hotplug_remove: {
    parameters: [
      "buffer", // const char *busname
      "buffer", // const char *devname
    ],
    result: "i32", // 0, or -errno
  },
  // ---- health (shim/health.c) ----
  shim_test_wedge_pool: {
    parameters: [
      "pointer", // struct rte_mempool *mp
      "u32", // uint32_t n
    ],
    result: "i32",
  },
  shim_ring_positions: {
    parameters: [
      "pointer", // const struct rte_ring *r
      "buffer", // uint32_t *out (ringpos.len)
    ],
    result: "i32", // 0, or -errno
  },
  shim_mempool_ring_positions: {
    parameters: [
      "pointer", // const struct rte_mempool *mp
      "buffer", // uint32_t *out (ringpos.len)
    ],
    result: "i32", // 0, or -errno (-ENOTSUP: not ring-based)
  },
  shim_mempool_cache_len: {
    parameters: [
      "pointer", // const struct rte_mempool *mp
      "u32", // uint32_t lcore_id
    ],
    result: "i32", // objects in that lcore's cache, or -errno
  },
  shim_held_get: {
    parameters: [
      "pointer", // struct rte_mempool *mp
      "pointer", // void **objs
      "u32", // uint32_t n
      "pointer", // struct shim_held *h
    ],
    result: "i32", // 0, or -ENOENT
  },
  shim_held_enqueue_bulk: {
    parameters: [
      "pointer", // struct rte_ring *r
      "pointer", // void **objs
      "u32", // uint32_t n
      "pointer", // struct shim_held *h
    ],
    result: "u32", // n or 0
  },
  shim_held_dequeue_burst: {
    parameters: [
      "pointer", // struct rte_ring *r
      "pointer", // void **objs
      "u32", // uint32_t n
      "pointer", // struct shim_held *h
    ],
    result: "u32", // dequeued
  },
  shim_held_put: {
    parameters: [
      "pointer", // struct rte_mempool *mp
      "pointer", // void **objs
      "u32", // uint32_t n
      "pointer", // struct shim_held *h
    ],
    result: "void",
  },
  shim_held_reclaim: {
    parameters: [
      "pointer", // struct rte_mempool *mp
      "pointer", // struct shim_held *h
      "buffer", // uint32_t *out (2: returned, unknown)
    ],
    result: "i32", // the step it was in (held.phase_*), or -errno
  },
  shim_group_members: {
    parameters: [
      "buffer", // const char *dir
      "buffer", // int32_t *out (primary, then others)
      "u32", // uint32_t cap
    ],
    result: "i32", // entries written, or -errno
  },
  shim_runtime_root: {
    parameters: [
      "buffer", // char *buf
      "u32", // uint32_t cap
    ],
    result: "i32", // length, or -errno
  },
  shim_getuid: { parameters: [], result: "u32" },
  shim_proc_age_ms: {
    parameters: [
      "i32", // int32_t pid
    ],
    result: "f64", // milliseconds, or -errno
  },
  shim_unwritable_hugepage_mounts: {
    parameters: [
      "buffer", // char *buf
      "u32", // uint32_t cap
    ],
    result: "i32", // length, or -errno
  },
} as const satisfies Deno.ForeignLibraryInterface;

/** The loaded library's symbols, typed from the table. */
export type Symbols = Deno.DynamicLibrary<typeof symbols>["symbols"];
