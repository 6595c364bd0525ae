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

  // ---- measurement (shim/measure.c) ----

  // ---- introspection (shim/introspect.c) ----

  // ---- hotplug (shim/hotplug.c) ----
} as const satisfies Deno.ForeignLibraryInterface;

/** The loaded library's symbols, typed from the table. */
export type Symbols = Deno.DynamicLibrary<typeof symbols>["symbols"];
