/* SPDX-License-Identifier: BSD-3-Clause
 *
 * What every shim source shares: the interface version and the contract
 * table that TypeScript reads at load (ffi/contract.ts). A fact that both
 * languages need (a limit, a flag, an offset, an index into an output array)
 * is named here once and read by name from TypeScript, never copied.
 */
#ifndef DPDK_SHIM_H
#define DPDK_SHIM_H

#include <stdint.h>

/* Interface version: bump on any change of a symbol's name, parameters or
 * meaning. ffi/lib.ts refuses a shim whose version differs from its own.
 * SHIM_ABI_OVERRIDE exists only to build a deliberately mismatched shim in
 * the tests. */
#ifdef SHIM_ABI_OVERRIDE
#define SHIM_ABI SHIM_ABI_OVERRIDE
#else
#define SHIM_ABI 4
#endif

/** One named fact of the contract. */
struct shim_fact {
	const char *name;
	uint64_t value;
};

/** A table of facts of one shim source. */
struct shim_facts {
	const struct shim_fact *facts;
	unsigned count;
};

#define SHIM_FACT(n, v) { (n), (uint64_t)(v) }

/*
 * Registers a source's table of facts: the linker gathers every
 * registration into the section "shim_facts", which shim_contract_*()
 * walk, so a new source adds facts without editing another file.
 *
 *   static const struct shim_fact packet_facts[] = { SHIM_FACT(...), ... };
 *   SHIM_REGISTER_FACTS(packet_facts);
 */
#define SHIM_REGISTER_FACTS(table) \
	static const struct shim_facts shim_facts_##table \
	__attribute__((used, section("shim_facts"), aligned(8))) = \
		{ (table), sizeof(table) / sizeof((table)[0]) }

#endif
