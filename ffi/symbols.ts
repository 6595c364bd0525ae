/**
 * The one FFI symbol table: the shim's functions (`shim_*`, see
 * shim/dpdk_shim.c) and the DPDK functions that are exported as they are.
 * The shim links DPDK's libraries, so every symbol resolves through the one
 * `Deno.dlopen` of the shim.
 *
 * Hot-path symbols are synchronous and take only numbers, pointers and
 * typed-array buffers, so V8 compiles calls to them as fast calls.
 *
 * @module
 */

export const symbols = {
  // ---- shim: build information, errors, lcores ----
  shim_build_version: { parameters: [], result: "u32" },
  shim_build_version_string: { parameters: [], result: "pointer" },
  shim_abi: { parameters: [], result: "u32" },
  shim_errno: { parameters: [], result: "i32" },
  shim_lcore_id: { parameters: [], result: "u32" },
  shim_current_cpu: { parameters: [], result: "i32" },
  shim_tsc_cycles: { parameters: [], result: "f64" },
  shim_lcore_bind: { parameters: ["u32"], result: "i32" },
  shim_lcore_unbind: { parameters: [], result: "void" },
  shim_proc_start_time: { parameters: ["i32"], result: "f64" },

  // ---- shim: rings (hot) ----
  shim_ring_enqueue_burst: {
    parameters: ["pointer", "buffer", "u32"],
    result: "u32",
  },
  shim_ring_dequeue_burst: {
    parameters: ["pointer", "buffer", "u32"],
    result: "u32",
  },
  shim_ring_enqueue_bulk: {
    parameters: ["pointer", "buffer", "u32"],
    result: "u32",
  },
  shim_ring_count: { parameters: ["pointer"], result: "u32" },
  shim_ring_free_count: { parameters: ["pointer"], result: "u32" },
  shim_ring_capacity: { parameters: ["pointer"], result: "u32" },

  // ---- shim: mempools and mbufs (hot) ----
  shim_mempool_get_bulk: {
    parameters: ["pointer", "buffer", "u32"],
    result: "i32",
  },
  shim_mempool_put_bulk: {
    parameters: ["pointer", "buffer", "u32"],
    result: "void",
  },
  shim_mempool_size: { parameters: ["pointer"], result: "u32" },
  shim_mempool_elt_size: { parameters: ["pointer"], result: "u32" },
  shim_mempool_span: { parameters: ["pointer", "buffer"], result: "void" },
  shim_pktmbuf_alloc_bulk: {
    parameters: ["pointer", "buffer", "u32"],
    result: "i32",
  },
  shim_pktmbuf_free_bulk: { parameters: ["buffer", "u32"], result: "void" },
  shim_pktmbuf_free_range: {
    parameters: ["buffer", "u32", "u32"],
    result: "void",
  },
  shim_ptr_offsets: {
    parameters: ["buffer", "u32", "pointer", "buffer"],
    result: "void",
  },
  shim_offsets_to_ptrs: {
    parameters: ["buffer", "u32", "pointer", "buffer"],
    result: "void",
  },
  shim_ptr_stride: {
    parameters: ["buffer", "u32", "u32", "u32", "buffer"],
    result: "u32",
  },
  shim_mbuf_data: {
    parameters: ["buffer", "u32", "pointer", "buffer", "buffer"],
    result: "void",
  },
  shim_mbuf_set_len: {
    parameters: ["buffer", "u32", "buffer"],
    result: "void",
  },
  shim_mbuf_layout: { parameters: ["buffer"], result: "void" },

  // ---- shim: bursts whose arrays are passed as pointers (hot) ----
  // Pointer arguments cross faster than typed-array buffers; used by
  // MbufBurst.receive/send on arrays whose memory never moves.
  shim_eth_rx_locate: {
    parameters: [
      "u16",
      "u16",
      "pointer",
      "u16",
      "pointer",
      "pointer",
      "pointer",
    ],
    result: "u16",
  },
  shim_eth_tx_burst_free_ptr: {
    name: "shim_eth_tx_burst_free",
    parameters: ["u16", "u16", "pointer", "u16"],
    result: "u16",
  },
  shim_eth_forward_burst: {
    parameters: ["u16", "u16", "u16", "u16", "pointer", "u16"],
    result: "u32",
  },
  shim_mempool_get_bulk_ptr: {
    name: "shim_mempool_get_bulk",
    parameters: ["pointer", "pointer", "u32"],
    result: "i32",
  },
  shim_mempool_put_bulk_ptr: {
    name: "shim_mempool_put_bulk",
    parameters: ["pointer", "pointer", "u32"],
    result: "void",
  },
  shim_ring_enqueue_burst_ptr: {
    name: "shim_ring_enqueue_burst",
    parameters: ["pointer", "pointer", "u32"],
    result: "u32",
  },
  shim_ring_dequeue_burst_ptr: {
    name: "shim_ring_dequeue_burst",
    parameters: ["pointer", "pointer", "u32"],
    result: "u32",
  },
  shim_ring_enqueue_bulk_ptr: {
    name: "shim_ring_enqueue_bulk",
    parameters: ["pointer", "pointer", "u32"],
    result: "u32",
  },
  shim_eth_rx_burst_ptr: {
    name: "shim_eth_rx_burst",
    parameters: ["u16", "u16", "pointer", "u16"],
    result: "u16",
  },
  shim_pktmbuf_free_bulk_ptr: {
    name: "shim_pktmbuf_free_bulk",
    parameters: ["pointer", "u32"],
    result: "void",
  },
  shim_ptr_stride_ptr: {
    name: "shim_ptr_stride",
    parameters: ["pointer", "u32", "u32", "u32", "pointer"],
    result: "u32",
  },
  shim_tx_buffer_by_port_ptr: {
    name: "shim_tx_buffer_by_port",
    parameters: ["u16", "pointer", "pointer", "pointer", "u16"],
    result: "u16",
  },
  shim_pktmbuf_alloc_locate: {
    parameters: ["pointer", "pointer", "u32", "pointer", "pointer", "pointer"],
    result: "i32",
  },
  shim_mbuf_data_ptr: {
    name: "shim_mbuf_data",
    parameters: ["pointer", "u32", "pointer", "pointer", "pointer"],
    result: "void",
  },
  shim_mbuf_set_len_ptr: {
    name: "shim_mbuf_set_len",
    parameters: ["pointer", "u32", "pointer"],
    result: "void",
  },

  // ---- shim: memzones ----
  shim_memzone_addr: { parameters: ["pointer"], result: "pointer" },
  shim_memzone_len: { parameters: ["pointer"], result: "u64" },
  shim_atomic_cas_u32: {
    parameters: ["pointer", "u32", "u32"],
    result: "u32",
  },

  // ---- shim: ethdev (hot) ----
  shim_eth_rx_burst: {
    parameters: ["u16", "u16", "buffer", "u16"],
    result: "u16",
  },
  shim_eth_tx_burst: {
    parameters: ["u16", "u16", "buffer", "u16"],
    result: "u16",
  },
  shim_eth_tx_burst_free: {
    parameters: ["u16", "u16", "buffer", "u16"],
    result: "u16",
  },
  shim_tx_buffer_burst: {
    parameters: ["u16", "u16", "pointer", "buffer", "u16"],
    result: "u16",
  },
  shim_tx_buffer_flush: {
    parameters: ["u16", "u16", "pointer"],
    result: "u16",
  },
  shim_tx_buffer_length: { parameters: ["pointer"], result: "u16" },
  shim_tx_buffer_by_port: {
    parameters: ["u16", "buffer", "buffer", "buffer", "u16"],
    result: "u16",
  },

  // ---- shim: ethdev (control) ----
  shim_tx_buffer_create: { parameters: ["u16", "i32"], result: "pointer" },
  shim_tx_buffer_free: { parameters: ["pointer"], result: "void" },
  shim_eth_configure: {
    parameters: ["u16", "u16", "u16", "u32", "u64", "buffer"],
    result: "i32",
  },
  shim_eth_info: { parameters: ["u16", "buffer", "buffer"], result: "i32" },
  shim_eth_rx_queue_setup: {
    parameters: ["u16", "u16", "u16", "pointer"],
    result: "i32",
  },
  shim_eth_tx_queue_setup: {
    parameters: ["u16", "u16", "u16"],
    result: "i32",
  },
  shim_eth_link: { parameters: ["u16", "buffer"], result: "i32" },
  shim_eth_stats: { parameters: ["u16", "buffer", "u32"], result: "i32" },

  // ---- DPDK: EAL ----
  rte_eal_init: { parameters: ["i32", "buffer"], result: "i32" },
  rte_eal_cleanup: { parameters: [], result: "i32" },
  rte_eal_process_type: { parameters: [], result: "i32" },
  rte_eal_primary_proc_alive: { parameters: ["pointer"], result: "i32" },
  rte_strerror: { parameters: ["i32"], result: "pointer" },
  rte_version: { parameters: [], result: "pointer" },
  rte_lcore_count: { parameters: [], result: "u32" },
  rte_get_main_lcore: { parameters: [], result: "u32" },
  rte_get_next_lcore: { parameters: ["u32", "i32", "i32"], result: "u32" },
  rte_lcore_is_enabled: { parameters: ["u32"], result: "i32" },
  rte_lcore_to_socket_id: { parameters: ["u32"], result: "u32" },
  rte_socket_id: { parameters: [], result: "u32" },
  rte_get_tsc_hz: { parameters: [], result: "u64" },
  rte_eal_get_runtime_dir: { parameters: [], result: "pointer" },

  // ---- DPDK: rings, mempools, memzones ----
  rte_ring_create: {
    parameters: ["buffer", "u32", "i32", "u32"],
    result: "pointer",
  },
  rte_ring_lookup: { parameters: ["buffer"], result: "pointer" },
  rte_ring_free: { parameters: ["pointer"], result: "void" },
  rte_mempool_create: {
    parameters: [
      "buffer",
      "u32",
      "u32",
      "u32",
      "u32",
      "pointer",
      "pointer",
      "pointer",
      "pointer",
      "i32",
      "u32",
    ],
    result: "pointer",
  },
  rte_pktmbuf_pool_create: {
    parameters: ["buffer", "u32", "u32", "u16", "u16", "i32"],
    result: "pointer",
  },
  rte_mempool_lookup: { parameters: ["buffer"], result: "pointer" },
  rte_mempool_free: { parameters: ["pointer"], result: "void" },
  rte_mempool_avail_count: { parameters: ["pointer"], result: "u32" },
  rte_mempool_in_use_count: { parameters: ["pointer"], result: "u32" },
  rte_memzone_reserve: {
    parameters: ["buffer", "usize", "i32", "u32"],
    result: "pointer",
  },
  rte_memzone_lookup: { parameters: ["buffer"], result: "pointer" },
  rte_memzone_free: { parameters: ["pointer"], result: "i32" },

  // ---- DPDK: ethdev ----
  rte_eth_dev_count_avail: { parameters: [], result: "u16" },
  rte_eth_dev_is_valid_port: { parameters: ["u16"], result: "i32" },
  rte_eth_dev_socket_id: { parameters: ["u16"], result: "i32" },
  rte_eth_dev_get_name_by_port: {
    parameters: ["u16", "buffer"],
    result: "i32",
  },
  rte_eth_dev_start: { parameters: ["u16"], result: "i32" },
  rte_eth_dev_stop: { parameters: ["u16"], result: "i32" },
  rte_eth_dev_close: { parameters: ["u16"], result: "i32" },
  rte_eth_promiscuous_enable: { parameters: ["u16"], result: "i32" },
  rte_eth_macaddr_get: { parameters: ["u16", "buffer"], result: "i32" },
  rte_eth_stats_reset: { parameters: ["u16"], result: "i32" },
  rte_eth_dev_adjust_nb_rx_tx_desc: {
    parameters: ["u16", "buffer", "buffer"],
    result: "i32",
  },
  rte_eth_from_rings: {
    parameters: ["buffer", "buffer", "u32", "buffer", "u32", "u32"],
    result: "i32",
  },
} as const satisfies Deno.ForeignLibraryInterface;

/** The loaded library's symbols, typed from the table. */
export type Symbols = Deno.DynamicLibrary<typeof symbols>["symbols"];
