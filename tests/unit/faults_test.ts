/**
 * Pure tests of what the sample apps do about faults (issue 16): reading
 * input in one pass with a bounded line, messages as bytes, the checks made
 * before EAL starts (a forgotten `--`, who runs in a group), the one-line
 * fault messages, and the stall detector and its report (lib/health.ts).
 * No root, no shim, no EAL, no permissions:
 *
 *   deno test tests/unit/faults_test.ts
 *
 * @module
 */

import { assert, assertEquals, assertRejects } from "@std/assert";
import {
  type ByteLine,
  byteLines,
  faultLine,
  InputError,
  ioReason,
  lcoreIdsOfArgs,
  misplacedAppOptions,
  OutputError,
  procTypeOf,
  shorten,
  UsageError,
} from "../../apps/common.ts";
import {
  byteWords,
  messageOf,
  settledLine,
  showBytes,
  splitCommand,
} from "../../apps/simple_mp.ts";
import {
  parseClientArgs,
  parseServerArgs,
} from "../../apps/client_server_mp/args.ts";
import { describeStall, StallDetector } from "../../lib/health.ts";

const enc = new TextEncoder();
const bytes = (...b: number[]) => new Uint8Array(b);

/** A stream of the given chunks. */
function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(c) {
      if (i < chunks.length) c.enqueue(chunks[i++]);
      else c.close();
    },
  });
}

/** Every item of byteLines, copied (a yielded array is reused). */
async function collect(
  s: ReadableStream<Uint8Array>,
  max: number,
): Promise<ByteLine[]> {
  const out: ByteLine[] = [];
  for await (const item of byteLines(s, max, 8)) {
    out.push(
      item.kind === "line"
        ? { kind: "line", bytes: item.bytes.slice() }
        : { kind: "overlong", length: item.length, head: item.head.slice() },
    );
  }
  return out;
}

// ------------------------------------------------------------- input

Deno.test("byteLines: lines as bytes, split anywhere, \\r\\n and a last line without end", async () => {
  const text = enc.encode("send a\r\nsend \xff\nlast");
  // the same bytes in every chunking give the same lines
  for (const size of [1, 2, 3, 5, 64]) {
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < text.length; i += size) {
      chunks.push(text.subarray(i, i + size));
    }
    const lines = await collect(streamOf(chunks), 64);
    assertEquals(lines, [
      { kind: "line", bytes: enc.encode("send a") },
      { kind: "line", bytes: enc.encode("send \xff") },
      { kind: "line", bytes: enc.encode("last") },
    ]);
  }
  // invalid UTF-8 and NUL pass untouched (nothing decoded)
  const raw = bytes(0x73, 0xff, 0xfe, 0x00, 0x62, 0x0a);
  assertEquals(await collect(streamOf([raw]), 64), [
    { kind: "line", bytes: bytes(0x73, 0xff, 0xfe, 0x00, 0x62) },
  ]);
});

Deno.test("byteLines: a line longer than the bound is counted, not kept; the next line is intact", async () => {
  const long = new Uint8Array(100).fill(0x78); // 100 x
  const lines = await collect(
    streamOf([long.subarray(0, 30), long.subarray(30), enc.encode("\nok\n")]),
    16,
  );
  assertEquals(lines, [
    { kind: "overlong", length: 100, head: long.subarray(0, 8) },
    { kind: "line", bytes: enc.encode("ok") },
  ]);
  // exactly the bound is kept
  assertEquals(await collect(streamOf([long.subarray(0, 16)]), 16), [
    { kind: "line", bytes: long.subarray(0, 16) },
  ]);
});

Deno.test("byteLines: 40 MB without a newline is read in one pass, in bounded memory (issue 16: 13.6 s, 661 MB)", async () => {
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  const n = (40 * 1024 * 1024) / chunk.length;
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (sent++ < n) c.enqueue(chunk); // the same buffer every time
      else c.close();
    },
  });
  const before = Deno.memoryUsage().heapUsed;
  const t0 = performance.now();
  const items = await collect(stream, 4096);
  const ms = performance.now() - t0;
  const grew = Deno.memoryUsage().heapUsed - before;
  assertEquals(items.length, 1);
  assertEquals(items[0].kind, "overlong");
  assertEquals((items[0] as { length: number }).length, 40 * 1024 * 1024);
  assert(ms < 3000, `40 MB took ${ms.toFixed(0)} ms`);
  assert(grew < 32 * 1024 * 1024, `heap grew by ${grew} bytes`);
});

