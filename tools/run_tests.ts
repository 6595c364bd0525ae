/**
 * Runs the test suite the way it must run: DPDK's EAL can be initialised
 * once per process, so a test file that starts EAL in its own process
 * (marked with the line `// deno-test: own process`) runs in a `deno test`
 * of its own; every other file of tests/ runs in one `deno test`, and the
 * fast tier (tests/unit/) without permissions. Prints each run's output,
 * then one line with the totals, and exits 1 when any run failed.
 *
 *   deno run -A tools/run_tests.ts            # everything (./setup.sh test)
 *   deno run -A tools/run_tests.ts tests/x_test.ts ...   # some files
 *
 * @module
 */

const ROOT = new URL("../", import.meta.url).pathname;
const MARK = "// deno-test: own process";

/** The counts of a `deno test` summary line ("ok | 5 passed | 0 failed"). */
export function summaryCounts(
  output: string,
): { passed: number; failed: number; ignored: number } | undefined {
  // deno-lint-ignore no-control-regex
  const plain = output.replace(/\x1b\[[0-9;]*m/g, "");
  const m = [
    ...plain.matchAll(
      /^(?:ok|FAILED) \| (\d+) passed(?: \([^)]*\))? \| (\d+) failed(?: \| (\d+) ignored)?/gm,
    ),
  ].at(-1);
  if (m === undefined) return undefined;
  return {
    passed: Number(m[1]),
    failed: Number(m[2]),
    ignored: Number(m[3] ?? 0),
  };
}

async function deno(args: string[]): Promise<{ code: number; out: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const dec = new TextDecoder();
  let out = "";
  const pump = async (
    s: ReadableStream<Uint8Array>,
    to: typeof Deno.stdout,
  ) => {
    for await (const chunk of s) {
      out += dec.decode(chunk, { stream: true });
      await to.write(chunk);
    }
  };
  const [status] = await Promise.all([
    child.status,
    pump(child.stdout, Deno.stdout),
    pump(child.stderr, Deno.stderr),
  ]);
  return { code: status.code, out };
}

async function main(): Promise<number> {
  const given = Deno.args;
  const files = given.length > 0 ? given : [...Deno.readDirSync(`${ROOT}tests`)]
    .filter((e) => e.isFile && e.name.endsWith("_test.ts"))
    .map((e) => `tests/${e.name}`).sort();
  const own: string[] = [];
  const shared: string[] = [];
  for (const f of files) {
    (Deno.readTextFileSync(ROOT + f).includes(MARK) ? own : shared).push(f);
  }
  const runs: { name: string; args: string[] }[] = [];
  if (given.length === 0) {
    runs.push({ name: "tests/unit/", args: ["test", "tests/unit/"] });
  }
  if (shared.length > 0) {
    runs.push({ name: "shared", args: ["test", "-A", ...shared] });
  }
  for (const f of own) runs.push({ name: f, args: ["test", "-A", f] });

  const total = { passed: 0, failed: 0, ignored: 0 };
  const bad: string[] = [];
  for (const r of runs) {
    console.log(`\n==> deno ${r.args.join(" ")}`);
    const { code, out } = await deno(r.args);
    const c = summaryCounts(out);
    if (c) {
      total.passed += c.passed;
      total.failed += c.failed;
      total.ignored += c.ignored;
    }
    if (code !== 0 || c === undefined) {
      bad.push(
        `${r.name} (exit ${code}${c === undefined ? ", no summary" : ""})`,
      );
      if (c === undefined || c.failed === 0) total.failed++; // a crash counts
    }
  }
  console.log();
  if (bad.length > 0) console.log(`failed runs: ${bad.join(", ")}`);
  console.log(
    `tests: ${total.passed} passed, ${total.failed} failed, ${total.ignored} skipped`,
  );
  return bad.length > 0 ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
