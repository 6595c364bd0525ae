/**
 * Fast tests of the library's pure logic: no root, no hugepages, no shim
 * (`deno task test:unit`).
 */

import { assertEquals, assertMatch, assertThrows } from "@std/assert";
import { U64Counters } from "../../lib/memzone.ts";
import { splitArgs } from "../../lib/eal.ts";
import { checkCount } from "../../lib/errors.ts";
import {
  DESCRIBE,
  type Descriptor,
  fromWire,
  registerKind,
  toWire,
} from "../../lib/handle.ts";
import { contractMismatch, FACT_NAMES, SHIM_ABI } from "../../ffi/contract.ts";

Deno.test("U64Counters carry across 2^32 and stay exact to 2^53", () => {
  const buf = new ArrayBuffer(32);
  const c = new U64Counters(buf, 8, 2);
  c.set(0, 0xffffffff - 5);
  c.add(0, 10);
  assertEquals(c.get(0), 0xffffffff + 5);
  // as C reads the uint64_t (little-endian)
  assertEquals(new DataView(buf).getBigUint64(8, true), 0xffffffffn + 5n);
  c.set(1, 2 ** 53 - 10);
  c.add(1, 9);
  assertEquals(c.get(1), 2 ** 53 - 1);
  for (let i = 0; i < 1000; i++) c.add(0, 0xffffffff);
  assertEquals(c.get(0), 0xffffffff + 5 + 1000 * 0xffffffff);
  assertThrows(() => new U64Counters(buf, 4, 1), RangeError, "8-aligned");
  assertThrows(() => new U64Counters(buf, 8, 4), RangeError, "exceed");
});

Deno.test("splitArgs splits at the first --", () => {
  assertEquals(splitArgs(["-l", "0", "--", "-p", "3", "--", "x"]), {
    eal: ["-l", "0"],
    app: ["-p", "3", "--", "x"],
  });
  assertEquals(splitArgs(["-l", "0"]), { eal: ["-l", "0"], app: [] });
  assertEquals(splitArgs(["--"]), { eal: [], app: [] });
});

Deno.test("checkCount accepts integers in range only", () => {
  checkCount("f", 0, 4);
  checkCount("f", 4, 4);
  for (const bad of [5, -1, 1.5, NaN, Infinity, 2 ** 32]) {
    assertThrows(
      () => checkCount("Ring.enqueueBurst", bad, 4),
      RangeError,
      "Ring.enqueueBurst",
    );
  }
});

class Fake {
  constructor(readonly name: string) {}
  [DESCRIBE](): Descriptor {
    return { "@dpdk": "Fake", name: this.name };
  }
}
registerKind("Fake", (d) => new Fake(`revived ${d.name}`));

Deno.test("handles cross to workers as descriptors and come back as handles", () => {
  const data = { a: [new Fake("r1"), 3], b: { c: new Fake("r2"), s: "x" } };
  const wire = toWire(data);
  // what postMessage carries is plain data
  assertEquals(structuredClone(wire), {
    a: [{ "@dpdk": "Fake", name: "r1" }, 3],
    b: { c: { "@dpdk": "Fake", name: "r2" }, s: "x" },
  });
  const back = fromWire(structuredClone(wire)) as typeof data;
  assertEquals(back.a[0] instanceof Fake, true);
  assertEquals((back.b.c as Fake).name, "revived r2");
  assertThrows(
    () => toWire({ x: { y: new (class Thing {})() } }),
    TypeError,
    "data.x.y: a Thing cannot be sent",
  );
  assertThrows(
    () => fromWire({ "@dpdk": "Nope", name: "n" }),
    TypeError,
    "no reviver for a Nope",
  );
});

Deno.test("a contract with another version or missing facts is named", () => {
  const facts = new Map(FACT_NAMES.map((n) => [n, 0n] as [string, bigint]));
  assertEquals(contractMismatch(SHIM_ABI, facts), undefined);
  assertMatch(contractMismatch(SHIM_ABI + 1, facts)!, /interface version/);
  facts.delete("RTE_MAX_LCORE");
  assertMatch(
    contractMismatch(SHIM_ABI, facts)!,
    /lacks 1 fact.*RTE_MAX_LCORE/,
  );
});

// Needs to start a process (run permission): reported as ignored in the
// no-permission tier, runs in the -A run.
const canRun = (await Deno.permissions.query({ name: "run" })).state ===
  "granted";

Deno.test({
  name: "removeGroupFiles finds the runtime folder when the shim cannot load",
  ignore: !canRun,
}, async () => {
  const xdg = await Deno.makeTempDir({ prefix: "dts_unit_xdg_" });
  const prefix = `dts_unit_noshim_${Deno.pid}`;
  const root = Deno.uid() === 0 ? "/var/run/dpdk" : `${xdg}/dpdk`;
  await Deno.mkdir(`${root}/${prefix}`, { recursive: true });
  await Deno.writeTextFile(`${root}/${prefix}/config`, "");
  try {
    const proc = new URL("../../lib/proc.ts", import.meta.url).href;
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `import { removeGroupFiles, runtimeRoot } from "${proc}";` +
        `removeGroupFiles("${prefix}");` +
        // the strict form still says the shim does not load
        `try { runtimeRoot(); } catch (e) { console.log(e.name); }`,
      ],
      env: {
        DPDK_SHIM_PATH: "/nonexistent/libdpdk_shim.so",
        XDG_RUNTIME_DIR: xdg,
      },
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    assertEquals(text.trim(), "ShimLoadError");
    assertThrows(
      () => Deno.statSync(`${root}/${prefix}`),
      Deno.errors.NotFound,
    );
  } finally {
    await Deno.remove(`${root}/${prefix}`, { recursive: true }).catch(() => {});
    await Deno.remove(xdg, { recursive: true });
  }
});
