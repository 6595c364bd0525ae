/**
 * hotplug_mp (apps/hotplug_mp.ts): real primary and secondary processes
 * attaching and detaching net_null, net_ring and net_pcap devices, each
 * process listing what the others did; bad input; a device under a running
 * forwarder (the C symmetric_mp); interop with the C original both ways.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { DEFAULT_BASE_VIRTADDR, runtimeRoot } from "../mod.ts";
import { cOriginal, startCOriginal } from "../support/c_build.ts";
import { readPcap, writePcap } from "../support/pcap.ts";
import { denoRun, ealArgs, Proc, withGroup } from "../support/proc.ts";

const APP = "apps/hotplug_mp.ts";
const PROMPT = "example> ";
const PRIMARY = ["-l", "0"];
const SECONDARY = ["--lcores=1@1"];

type Track = (p: Proc) => Proc;

/** Starts our app and waits for its first prompt. */
async function startApp(
  track: Track,
  prefix: string,
  lcores: string[],
  procType = "primary",
  more: string[] = [],
): Promise<Proc> {
  const p = track(
    denoRun(APP, [
      ...lcores,
      ...ealArgs(prefix),
      `--proc-type=${procType}`,
      ...more,
    ], { name: `hotplug_mp ${procType}` }),
  );
  await p.waitFor(PROMPT);
  return p;
}

/** Starts the C original (see startCOriginal) and waits for it to be ready. */
async function startC(
  track: Track,
  prefix: string,
  lcores: string[],
  procType: string,
): Promise<Proc> {
  const p = track(await startCOriginal("hotplug_mp", prefix, lcores, procType));
  await p.waitFor(PROMPT);
  return p;
}

/**
 * Log lines (EAL's and the drivers', on stderr, which Proc interleaves
 * with stdout in arrival order): not part of a command's output.
 */
const LOG_LINE = /^(?:[A-Z]+: |[a-z_]+\(\): ).*\n/gm;

/**
 * Writes a command; resolves with what it printed up to the next prompt,
 * without the echoed line (ours or C's) and log lines.
 */
async function command(p: Proc, line: string): Promise<string> {
  const from = p.output.length;
  await p.writeLine(line);
  const m = await p.waitFor(PROMPT, 20_000, from);
  const text = p.output.slice(from, from + m.index!).replace(LOG_LINE, "");
  return text.slice(text.indexOf("\n") + 1);
}

/** The ports `list` prints: "ID\tNAME" lines. */
async function list(p: Proc): Promise<string[]> {
  const text = await command(p, "list");
  const lines = text.split("\n").filter((l) => l !== "");
  const at = lines.indexOf("list all etherdev");
  assert(at >= 0, `no 'list all etherdev' in:\n${text}`);
  return lines.slice(at + 1).filter((l) => /^\d+\t/.test(l));
}

/** Quits with `quit` (or EOF) and checks a clean exit. */
async function quit(p: Proc, eof = false): Promise<void> {
  if (eof) await p.closeStdin();
  else await p.writeLine("quit");
  const st = await p.exit();
  assertEquals(st.code, 0, p.output);
}

