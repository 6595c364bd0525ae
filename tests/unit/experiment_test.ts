/**
 * Pure tests of the experiment skeleton (lib/experiment.ts): how the
 * command line is split, how EAL defaults merge with what the user gave,
 * which app options are refused, and the exit status of the paths that
 * stop before EAL starts. No root, no shim, no permissions:
 *
 *   deno test tests/unit/experiment_test.ts
 *
 * @module
 */

import {
  assert,
  assertEquals,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import {
  describeError,
  ealOptions,
  EXIT_FAILED,
  EXIT_OK,
  EXIT_USAGE,
  experimentEalDefaults,
  intArg,
  mergeEalArgs,
  parseAppArgs,
  planExperiment,
  type RawArgs,
  runExperiment,
  UsageError,
  wantsHelp,
} from "../../lib/experiment.ts";
import { DpdkError } from "../../lib/errors.ts";

const PID = 4242;
const DEFAULTS = experimentEalDefaults("x", PID);

Deno.test("experimentEalDefaults: no PCI, a prefix of its own, quiet EAL", () => {
  assertEquals(DEFAULTS, [
    "--no-pci",
    "--file-prefix=ex_x_4242",
    "--log-level=lib.eal:error",
  ]);
  assertEquals(
    experimentEalDefaults("y")[1],
    `--file-prefix=ex_y_${Deno.pid}`,
    "the pid defaults to this process's",
  );
});

Deno.test("ealOptions: attached, separate and missing values", () => {
  assertEquals(
    ealOptions([
      "-l",
      "0,1",
      "-n4",
      "--vdev=net_null0",
      "--file-prefix",
      "me",
      "--no-pci",
    ]),
    [
      { option: "-l", value: "0,1", tokens: ["-l", "0,1"] },
      { option: "-n", value: "4", tokens: ["-n4"] },
      { option: "--vdev", value: "net_null0", tokens: ["--vdev=net_null0"] },
      { option: "--file-prefix", value: "me", tokens: ["--file-prefix", "me"] },
      { option: "--no-pci", value: undefined, tokens: ["--no-pci"] },
    ],
  );
  assertThrows(
    () => ealOptions(["0,1"]),
    UsageError,
    'unexpected EAL argument "0,1"',
  );
});

Deno.test("mergeEalArgs: every default when the user gives nothing", () => {
  const defaults = ["-l", "0,1", "--vdev=net_null0", ...DEFAULTS];
  assertEquals(mergeEalArgs([], defaults), defaults);
});

Deno.test("mergeEalArgs: an option the user gives drops that default", () => {
  const defaults = [
    "-l",
    "0,1",
    "--vdev=net_null0",
    "--vdev=net_null1",
    ...DEFAULTS,
  ];
  // user's arguments first, untouched; then the defaults they do not cover
  assertEquals(mergeEalArgs(["--lcores=2@1,3@0"], defaults), [
    "--lcores=2@1,3@0",
    "--vdev=net_null0",
    "--vdev=net_null1",
    ...DEFAULTS,
  ]);
  // -l, -c and --lcores all choose the lcores
  for (const lc of [["-l", "4"], ["-l4"], ["-c", "0x3"], ["--lcores", "1"]]) {
    const merged = mergeEalArgs(lc, defaults);
    assertEquals(merged.slice(0, lc.length), lc);
    assert(!merged.includes("0,1"), `${lc.join(" ")}: default -l kept`);
  }
  // one --vdev replaces every default --vdev
  assertEquals(mergeEalArgs(["--vdev", "net_ring0"], defaults), [
    "--vdev",
    "net_ring0",
    "-l",
    "0,1",
    ...DEFAULTS,
  ]);
  // a prefix of the user's; --no-pci given once stays once
  assertEquals(
    mergeEalArgs(["--file-prefix=me", "--no-pci"], DEFAULTS),
    ["--file-prefix=me", "--no-pci", "--log-level=lib.eal:error"],
  );
});

Deno.test("mergeEalArgs: log levels merge per log type", () => {
  const quiet = "--log-level=lib.eal:error";
  // another log type: the default for lib.eal stays
  assertEquals(
    mergeEalArgs(["--log-level=pmd.net.null:debug"], [quiet]),
    ["--log-level=pmd.net.null:debug", quiet],
  );
  // the same log type, either syntax: the user's wins
  assertEquals(mergeEalArgs(["--log-level", "lib.eal:debug"], [quiet]), [
    "--log-level",
    "lib.eal:debug",
  ]);
  assertEquals(mergeEalArgs(["--log-level=lib.eal,8"], [quiet]), [
    "--log-level=lib.eal,8",
  ]);
  // a global level: no default level is added on top of it
  assertEquals(mergeEalArgs(["--log-level=debug"], [quiet]), [
    "--log-level=debug",
  ]);
});

Deno.test("parseAppArgs: declared options, defaults, negatable flags", () => {
  const opts = {
    string: ["rate", "t"],
    boolean: ["work"],
    negatable: ["work"],
    alias: { rate: "r" },
    default: { work: true },
  };
  assertEquals(parseAppArgs([], opts), { work: true });
  assertEquals(
    parseAppArgs(["--rate", "5", "-t3", "--no-work"], opts),
    { rate: "5", r: "5", t: "3", work: false },
  );
  assertEquals(parseAppArgs(["-r=7"], opts).rate, "7", "by its alias");
  assertEquals(
    parseAppArgs(["--rate=0"], opts).rate,
    "0",
    "values stay strings",
  );
});

Deno.test("parseAppArgs: anything undeclared is refused, naming it", () => {
  const opts = { string: ["rate"], boolean: ["work"] };
  const refused: [string[], string][] = [
    [["--bogus", "1"], "unknown option --bogus"],
    [["--bogus=1"], "unknown option --bogus"],
    [["-x"], "unknown option -x"],
    [["--rate", "5", "-q", "2"], "unknown option -q"],
    [["--no-work"], "unknown option --no-work"], // not negatable
    [["stray"], 'unexpected argument "stray"'],
    [["--rate", "5", "--", "more"], 'unexpected argument "more"'],
    [["--rate"], "option --rate needs a value"],
    [["--rate", "--work"], "option --rate needs a value"],
  ];
  for (const [args, message] of refused) {
    const e = assertThrows(() => parseAppArgs(args, opts), UsageError);
    assertEquals(e.message, message, args.join(" "));
  }
  assertThrows(
    () => parseAppArgs(["-t", "1"]),
    UsageError,
    "unknown option -t",
  );
});

Deno.test("intArg: the default, bounds, and what is not an integer", () => {
  assertEquals(intArg({}, "rate", 7), 7);
  assertEquals(intArg({ rate: "0" }, "rate", 7), 0);
  assertEquals(intArg({ size: "2048" }, "size", 64, 46, 2048), 2048);
  assertThrows(
    () => intArg({ size: "20" }, "size", 64, 46, 2048),
    UsageError,
    '--size must be an integer in 46..2048, got "20"',
  );
  assertThrows(
    () => intArg({ t: "-1" }, "t", 5),
    UsageError,
    '-t must be an integer >= 0, got "-1"',
  );
  for (const bad of ["1.5", "abc", "1e3", "0x10", "", "9007199254740993"]) {
    assertThrows(
      () => intArg({ count: bad }, "count", 1),
      UsageError,
      `--count must be an integer >= 0, got "${bad}"`,
      bad,
    );
  }
  assertThrows(
    () => intArg({ count: true }, "count", 1),
    UsageError,
    '--count must be an integer >= 0, got "true"',
  );
});

Deno.test("wantsHelp: -h or --help anywhere", () => {
  assert(wantsHelp(["--", "--help"]));
  assert(wantsHelp(["-h"]));
  assert(!wantsHelp(["-l", "0", "--", "-t", "1"]));
});

Deno.test("planExperiment: splits at --, merges EAL defaults, owns -t", () => {
  const spec = {
    name: "x",
    eal: ["-l", "0,1", "--vdev=net_null0"],
    seconds: 5,
  };
  const plan = planExperiment(spec, [], PID);
  assertEquals(plan.ealArgv, [
    "-l",
    "0,1",
    "--vdev=net_null0",
    ...DEFAULTS,
    "--",
  ]);
  assertEquals(plan.seconds, 5);
  assertEquals(plan.ownPrefix, "ex_x_4242");
  assertEquals(plan.args, {});

  const given = planExperiment(
    spec,
    ["-l", "2,3", "--file-prefix=me", "--", "-t", "0"],
    PID,
  );
  assertEquals(given.ealArgv, [
    "-l",
    "2,3",
    "--file-prefix=me",
    "--vdev=net_null0",
    "--no-pci",
    "--log-level=lib.eal:error",
    "--",
    "-t",
    "0",
  ]);
  assertEquals(given.seconds, 0);
  assertEquals(
    given.ownPrefix,
    undefined,
    "the user's prefix is not ours to remove",
  );
  assertThrows(
    () => planExperiment(spec, ["--", "-t", "x"], PID),
    UsageError,
    "-t must be",
  );
});

Deno.test("planExperiment: without `seconds`, -t is the experiment's own or unknown", () => {
  assertEquals(planExperiment({ name: "x" }, ["--"], PID).seconds, 0);
  assertThrows(
    () => planExperiment({ name: "x" }, ["--", "-t", "1"], PID),
    UsageError,
    "unknown option -t",
  );
  const own = planExperiment({ name: "x", options: { string: ["t"] } }, [
    "--",
    "-t",
    "9",
  ], PID);
  assertEquals([own.seconds, own.args.t], [0, "9"]);
  // the default lcores of a spec without `eal`
  assertEquals(planExperiment({ name: "x" }, [], PID).ealArgv.slice(0, 2), [
    "-l",
    "0,1",
  ]);
});

Deno.test("planExperiment: parse turns options into typed arguments", () => {
  const spec = {
    name: "x",
    options: { string: ["rate"] },
    parse: (raw: Record<string, unknown>) => ({
      rate: intArg(raw as never, "rate", 10, 1),
    }),
  };
  assertEquals(planExperiment(spec, ["--", "--rate", "3"], PID).args, {
    rate: 3,
  });
  assertEquals(planExperiment(spec, [], PID).args, { rate: 10 });
  assertThrows(
    () => planExperiment(spec, ["--", "--rate", "0"], PID),
    UsageError,
    "--rate must be",
  );
});

Deno.test("planExperiment: app options before --, and secondaries, are refused", () => {
  const spec = {
    name: "x",
    options: { string: ["rate"], boolean: ["work"] },
    seconds: 1,
  };
  for (
    const [argv, message] of [
      [["-t", "3"], '-t is an option of x: give it after "--"'],
      [["--rate=5"], '--rate is an option of x: give it after "--"'],
      [["--no-work"], '--no-work is an option of x: give it after "--"'],
      [
        ["--proc-type=secondary"],
        "--proc-type=secondary: an experiment runs as the primary",
      ],
      [
        ["--proc-type", "auto"],
        "--proc-type=auto: an experiment runs as the primary",
      ],
    ] as [string[], string][]
  ) {
    assertThrows(() => planExperiment(spec, argv, PID), UsageError, message);
  }
  // EAL's own short options stay EAL's even when the app has a same-named one
  const n = planExperiment({ name: "x", options: { string: ["n"] } }, [
    "-n",
    "4",
    "--",
    "-n",
    "2",
  ], PID);
  assertEquals([n.ealArgv.slice(0, 2), n.args.n], [["-n", "4"], "2"]);
  assertEquals(
    planExperiment(spec, ["--proc-type=primary"], PID).ealArgv[0],
    "--proc-type=primary",
  );
});

Deno.test("describeError: one line for bad input and DPDK, the stack for bugs", () => {
  assertEquals(
    describeError("x", new UsageError("unknown option --y")),
    "x: unknown option --y",
  );
  assertEquals(
    describeError("x", new RangeError("need two lcores")),
    "x: need two lcores",
  );
  assertEquals(
    describeError("x", new DpdkError('rte_ring_create("r")')),
    'x: rte_ring_create("r") failed (DPDK gave no reason)',
  );
  const bug = describeError("x", new TypeError("oops"));
  assert(bug.startsWith("x: TypeError: oops\n    at "), bug);
  assertEquals(describeError("x", "text"), "x: text");
});

/** Runs `fn` with console output captured. */
async function captured(fn: () => Promise<number>) {
  const out: string[] = [], err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => void out.push(a.join(" "));
  console.error = (...a: unknown[]) => void err.push(a.join(" "));
  try {
    const code = await fn();
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    Object.assign(console, { log, error });
  }
}

Deno.test("runExperiment: a wrong command line exits 2 with the usage, before EAL", async () => {
  let ran = false;
  const spec = {
    name: "demo",
    usage: "demo.ts [EAL options] -- [--rate PPS]",
    options: { string: ["rate"] },
    main: () => {
      ran = true;
      return {};
    },
  };
  const bogus = await captured(() =>
    runExperiment({ ...spec, argv: ["--", "--bogus", "1"] })
  );
  assertEquals(bogus.code, EXIT_USAGE);
  assertEquals(
    bogus.err,
    "demo: unknown option --bogus\nusage: demo.ts [EAL options] -- [--rate PPS]",
  );
  assertEquals(bogus.out, "", "no JSON line");

  const help = await captured(() =>
    runExperiment({ ...spec, argv: ["--", "--help"] })
  );
  assertEquals([help.code, help.out, help.err], [
    EXIT_OK,
    `usage: ${spec.usage}`,
    "",
  ]);

  // a parse function that fails with something else is a bug: status 1, stack
  const bug = await captured(() =>
    runExperiment({
      ...spec,
      argv: [],
      parse: () => {
        throw new TypeError("parse bug");
      },
    })
  );
  assertEquals(bug.code, EXIT_FAILED);
  assertStringIncludes(bug.err, "demo: TypeError: parse bug\n");
  assert(!ran, "main ran after a refused command line");
});

Deno.test("planExperiment: EAL defaults computed from the parsed options", () => {
  const spec = {
    name: "x",
    options: { string: ["pcap"] },
    eal: (raw: RawArgs) => [
      "-l",
      "0,1",
      typeof raw.pcap === "string"
        ? `--vdev=net_pcap0,tx_pcap=${raw.pcap}`
        : "--vdev=net_null0",
    ],
  };
  assertEquals(
    planExperiment(spec, ["--", "--pcap", "out.pcap"], PID).ealArgv.slice(0, 3),
    ["-l", "0,1", "--vdev=net_pcap0,tx_pcap=out.pcap"],
  );
  assertEquals(
    planExperiment(spec, [], PID).ealArgv.slice(0, 3),
    ["-l", "0,1", "--vdev=net_null0"],
  );
  // a device the user gives replaces the default
  assertEquals(
    planExperiment(spec, ["--vdev=net_ring0", "--", "--pcap", "o"], PID)
      .ealArgv.filter((a) => a.startsWith("--vdev")),
    ["--vdev=net_ring0"],
  );
});
