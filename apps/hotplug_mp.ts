/**
 * hotplug_mp: DPDK's hotplug multi-process sample in TypeScript (the C
 * original is examples/multi_process/hotplug_mp). Any process of a group
 * attaches or detaches a device, and EAL applies it in every process:
 *
 * ```sh
 * deno run -A apps/hotplug_mp.ts -l 0 --no-pci --proc-type=primary
 * deno run -A apps/hotplug_mp.ts --lcores=1@1 --no-pci --proc-type=secondary
 * # at either prompt:  attach net_null0  |  list  |  detach net_null0  |  quit
 * ```
 *
 * The command line is EAL's only, as in C. Commands, as in C: `attach
 * <devargs>`, `detach <devargs>`, `list`, `help`, `quit`; the prompt is
 * `example> `, and the output lines are C's: `attached device NAME`,
 * `failed to attached device NAME` (C's wording), `detaching...`,
 * `detached device NAME`, `failed to detach device NAME`, `cannot parse
 * devargs`, and `list all etherdev` followed by `ID<tab>NAME` per port.
 *
 * Differences from C:
 * - Each failure line says why after a colon (C says nothing):
 *   `failed to attached device net_null0: net_null0 is attached already
 *   (port 0)`. Attaching a device that is attached already fails (C
 *   reports `attached device` again); so does attaching a PCI device while
 *   EAL runs with `--no-pci`.
 * - Detaching a device one of whose ports is started (a process of the
 *   group forwards on it) is refused: C detaches it under the forwarder,
 *   which then calls into a released device.
 * - A device string longer than C's token (126 bytes) is refused with a
 *   message (C: `Bad arguments`), and so is a line of more than 532 bytes
 *   (C's line editor drops what it cannot hold); such a line is never kept
 *   whole in memory.
 * - stdin need not be a terminal: commands can be piped in, one a line
 *   (each is echoed after the prompt, as C's line editor does); EOF quits
 *   (C spins at 100% CPU). SIGINT/SIGTERM quit cleanly. A secondary whose
 *   primary dies says so and exits (status 1).
 * - Application arguments (after `--`) are refused (C ignores them).
 *
 * @module
 */

import {
  attachDevice,
  cleanupEal,
  detachDevice,
  devargsMax,
  HotplugError,
  listPorts,
  parseDevargs,
} from "../mod.ts";
import { onShutdown, readLines, startEal, watchPrimary } from "./common.ts";

const PROG = "hotplug_mp";
/** The C sample's prompt. */
export const PROMPT: string = "example> ";
/** The C sample's `help` text. */
export const HELP: string = "commands:\n" +
  "- attach <devargs>\n" +
  "- detach <devargs>\n" +
  "- list\n\n";
/** The commands, for messages. */
const COMMANDS = "attach <devargs>, detach <devargs>, list, help, quit";
/** What a device string looks like, for messages. */
const DEVARGS_HINT = "a virtual device is named after its driver and a " +
  "number, with its options after commas: net_null0, net_ring0, " +
  "net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap";

/** A parsed command line. */
export type Command =
  | { kind: "empty" }
  | { kind: "help" }
  | { kind: "quit" }
  | { kind: "list" }
  | { kind: "attach"; devargs: string }
  | { kind: "detach"; devargs: string }
  /** Not a command: what to print. */
  | { kind: "bad"; message: string };

/**
 * Parses one command line (leading and trailing blanks ignored). Pure: the
 * device-string bound is a parameter, read from the shim only when not
 * given.
 *
 * @param line the line, without its line end
 * @param maxDevargs the longest device string, in bytes (UTF-8)
 */
export function parseCommand(
  line: string,
  maxDevargs: number = devargsMax(),
): Command {
  const words = line.trim().split(/\s+/).filter((w) => w !== "");
  if (words.length === 0) return { kind: "empty" };
  const [cmd, ...rest] = words;
  switch (cmd) {
    case "help":
    case "quit":
    case "list":
      if (rest.length > 0) {
        return { kind: "bad", message: `Bad arguments (usage: ${cmd})` };
      }
      return { kind: cmd };
    case "attach":
    case "detach": {
      if (rest.length !== 1) {
        return {
          kind: "bad",
          message: `Bad arguments (usage: ${cmd} <devargs>, one word, no ` +
            "blanks)",
        };
      }
      const bytes = new TextEncoder().encode(rest[0]).length;
      if (bytes > maxDevargs) {
        return {
          kind: "bad",
          message: `Bad arguments: devargs of ${bytes} bytes, at most ` +
            `${maxDevargs}`,
        };
      }
      return { kind: cmd, devargs: rest[0] };
    }
    default:
      return {
        kind: "bad",
        message: `Command not found: '${shorten(cmd)}' (commands: ${COMMANDS})`,
      };
  }
}

