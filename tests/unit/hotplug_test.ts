/**
 * hotplug_mp's pure parts: command parsing (apps/hotplug_mp.ts) and the
 * bounded line reader (apps/common.ts readLines). No DPDK, no shim.
 */
import { assertEquals, assertRejects } from "@std/assert";
import { HELP, lineMax, parseCommand, PROMPT } from "../../apps/hotplug_mp.ts";
import { type LineItem, readLines } from "../../apps/common.ts";

/** C's bound on a device string (STR_TOKEN_SIZE - 2, checked on the C binary). */
const MAX = 126;

Deno.test("parseCommand: the C commands", () => {
  assertEquals(parseCommand("help", MAX), { kind: "help" });
  assertEquals(parseCommand("quit", MAX), { kind: "quit" });
  assertEquals(parseCommand("list", MAX), { kind: "list" });
  assertEquals(parseCommand("  list \t", MAX), { kind: "list" });
  assertEquals(parseCommand("attach net_null0", MAX), {
    kind: "attach",
    devargs: "net_null0",
  });
  assertEquals(parseCommand("detach   net_pcap0,rx_pcap=a.pcap ", MAX), {
    kind: "detach",
    devargs: "net_pcap0,rx_pcap=a.pcap",
  });
  assertEquals(PROMPT, "example> ");
  assertEquals(
    HELP,
    "commands:\n- attach <devargs>\n- detach <devargs>\n- list\n\n",
  );
});

Deno.test("parseCommand: empty lines are nothing", () => {
  assertEquals(parseCommand("", MAX), { kind: "empty" });
  assertEquals(parseCommand(" \t ", MAX), { kind: "empty" });
});

Deno.test("parseCommand: bad arguments and unknown commands say so", () => {
  const bad = (line: string) => {
    const c = parseCommand(line, MAX);
    if (c.kind !== "bad") throw new Error(`${line}: ${c.kind}`);
    return c.message;
  };
  assertEquals(
    bad("attach"),
    "Bad arguments (usage: attach <devargs>, one word, no blanks)",
  );
  assertEquals(
    bad("detach a b"),
    "Bad arguments (usage: detach <devargs>, one word, no blanks)",
  );
  assertEquals(bad("help me"), "Bad arguments (usage: help)");
  assertEquals(bad("quit now"), "Bad arguments (usage: quit)");
  assertEquals(
    bad("Attach net_null0"),
    "Command not found: 'Attach' (commands: attach <devargs>, " +
      "detach <devargs>, list, help, quit)",
  );
  assertEquals(
    bad("x".repeat(100)),
    `Command not found: '${"x".repeat(40)}...' (commands: attach ` +
      "<devargs>, detach <devargs>, list, help, quit)",
  );
});

Deno.test("parseCommand: device strings are bounded in bytes, as in C", () => {
  const devargs = (n: number) => `net_null0,${"k".repeat(n - 10)}`;
  assertEquals(parseCommand(`attach ${devargs(MAX)}`, MAX), {
    kind: "attach",
    devargs: devargs(MAX),
  });
  assertEquals(
    parseCommand(`attach ${devargs(MAX + 1)}`, MAX),
    {
      kind: "bad",
      message: "Bad arguments: devargs of 127 bytes, at most 126",
    },
  );
  // UTF-8 bytes count, not characters: 60 × "é" is 120 bytes
  assertEquals(
    parseCommand(`detach net_null0,${"é".repeat(60)}`, MAX),
    {
      kind: "bad",
      message: "Bad arguments: devargs of 130 bytes, at most 126",
    },
  );
  assertEquals(lineMax(MAX), 4 * ("attach ".length + MAX));
});

/** A stream giving `chunks` (strings are UTF-8 encoded) one by one. */
function stream(
  ...chunks: (string | Uint8Array)[]
): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return ReadableStream.from(
    chunks.map((c) => typeof c === "string" ? enc.encode(c) : c),
  );
}

async function lines(
  s: ReadableStream<Uint8Array>,
  max: number,
  head?: number,
): Promise<LineItem[]> {
  return await Array.fromAsync(readLines(s, max, head));
}

const line = (text: string): LineItem => ({ kind: "line", text });

Deno.test("readLines: lines across chunks, \\r\\n, a last line without end", async () => {
  assertEquals(
    await lines(stream("att", "ach net_null0\nli", "st\r\n\n", "quit"), 64),
    [line("attach net_null0"), line("list"), line(""), line("quit")],
  );
  assertEquals(await lines(stream(), 64), []);
  assertEquals(await lines(stream("a\n"), 64), [line("a")]);
  // a character split between chunks
  const e = new TextEncoder().encode("é\n");
  assertEquals(
    await lines(stream(e.subarray(0, 1), e.subarray(1)), 64),
    [line("é")],
  );
});

Deno.test("readLines: an overlong line is counted, not kept, and the next is read", async () => {
  const long = "y".repeat(1000);
  assertEquals(
    await lines(
      stream("ok\n", long.slice(0, 7), long.slice(7), "\nnext\n"),
      8,
      4,
    ),
    [line("ok"), { kind: "overlong", bytes: 1000, head: "yyyy" }, line("next")],
  );
  // exactly at the bound is a line; one byte more is not
  assertEquals(await lines(stream("12345678\n"), 8), [line("12345678")]);
  assertEquals(await lines(stream("123456789"), 8, 3), [
    { kind: "overlong", bytes: 9, head: "123" },
  ]);
  // the head comes from the kept bytes and the new chunk
  assertEquals(await lines(stream("abc", "defghijkl\n"), 8, 5), [
    { kind: "overlong", bytes: 12, head: "abcde" },
  ]);
});

Deno.test("readLines: the bound must be a positive integer", async () => {
  await assertRejects(() => lines(stream("a\n"), 0), RangeError, "maxBytes");
  await assertRejects(() => lines(stream("a\n"), 1.5), RangeError, "maxBytes");
});
