/**
 * Bootstrap of an lcore worker (see lcore.ts): binds this thread to its
 * lcore, imports the worker module and runs its default export.
 *
 * With `DPDK_TS_LCORE_PROF=DIR` in the environment (and `--allow-env`,
 * `--allow-write`), each worker records a V8 CPU profile of its main
 * function and writes it to `DIR/lcore-ID-PID.cpuprofile` before it
 * reports done (Deno's `--cpu-prof` profiles the main thread only). Open it
 * in Chrome DevTools, or summarise it: `deno run -A support/bench.ts
 * cpuprof FILE`.
 *
 * @module
 */

import { lib } from "../ffi/lib.ts";
import type { LcoreContext, LcoreMain } from "./lcore.ts";
import { fromWire } from "./handle.ts";
// the handle kinds a worker can be given register their revivers
import "./ring.ts";
import "./mempool.ts";
import "./memzone.ts";
import "./ethdev.ts";

/** Environment variable naming the folder for lcore CPU profiles. */
export const LCORE_PROF_ENV = "DPDK_TS_LCORE_PROF";

/** Sampling interval of lcore CPU profiles, microseconds. */
const PROF_INTERVAL_US = 100;

interface Start {
  module: string;
  lcoreId: number;
  index: number;
  data: unknown;
  stop: Int32Array<SharedArrayBuffer>;
}

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<Start>) => void) | null;
  postMessage(m: unknown): void;
};

function profDir(): string | undefined {
  // asked only where env access is granted: a compiled app (FFI only)
  // makes no permission check for it
  const q = Deno.permissions.querySync({
    name: "env",
    variable: LCORE_PROF_ENV,
  });
  if (q.state !== "granted") return undefined;
  return Deno.env.get(LCORE_PROF_ENV) || undefined;
}

/**
 * Starts V8's CPU profiler on this thread (node:inspector); returns the
 * function that stops it and writes the profile.
 */
async function startProfile(
  dir: string,
  lcoreId: number,
): Promise<() => Promise<void>> {
  const { Session } = await import("node:inspector");
  const session = new Session();
  session.connect();
  const post = (method: string, params: object = {}) =>
    new Promise<Record<string, unknown>>((resolve, reject) =>
      session.post(
        method,
        params,
        (err: Error | null, res?: object) =>
          err ? reject(err) : resolve((res ?? {}) as Record<string, unknown>),
      )
    );
  await post("Profiler.enable");
  await post("Profiler.setSamplingInterval", { interval: PROF_INTERVAL_US });
  await post("Profiler.start");
  return async () => {
    const { profile } = await post("Profiler.stop");
    session.disconnect();
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(
      `${dir}/lcore-${lcoreId}-${Deno.pid}.cpuprofile`,
      JSON.stringify(profile),
    );
  };
}

scope.onmessage = async (e: MessageEvent<Start>) => {
  scope.onmessage = null;
  const { module, lcoreId, index, data, stop } = e.data;
  const rc = lib().shim_lcore_bind(lcoreId);
  if (rc < 0) {
    scope.postMessage({ type: "bind-failed", errno: -rc });
    return;
  }
  try {
    // running() is called once per burst: Atomics.load is a builtin call
    // in V8 (about 130 instructions, callgrind: bench/README.md), so it
    // reads the flag plainly (a racy read of shared memory is defined in
    // JS: it sees the store soon after, within a burst or two) and
    // atomically every 16th call, which ends even a loop whose plain read
    // the compiler kept in a register.
    let calls = 0;
    const ctx: LcoreContext = {
      lcoreId,
      index,
      data: fromWire(data),
      running: () =>
        (++calls & 15) !== 0 ? stop[0] === 0 : Atomics.load(stop, 0) === 0,
      post: (message) => scope.postMessage({ type: "msg", message }),
    };
    const mod = await import(module);
    const fn = mod.default as LcoreMain;
    if (typeof fn !== "function") {
      throw new Error(`${module} has no default export function`);
    }
    const dir = profDir();
    const endProfile = dir === undefined
      ? undefined
      : await startProfile(dir, lcoreId);
    scope.postMessage({ type: "started" });
    const result = await fn(ctx);
    await endProfile?.();
    scope.postMessage({ type: "done", result });
  } catch (err) {
    const e = err as Error;
    scope.postMessage({
      type: "error",
      message: e?.message ?? String(err),
      stack: e?.stack,
    });
  } finally {
    lib().shim_lcore_unbind();
  }
};