/** Checks that nothing of group `prefix` is left in the runtime folder. */
async function assertNothingLeft(prefix: string): Promise<void> {
  for (const path of [`${runtimeRoot()}/${prefix}`]) {
    try {
      await Deno.stat(path);
      throw new Error(`${path} is left behind`);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  for await (const e of Deno.readDir("/dev/hugepages")) {
    assert(!e.name.startsWith(prefix), `/dev/hugepages/${e.name} left behind`);
  }
}

/** PIDs of the running processes whose command line names `prefix`. */
async function processesOf(prefix: string): Promise<number[]> {
  const pids: number[] = [];
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name) || Number(e.name) === Deno.pid) continue;
    try {
      const cmdline = await Deno.readTextFile(`/proc/${e.name}/cmdline`);
      if (cmdline.includes(`--file-prefix=${prefix}\0`)) {
        pids.push(Number(e.name));
      }
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/**
 * withGroup, checking that every process of the group has exited by
 * itself when the test ends (before withGroup kills what is left), and
 * that the group's files are gone afterwards.
 */
async function group(
  name: string,
  fn: (g: { prefix: string; track: Track }) => Promise<void>,
): Promise<void> {
  let prefix = "";
  await withGroup(name, async (g) => {
    prefix = g.prefix;
    await fn(g);
    assertEquals(await processesOf(prefix), [], "processes left running");
  });
  await assertNothingLeft(prefix);
}

Deno.test("attach in the secondary, list in the primary; detach in the primary, list in the secondary", async () => {
  await group("hp_sync", async ({ prefix, track }) => {
    const pri = await startApp(track, prefix, PRIMARY);
    const sec = await startApp(track, prefix, SECONDARY, "secondary");
    assertEquals(
      (await processesOf(prefix)).sort(),
      [pri.child.pid, sec.child.pid].sort(),
    );
    assertEquals(await list(pri), []);

    assertEquals(
      await command(sec, "attach net_null0"),
      "attached device net_null0\n",
    );
    assertEquals(
      await command(sec, "attach net_ring0"),
      "attached device net_ring0\n",
    );
    assertEquals(await list(pri), ["0\tnet_null0", "1\tnet_ring0"]);
    assertEquals(await list(sec), ["0\tnet_null0", "1\tnet_ring0"]);

    assertEquals(
      await command(pri, "detach net_null0"),
      "detaching...\ndetached device net_null0\n",
    );
    assertEquals(await list(sec), ["1\tnet_ring0"]);
    assertEquals(await list(pri), ["1\tnet_ring0"]);

    // and the other way round: attach in the primary, detach in the secondary
    assertEquals(
      await command(pri, "attach net_null1"),
      "attached device net_null1\n",
    );
    assertEquals(await list(sec), ["0\tnet_null1", "1\tnet_ring0"]);
    assertEquals(
      await command(sec, "detach net_ring0"),
      "detaching...\ndetached device net_ring0\n",
    );
    assertEquals(await list(pri), ["0\tnet_null1"]);

    // help as in C; the secondary quits at EOF, the primary keeps its ports
    assertEquals(
      await command(pri, "help"),
      "commands:\n- attach <devargs>\n" +
        "- detach <devargs>\n- list\n\n",
    );
    await quit(sec, true);
    assertEquals(await list(pri), ["0\tnet_null1"]);
    await quit(pri, true);
  });
});

Deno.test("net_pcap with files, attached from either process", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hp_" });
  try {
    const frame = new Uint8Array(60).fill(0xab);
    await Deno.writeFile(`${dir}/in.pcap`, writePcap([frame, frame]));
    const pcap = (n: number) =>
      `net_pcap${n},rx_pcap=${dir}/in.pcap,tx_pcap=${dir}/out${n}.pcap`;
    await group("hp_pcap", async ({ prefix, track }) => {
      const pri = await startApp(track, prefix, PRIMARY);
      const sec = await startApp(track, prefix, SECONDARY, "secondary");

      assertEquals(
        await command(sec, `attach ${pcap(0)}`),
        "attached device net_pcap0\n",
      );
      assertEquals(await list(pri), ["0\tnet_pcap0"]);
      // the driver opened its TX file: a pcap file with no packet yet
      assertEquals(readPcap(await Deno.readFile(`${dir}/out0.pcap`)), []);

      assertEquals(
        await command(pri, `attach ${pcap(1)}`),
        "attached device net_pcap1\n",
      );
      assertEquals(await list(sec), ["0\tnet_pcap0", "1\tnet_pcap1"]);

      // detach takes the device string too: only its name counts
      assertEquals(
        await command(pri, `detach ${pcap(0)}`),
        "detaching...\ndetached device net_pcap0\n",
      );
      assertEquals(
        await command(sec, "detach net_pcap1"),
        "detaching...\ndetached device net_pcap1\n",
      );
      assertEquals(await list(sec), []);
      assertEquals(await list(pri), []);

      // a missing file: the driver refuses, in the primary for the group
      const missing = await command(
        sec,
        `attach net_pcap2,rx_pcap=${dir}/none.pcap`,
      );
      assertMatch(
        missing,
        /^failed to attached device net_pcap2: rte_dev_probe\(.*\) failed: .*the primary attaches for the group/,
      );
      await pri.waitFor(/Couldn't open .*none\.pcap/);
      assertEquals(await list(pri), []);
      await quit(sec);
      await quit(pri);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bad input: a clear message and the prompt back, in primary and secondary", async () => {
  await group("hp_bad", async ({ prefix, track }) => {
    const pri = await startApp(track, prefix, PRIMARY);
    const sec = await startApp(track, prefix, SECONDARY, "secondary");
    for (const p of [pri, sec]) {
      assertMatch(
        await command(p, "attach net_bogus0"),
        /^cannot parse devargs: no bus recognises the device 'net_bogus0'/,
      );
      assertMatch(
        await command(p, "detach net_bogus0"),
        /^cannot parse devargs: no bus recognises the device 'net_bogus0'/,
      );
      assertEquals(
        await command(p, "detach net_null7"),
        "detaching...\nfailed to detach device net_null7: net_null7 is " +
          "not attached\n",
      );
      assertEquals(await command(p, ""), "");
      assertEquals(await command(p, "   "), "");
      assertMatch(await command(p, "attach"), /^Bad arguments \(usage: attach/);
      assertMatch(
        await command(p, "attach net_null0 net_null1"),
        /^Bad arguments \(usage: attach <devargs>, one word/,
      );
      assertMatch(await command(p, "list x"), /^Bad arguments \(usage: list\)/);
      assertMatch(await command(p, "bogus"), /^Command not found: 'bogus'/);
      // a PCI address while EAL runs with --no-pci (none exists at ff:1f.7)
      assertEquals(
        await command(p, "attach 0000:ff:1f.7"),
        "failed to attached device 0000:ff:1f.7: 0000:ff:1f.7 is a PCI " +
          "device and EAL runs with --no-pci\n",
      );
      // a device string longer than C's token (126 bytes)
      assertMatch(
        await command(p, `attach net_null0,${"k".repeat(120)}`),
        /^Bad arguments: devargs of 130 bytes, at most 126/,
      );
    }
    // attaching twice: from the other process, then from the same one
    assertEquals(
      await command(pri, "attach net_null0"),
      "attached device net_null0\n",
    );
    for (const p of [sec, pri]) {
      assertEquals(
        await command(p, "attach net_null0"),
        "failed to attached device net_null0: net_null0 is attached " +
          "already (port 0)\n",
      );
    }
    // a very long line (1 MiB): refused, never kept whole; then as before
    const long = `attach net_null1,${"x".repeat(1 << 20)}`;
    assertMatch(
      await command(sec, long),
      new RegExp(
        `^line too long \\(${long.length} bytes, at most 532\\): ` +
          "ignored\n$",
      ),
    );
    assertEquals(await list(sec), ["0\tnet_null0"]);
    assertEquals(await list(pri), ["0\tnet_null0"]);
    await quit(sec);
    await quit(pri, true);
    assert(!pri.output.includes("error:"), pri.output);
  });
});

Deno.test("a started port under a running forwarder is not detached; others are", async () => {
  await group("hp_busy", async ({ prefix, track }) => {
    // the C symmetric_mp forwards between net_null0 and net_null1 (started)
    const fwd = track(
      new Proc("stdbuf", [
        "-oL",
        await cOriginal("symmetric_mp"),
        ...PRIMARY,
        ...ealArgs(prefix),
        "--vdev=net_null0",
        "--vdev=net_null1",
        `--base-virtaddr=${DEFAULT_BASE_VIRTADDR}`,
        "--",
        "-p",
        "3",
        "--num-procs",
        "1",
        "--proc-id",
        "0",
      ], { name: "C symmetric_mp" }),
    );
    await fwd.waitFor("Lcore 0 using ports 0 1");
    const sec = await startApp(track, prefix, SECONDARY, "secondary");
    assertEquals(await list(sec), ["0\tnet_null0", "1\tnet_null1"]);
    assertEquals(
      await command(sec, "detach net_null0"),
      "detaching...\nfailed to detach device net_null0: port 0 of " +
        "net_null0 is started: the process using it must stop it first\n",
    );
    // a device nobody started comes and goes while the forwarder runs
    assertEquals(
      await command(sec, "attach net_null2"),
      "attached device net_null2\n",
    );
    assertEquals(await list(sec), [
      "0\tnet_null0",
      "1\tnet_null1",
      "2\tnet_null2",
    ]);
    assertEquals(
      await command(sec, "detach net_null2"),
      "detaching...\ndetached device net_null2\n",
    );
    assertEquals(await list(sec), ["0\tnet_null0", "1\tnet_null1"]);
    await quit(sec);
    // the forwarder still runs, on both ports: it prints both at exit
    fwd.kill("SIGINT");
    const st = await fwd.exit();
    assertEquals(st.code, 0, fwd.output);
    assertMatch(fwd.output, /Port 0: RX - \d+, TX - \d+, Drop - \d+/);
    assert(!/not ready port/.test(fwd.output), fwd.output);
  });
});

Deno.test("interop: our primary with a C secondary, a C primary with ours", async () => {
  await group("hp_c_sec", async ({ prefix, track }) => {
    const pri = await startApp(track, prefix, PRIMARY);
    const c = await startC(track, prefix, SECONDARY, "secondary");
    assertEquals(
      await command(c, "attach net_null0"),
      "attached device net_null0\n",
    );
    assertEquals(await list(pri), ["0\tnet_null0"]);
    assertEquals(
      await command(pri, "attach net_ring0"),
      "attached device net_ring0\n",
    );
    assertEquals(await list(c), ["0\tnet_null0", "1\tnet_ring0"]);
    assertEquals(
      await command(pri, "detach net_null0"),
      "detaching...\ndetached device net_null0\n",
    );
    assertEquals(await list(c), ["1\tnet_ring0"]);
    // the same bound on device strings as C's (126 bytes): 127 refused by
    // both before any attempt, 126 tried by both (and refused by the driver)
    const devargs = (n: number) => `net_null5,${"k".repeat(n - 10)}`;
    assertMatch(await command(c, `attach ${devargs(127)}`), /^Bad arguments/);
    assertMatch(
      await command(pri, `attach ${devargs(127)}`),
      /^Bad arguments: devargs of 127 bytes, at most 126/,
    );
    assertMatch(
      await command(c, `attach ${devargs(126)}`),
      /^failed to attached device net_null5\n/,
    );
    assertMatch(
      await command(pri, `attach ${devargs(126)}`),
      /^failed to attached device net_null5: rte_dev_probe/,
    );
    assertEquals(await list(pri), ["1\tnet_ring0"]);
    await quit(c);
    await quit(pri);
  });
  await group("hp_c_pri", async ({ prefix, track }) => {
    const c = await startC(track, prefix, PRIMARY, "primary");
    const sec = await startApp(track, prefix, SECONDARY, "secondary");
    assertEquals(
      await command(sec, "attach net_ring0"),
      "attached device net_ring0\n",
    );
    assertEquals(await list(c), ["0\tnet_ring0"]);
    assertMatch(
      await command(c, "attach net_null0"),
      /attached device net_null0/,
    );
    assertEquals(await list(sec), ["0\tnet_ring0", "1\tnet_null0"]);
    assertMatch(
      await command(c, "detach net_ring0"),
      /detached device net_ring0/,
    );
    assertEquals(await list(sec), ["1\tnet_null0"]);
    await quit(sec, true);
    await quit(c);
  });
});

Deno.test("SIGTERM quits cleanly; a secondary whose primary dies exits", async () => {
  await group("hp_sig", async ({ prefix, track }) => {
    const pri = await startApp(track, prefix, PRIMARY);
    const sec = await startApp(track, prefix, SECONDARY, "secondary");
    assertEquals(
      await command(sec, "attach net_null0"),
      "attached device net_null0\n",
    );
    pri.kill("SIGTERM");
    assertEquals((await pri.exit()).code, 0, pri.output);
    assertMatch(pri.output, /SIGTERM received, exiting/);
    const st = await sec.exit();
    assertEquals(st.code, 1, sec.output);
    assertMatch(sec.output, /the primary process has exited/);
  });
});

Deno.test("application arguments are refused", async () => {
  await group("hp_args", async ({ prefix, track }) => {
    const p = track(
      denoRun(APP, [...PRIMARY, ...ealArgs(prefix), "--", "-p", "3"]),
    );
    const st = await p.exit();
    assertEquals(st.code, 1, p.output);
    assertMatch(p.output, /takes no application arguments \(got: -p 3\)/);
  });
});