Deno.test("byteLines: a failing stream is one InputError line", async () => {
  const failing = new ReadableStream<Uint8Array>({
    pull() {
      throw new Deno.errors.IsADirectory("Is a directory (os error 21)");
    },
  });
  await assertRejects(
    () => collect(failing, 16),
    InputError,
    "cannot read standard input: it is a directory",
  );
});

// ----------------------------------------------------------- messages

Deno.test("simple_mp messages: bytes pass; NUL dropped as C's line editor does; cut at a character", () => {
  assertEquals(
    messageOf(bytes(0x61, 0xff, 0xfe)).bytes,
    bytes(0x61, 0xff, 0xfe),
  );
  // C: "send a\0b" arrives as 'ab'
  assertEquals(messageOf(bytes(0x61, 0x00, 0x62)).bytes, bytes(0x61, 0x62));
  assertEquals(messageOf(enc.encode("x".repeat(127))).cut, false);
  assertEquals(messageOf(enc.encode("x".repeat(200))).bytes.length, 127);
  // é is 2 bytes: 63 fit in 127, the 64th would be cut in half
  const e = messageOf(enc.encode("é".repeat(100)));
  assertEquals(new TextDecoder().decode(e.bytes), "é".repeat(63));
  assert(e.cut);
  // a 4-byte character straddling the bound goes whole to the next... cut
  const s = messageOf(enc.encode("ab" + "😀".repeat(2)), 7);
  assertEquals(new TextDecoder().decode(s.bytes), "ab😀");
  // invalid UTF-8 is cut at the bound
  assertEquals(messageOf(new Uint8Array(10).fill(0xff), 4).bytes.length, 4);
});

Deno.test("simple_mp commands: the word, and the rest as bytes", () => {
  const { cmd, rest } = splitCommand(enc.encode("  send  two words \r"));
  assertEquals(cmd, "send");
  assertEquals(rest, enc.encode("two words"));
  assertEquals(splitCommand(bytes(0x09)).cmd, "");
  assertEquals(
    byteWords(enc.encode(" 10  p\xff ")).map((w) => [...w]),
    [[0x31, 0x30], [...enc.encode("p\xff")]],
  );
  // shown lossily and shortened in messages
  assertEquals(
    showBytes(new Uint8Array(100_000).fill(0x7a)),
    "z".repeat(40) + "...",
  );
  assertEquals(
    settledLine({ slot: 2, pid: 77, phase: "held", returned: 32, unknown: 0 }),
    "simple_mp: process 77 has ended: returned 32 message buffer(s) it " +
      "held (lcore 2) to MSG_POOL",
  );
  assertEquals(
    settledLine({
      slot: 3,
      pid: 78,
      phase: "enqueuing",
      returned: 0,
      unknown: 32,
    }),
    "simple_mp: process 78 has ended: up to 32 message buffer(s) may be " +
      "lost: it ended while queuing on a ring on lcore 3",
  );
});

// --------------------------------------------- arguments and messages

Deno.test("a forgotten `--`: the app's options found among EAL's", () => {
  const opts = ["-p", "--num-procs", "--proc-id"];
  assertEquals(
    misplacedAppOptions(
      ["-l", "0", "--no-pci", "-p", "3", "--num-procs=2", "--proc-id", "0"],
      opts,
    ),
    ["-p", "--num-procs=2", "--proc-id"],
  );
  assertEquals(misplacedAppOptions(["-l", "0", "-p3"], opts), ["-p3"]);
  // with `--`, nothing is misplaced; EAL's own options never are
  assertEquals(misplacedAppOptions(["-l", "0", "--", "-p", "3"], opts), []);
  assertEquals(
    misplacedAppOptions(["--proc-type=auto", "--no-pci", "-n", "4"], opts),
    [],
  );
});

Deno.test("procTypeOf and lcoreIdsOfArgs read EAL's part only", () => {
  assertEquals(procTypeOf(["--proc-type=auto", "--", "--proc-type=x"]), "auto");
  assertEquals(procTypeOf(["--proc-type", "secondary"]), "secondary");
  assertEquals(procTypeOf(["-l", "0"]), undefined);
  assertEquals(lcoreIdsOfArgs(["-l", "0-2,5"]), [0, 1, 2, 5]);
  assertEquals(lcoreIdsOfArgs(["-l0-1"]), [0, 1]);
  assertEquals(lcoreIdsOfArgs(["--lcores=2@0,3@1"]), [2, 3]);
  assertEquals(lcoreIdsOfArgs(["--lcores", "(4-5)@(0-1),7"]), [4, 5, 7]);
  assertEquals(lcoreIdsOfArgs(["-c", "0x6"]), [1, 2]);
  assertEquals(lcoreIdsOfArgs(["--", "-l", "9"]), []);
});

