/**
 * Two processes passing objects through a ring.
 *
 *   deno run -A examples/ring_demo.ts [COUNT]
 *
 * The primary creates a ring and a pool, starts a copy of this script as a
 * secondary process (its own lcore ID, same --file-prefix), and sends COUNT
 * pool objects to it in bursts; the secondary sends each one back on a
 * second ring. Prints the rate and checks that every object came home.
 *
 * @module
 */

import {
  cleanupEal,
  initEal,
  Mempool,
  processType,
  ptrArray,
  Ring,
} from "../mod.ts";

const BURST = 32;
const role = Deno.args[0] === "--secondary" ? "secondary" : "primary";
const prefix = role === "secondary" ? Deno.args[1] : `ring_demo_${Deno.pid}`;
const count = Number(Deno.args[role === "secondary" ? 2 : 0] ?? 1_000_000);

initEal([
  role === "primary" ? "--lcores=0@0" : "--lcores=1@1",
  `--proc-type=${role}`,
  "--no-pci",
  `--file-prefix=${prefix}`,
  "--log-level=lib.eal:error",
]);

const objs = ptrArray(BURST);

if (processType() === "secondary") {
  // Echo everything from "demo_out" back on "demo_back".
  const rx = Ring.lookup("demo_out");
  const tx = Ring.lookup("demo_back");
  for (let moved = 0; moved < count;) {
    const n = rx.dequeueBurst(objs, BURST);
    for (let put = 0; put < n;) put += tx.enqueueBulk(objs, n) || 0;
    moved += n;
  }
  cleanupEal();
} else {
  const pool = Mempool.create("demo_pool", 2047, 64, { cacheSize: 32 });
  const out = Ring.create("demo_out", 1024);
  const back = Ring.create("demo_back", 1024);
  const startAvail = pool.availCount();
  const peer = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      import.meta.filename!,
      "--secondary",
      prefix,
      String(count),
    ],
    stderr: "inherit",
  }).spawn();
  console.log(
    `primary: sending ${count} objects to the secondary (pid ${peer.pid})`,
  );
  let peerExit: Deno.CommandStatus | undefined;
  peer.status.then((st) => peerExit = st);
  const t0 = performance.now();
  let sent = 0, received = 0, spins = 0;
  while (received < count) {
    if ((++spins & 0xffff) === 0) {
      await new Promise((r) => setTimeout(r, 0)); // let the event loop run
      if (peerExit && received < count) {
        console.error(
          `primary: the secondary exited early (code ${peerExit.code})`,
        );
        break;
      }
    }
    const want = Math.min(BURST, count - sent);
    if (want > 0 && out.freeCount() >= want && pool.getBulk(objs, want)) {
      out.enqueueBulk(objs, want);
      sent += want;
    }
    const n = back.dequeueBurst(objs, BURST);
    if (n > 0) pool.putBulk(objs, n);
    received += n;
  }
  const ms = performance.now() - t0;
  await peer.status;
  console.log(
    `primary: ${received} objects came back in ${ms.toFixed(0)} ms ` +
      `(${(received / ms / 1000).toFixed(2)} M objects/s each way); ` +
      `pool available ${pool.availCount()} of ${startAvail}`,
  );
  const ok = received === count && pool.availCount() === startAvail;
  cleanupEal();
  await Deno.remove(`/var/run/dpdk/${prefix}`, { recursive: true }).catch(
    () => {},
  );
  for (const e of Deno.readDirSync("/dev/hugepages")) {
    if (e.name.startsWith(prefix)) Deno.removeSync(`/dev/hugepages/${e.name}`);
  }
  if (!ok) Deno.exit(1);
}
