/**
 * Bootstrap of an lcore worker (see lcore.ts): binds this thread to its
 * lcore, imports the worker module and runs its default export.
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

scope.onmessage = async (e: MessageEvent<Start>) => {
  scope.onmessage = null;
  const { module, lcoreId, index, data, stop } = e.data;
  const rc = lib().shim_lcore_bind(lcoreId);
  if (rc < 0) {
    scope.postMessage({ type: "bind-failed", errno: -rc });
    return;
  }
  try {
    const ctx: LcoreContext = {
      lcoreId,
      index,
      data: fromWire(data),
      running: () => Atomics.load(stop, 0) === 0,
      post: (message) => scope.postMessage({ type: "msg", message }),
    };
    const mod = await import(module);
    const fn = mod.default as LcoreMain;
    if (typeof fn !== "function") {
      throw new Error(`${module} has no default export function`);
    }
    scope.postMessage({ type: "started" });
    const result = await fn(ctx);
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
