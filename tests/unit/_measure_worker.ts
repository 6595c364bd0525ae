/**
 * Worker for measure_test.ts: records seeded samples into a histogram that
 * lives in a SharedArrayBuffer at an offset, as a secondary process would in
 * a memzone, then reports done.
 */
import { Histogram } from "../../lib/measure/histogram.ts";
import { SeededRng } from "../../lib/measure/rate.ts";

interface Job {
  buffer: SharedArrayBuffer;
  offset: number;
  n: number;
  seed: number;
}

const scope = self as unknown as {
  onmessage: (e: MessageEvent<Job>) => void;
  postMessage(m: unknown): void;
};

scope.onmessage = (e) => {
  const { buffer, offset, n, seed } = e.data;
  const h = Histogram.attach(buffer, offset);
  const rng = new SeededRng(seed);
  for (let i = 0; i < n; i++) h.record(rng.exponential(20_000));
  scope.postMessage("done");
};