Deno.test("long arguments are shortened in every refusal (issue 16: a 100 KB argument echoed whole)", () => {
  const huge = "9".repeat(100_000);
  for (
    const f of [
      () => parseServerArgs(["-p", "3", "-n", huge], 32),
      () => parseServerArgs(["-p", "3", "-n", "1", "--" + huge], 32),
      () => parseClientArgs(["-n", huge]),
      () => parseClientArgs(["-x" + huge]),
    ]
  ) {
    try {
      f();
      throw new Error("not refused");
    } catch (e) {
      assert(e instanceof UsageError, String(e));
      const { message } = e as UsageError;
      assert(message.length < 200, `${message.length} characters`);
      assert(!/e\+/.test(message), message); // never 1e+23
    }
  }
  assertEquals(shorten("abc", 2), "ab...");
});

Deno.test("faults are one line: I/O reasons in words, no stack", () => {
  assertEquals(
    ioReason(new Deno.errors.BrokenPipe("Broken pipe (os error 32)")),
    "it was closed (broken pipe)",
  );
  assertEquals(
    ioReason(new Error("No space left on device (os error 28)")),
    "no space left on device",
  );
  assertEquals(
    faultLine(new OutputError("cannot write to standard output: x")),
    "cannot write to standard output: x",
  );
  const e = new TypeError("bad\nsecond line");
  assertEquals(faultLine(e), "TypeError: bad");
  assertEquals(faultLine(new Error("lcore 1: x")), "lcore 1: x");
  assertEquals(faultLine("x".repeat(1000)).length, 303);
});

// ------------------------------------------------------------ stalls

Deno.test("StallDetector: stuck only when apart with the same value for the whole time", () => {
  const d = new StallDetector(100);
  assertEquals(d.sample("r", 5, true, 0), undefined);
  assertEquals(d.sample("r", 5, true, 50), undefined);
  assertEquals(d.sample("r", 5, true, 100), 0); // stuck since t=0
  // a moving value starts over; settling forgets
  assertEquals(d.sample("r", 6, true, 150), undefined);
  assertEquals(d.sample("r", 6, true, 200), undefined);
  assertEquals(d.sample("r", 6, false, 260), undefined);
  assertEquals(d.sample("r", 6, true, 270), undefined);
  assertEquals(d.sample("r", 6, true, 369), undefined);
  assertEquals(d.sample("r", 6, true, 370), 270);
  // keys are independent, and a key may have its own stall time
  assertEquals(d.sample("q", 6, true, 370), undefined);
  assertEquals(d.sample("q", 6, true, 400, 30), 370);
});

Deno.test("describeStall names the object, the side, and the likely culprit", () => {
  const stall = {
    kind: "pool" as const,
    object: "MProc_pktmbuf_pool",
    side: "producer" as const,
    head: 1300,
    value: 1268,
    since: 50_000,
    forMs: 1200,
  };
  const member = (pid: number, lcores: number[], endedAt: number) => ({
    pid,
    start: 1,
    lcores,
    endedAt,
  });
  const text = describeStall(stall, [
    member(9, [4], 1000), // long before: not a suspect
    member(10, [1], 45_000),
    member(11, [2, 3], 49_800),
  ]);
  assert(text.startsWith('pool "MProc_pktmbuf_pool" (the ring behind it)'));
  assert(text.includes("producer head 1300 and tail 1268"), text);
  assert(text.includes("a put (freeing)"), text);
  assert(
    text.includes(
      "Likely cause: process 11 (lcore IDs 2, 3), which ended 0.2 s before",
    ),
    text,
  );
  assert(text.includes("(also ended then: 10)"), text);
  assert(!text.includes(" 9"), text);
  // only long-gone processes: none is named
  const none = describeStall(
    { ...stall, kind: "ring", side: "consumer" },
    [member(9, [4], 1000)],
  );
  assert(none.includes("inside a dequeue"), none);
  assert(none.includes("No process of the group"), none);
  const lcore = describeStall({
    kind: "progress",
    object: "receive lcore 1 of this process",
    value: 9,
    since: 0,
    forMs: 3000,
  });
  assert(
    lcore.startsWith("receive lcore 1 of this process has made no progress"),
  );
});