/**
 * The longest line read, in bytes: four times the longest command
 * (`attach` or `detach`, a blank and the longest device string), room for
 * blanks and for a device string a little too long, which then gets its own
 * message. Longer lines are discarded without being kept whole.
 */
export function lineMax(maxDevargs: number = devargsMax()): number {
  return 4 * ("attach ".length + maxDevargs);
}

/** `text` cut to `max` characters, with "...". */
function shorten(text: string, max = 40): string {
  return text.length <= max ? text : `${text.slice(0, max)}...`;
}

const encoder = new TextEncoder();

/** Writes text to stdout, all of it. */
function out(text: string): void {
  const data = encoder.encode(text);
  let done = 0;
  while (done < data.length) done += Deno.stdout.writeSync(data.subarray(done));
}

/** Why a hotplug call failed, for the line after the colon. */
function reason(e: unknown): string {
  if (e instanceof HotplugError || e instanceof RangeError) return e.message;
  throw e;
}

/** `attach <devargs>` (cmd_dev_attach_parsed in C). */
function attach(devargs: string): void {
  let name: string;
  try {
    name = parseDevargs(devargs).name;
  } catch (e) {
    out(`cannot parse devargs: ${reason(e)} (${DEVARGS_HINT})\n`);
    return;
  }
  try {
    attachDevice(devargs);
    out(`attached device ${name}\n`);
  } catch (e) {
    out(`failed to attached device ${name}: ${reason(e)}\n`);
  }
}

/** `detach <devargs>` (cmd_dev_detach_parsed in C). */
function detach(devargs: string): void {
  let name: string;
  try {
    name = parseDevargs(devargs).name;
  } catch (e) {
    out(`cannot parse devargs: ${reason(e)} (${DEVARGS_HINT})\n`);
    return;
  }
  out("detaching...\n");
  try {
    detachDevice(devargs);
    out(`detached device ${name}\n`);
  } catch (e) {
    out(`failed to detach device ${name}: ${reason(e)}\n`);
  }
}

/** `list` (cmd_list_parsed in C). */
function list(): void {
  out("list all etherdev\n");
  for (const p of listPorts()) out(`${p.id}\t${p.name}\n`);
}

/** Runs one command; returns whether to quit. */
function run(command: Command): boolean {
  switch (command.kind) {
    case "empty":
      return false;
    case "help":
      out(HELP);
      return false;
    case "quit":
      return true;
    case "list":
      list();
      return false;
    case "attach":
      attach(command.devargs);
      return false;
    case "detach":
      detach(command.devargs);
      return false;
    case "bad":
      out(command.message + "\n");
      return false;
  }
}

/** The application: EAL, then the prompt until `quit` or EOF. */
async function main(): Promise<void> {
  const { args } = startEal(Deno.args, PROG);
  if (args.length > 0) {
    console.error(
      `${PROG}: takes no application arguments (got: ${
        shorten(args.join(" "))
      })`,
    );
    cleanupEal();
    Deno.exit(1);
  }
  const maxDevargs = devargsMax();
  const maxLine = lineMax(maxDevargs);

  let exiting = false;
  const exit = (code: number, message?: string): never => {
    exiting = true;
    if (message) console.error(message);
    stopWatching();
    stopSignals();
    cleanupEal();
    Deno.exit(code);
  };
  const stopWatching = watchPrimary(() =>
    exit(
      1,
      `\n${PROG}: the primary process has exited: stopping this secondary`,
    ), 250);
  const stopSignals = onShutdown((signal) =>
    exit(0, `\n${PROG}: ${signal} received, exiting`)
  );

  const echo = !Deno.stdin.isTerminal();
  let quit = false;
  out(PROMPT);
  for await (const item of readLines(Deno.stdin.readable, maxLine)) {
    if (exiting) break;
    if (item.kind === "overlong") {
      if (echo) out(`${item.head}...\n`);
      out(
        `line too long (${item.bytes} bytes, at most ${maxLine}): ignored\n`,
      );
    } else {
      if (echo) out(item.text + "\n");
      quit = run(parseCommand(item.text, maxDevargs));
      if (quit) break;
    }
    out(PROMPT);
  }
  if (!quit) out("\n"); // end of input: end the prompt's line
  exit(0);
}

if (import.meta.main) await main();
