/**
 * The round-robin arithmetic of mp_server (`process_packets` of
 * mp_server/main.c): packet i of a burst of n goes to client
 * (position + i) % clients, and the position carries over to the next
 * burst. The server hands each client its share in one stride copy
 * (`MbufBurst.takeEvery(rx, n, first, clients)`), so it needs, per client,
 * the index of its first packet and how many it gets. Pure and allocation
 * free: called per client per burst.
 *
 * @module
 */

/**
 * Index in the burst of the first packet of `client`, when the burst's
 * first packet goes to client `position` (all in 0..clients-1). The
 * client's packets are then `first, first + clients, ...` below n.
 */
export function firstOfClient(
  position: number,
  client: number,
  clients: number,
): number {
  return (client - position + clients) % clients;
}

/**
 * How many of a burst of `n` packets a client gets whose first packet is
 * at `first` (from {@linkcode firstOfClient}): every `clients`-th from it.
 */
export function shareOf(n: number, first: number, clients: number): number {
  return first < n ? Math.floor((n - first - 1) / clients) + 1 : 0;
}

/** The position after a burst of `n` packets starting at `position`. */
export function nextPosition(
  position: number,
  n: number,
  clients: number,
): number {
  return (position + n) % clients;
}
