/**
 * Lines of a byte stream (stdin) with a bound on their length, for the
 * prompts of the sample applications: memory stays within the bound
 * whatever arrives (a line that never ends, a binary file piped in).
 *
 * Pure: no DPDK, no shim (tests/unit/hotplug_test.ts).
 *
 * @module
 */

/** One item of {@linkcode readLines}. */
export type LineItem =
  /** A line, without its line end (`\n` or `\r\n`). */
  | { kind: "line"; text: string }
  /**
   * A line longer than the bound, discarded: its length in bytes and its
   * first bytes, decoded (for a message).
   */
  | { kind: "overlong"; bytes: number; head: string };

const LF = 0x0a;
const CR = 0x0d;

/**
 * The lines of `stream`, in order, until its end (a last line without a
 * line end counts). A line of more than `maxBytes` bytes (counting the `\r`
 * of a `\r\n` end) comes as one `overlong` item: its bytes beyond the bound
 * are counted, never kept. Text is decoded as UTF-8 (invalid bytes become
 * U+FFFD).
 *
 * @param stream the bytes, e.g. `Deno.stdin.readable`
 * @param maxBytes the longest line kept, in bytes
 * @param headBytes how many of an overlong line's first bytes to decode
 *   into its `head`
 * @throws RangeError unless `maxBytes` is a positive integer
 */
export async function* readLines(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
  headBytes = 40,
): AsyncGenerator<LineItem> {
  if (!Number.isInteger(maxBytes) || maxBytes < 1) {
    throw new RangeError(
      `readLines: maxBytes ${maxBytes} is not a positive integer`,
    );
  }
  const decoder = new TextDecoder();
  const buf = new Uint8Array(maxBytes);
  let len = 0; // bytes of the current line kept in buf
  let over = 0; // > 0: the current line is overlong; its bytes so far
  let head = "";

  const finish = (): LineItem => {
    if (over > 0) {
      const item: LineItem = { kind: "overlong", bytes: over, head };
      over = 0;
      head = "";
      return item;
    }
    const end = len > 0 && buf[len - 1] === CR ? len - 1 : len;
    len = 0;
    return { kind: "line", text: decoder.decode(buf.subarray(0, end)) };
  };

  for await (const chunk of stream) {
    let at = 0;
    while (at < chunk.length) {
      const nl = chunk.indexOf(LF, at);
      const piece = chunk.subarray(at, nl < 0 ? chunk.length : nl);
      if (over > 0) {
        over += piece.length;
      } else if (len + piece.length <= maxBytes) {
        buf.set(piece, len);
        len += piece.length;
      } else {
        // past the bound: keep a head for the message, count the rest
        const first = new Uint8Array(Math.min(headBytes, len + piece.length));
        first.set(buf.subarray(0, Math.min(len, first.length)));
        if (len < first.length) {
          first.set(piece.subarray(0, first.length - len), len);
        }
        head = decoder.decode(first);
        over = len + piece.length;
        len = 0;
      }
      if (nl < 0) break;
      yield finish();
      at = nl + 1;
    }
  }
  if (len > 0 || over > 0) yield finish();
}
