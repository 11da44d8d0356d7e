/**
 * The body of `diff -u A B` as GNU diff prints it, without its two header lines (virt-diff
 * cuts them off with `tail -n +3`): hunks of 3 context lines, "@@ -l,s +l,s @@" headers,
 * "\ No newline at end of file" markers. Binary input (a NUL byte in the first 32 KiB of
 * either file, GNU diff's test) prints nothing here: GNU's one-line "Binary files differ"
 * is a header line that virt-diff's tail cuts off. Lines are compared as bytes.
 */
const CONTEXT = 3;
const BINARY_PROBE = 32 * 1024;

function isBinary(buf: Uint8Array): boolean {
  return buf.subarray(0, BINARY_PROBE).includes(0);
}

/** Lines with their newline kept, so "no newline at end" is visible on the last one. */
function splitLines(buf: Uint8Array): string[] {
  const s = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('latin1');
  const out: string[] = [];
  let start = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', start)) {
    out.push(s.slice(start, i + 1));
    start = i + 1;
  }
  if (start < s.length) out.push(s.slice(start));
  return out;
}

/**
 * Myers' O((N+M)D) shortest edit script. Returns, for each line of A and of B, whether it
 * is changed (deleted from A / inserted into B).
 */
function editScript(a: string[], b: string[]): { delA: boolean[]; insB: boolean[] } {
  const n = a.length, m = b.length, max = n + m;
  const delA = new Array<boolean>(n).fill(true), insB = new Array<boolean>(m).fill(true);
  const off = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice(off - d - 1, off + d + 2)); // the frontier, k in [-d-1, d+1]
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1]! < v[off + k + 1]!) ? v[off + k + 1]! : v[off + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) { x++; y++; }
      v[off + k] = x;
      if (x >= n && y >= m) { found = true; break; }
    }
  }
  // Walk back through the saved frontiers, marking the diagonal (unchanged) runs.
  let x = n, y = m;
  for (let d = trace.length - 1; d >= 0 && (x > 0 || y > 0); d--) {
    const vd = trace[d]!, at = (k: number) => vd[k + d + 1]!;
    const k = x - y;
    const prevK = d === 0 ? 0 : k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) { x--; y--; delA[x] = false; insB[y] = false; }
    x = prevX; y = prevY;
  }
  return { delA, insB };
}

/** GNU diff slides each run of changed lines as far down as equal lines allow. */
function slideDown(lines: string[], changed: boolean[]): void {
  for (let i = 0; i < lines.length; ) {
    if (!changed[i]) { i++; continue; }
    let end = i;
    while (end < lines.length && changed[end]) end++;
    while (end < lines.length && !changed[end] && lines[end] === lines[i]) {
      changed[i] = false; changed[end] = true; i++; end++;
      while (end < lines.length && changed[end]) end++;
    }
    i = end;
  }
}

function range(start: number, count: number): string {
  if (count === 1) return String(start + 1);
  return `${count === 0 ? start : start + 1},${count}`;
}

/** The unified diff body (latin1 string of the raw bytes), '' when equal or binary. */
export function unifiedDiffBody(bufA: Uint8Array, bufB: Uint8Array): string {
  if (isBinary(bufA) || isBinary(bufB)) return '';
  const a = splitLines(bufA), b = splitLines(bufB);
  const { delA, insB } = editScript(a, b);
  slideDown(a, delA);
  slideDown(b, insB);
  // Pair the two sequences into a list of ops: ' ' keep, '-' delete, '+' insert.
  const ops: { op: ' ' | '-' | '+'; line: string; ia: number; ib: number }[] = [];
  let i = 0, j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && delA[i]) { ops.push({ op: '-', line: a[i]!, ia: i, ib: j }); i++; }
    else if (j < b.length && insB[j]) { ops.push({ op: '+', line: b[j]!, ia: i, ib: j }); j++; }
    else { ops.push({ op: ' ', line: a[i]!, ia: i, ib: j }); i++; j++; }
  }
  let out = '';
  for (let p = 0; p < ops.length; ) {
    if (ops[p]!.op === ' ') { p++; continue; }
    // A hunk: from CONTEXT lines before this change to CONTEXT after the last change
    // that is at most 2*CONTEXT unchanged lines from the previous one.
    const start = Math.max(0, p - CONTEXT);
    let end = p;
    for (let q = p; q < ops.length; q++) {
      if (ops[q]!.op !== ' ') end = q;
      else if (q - end > 2 * CONTEXT) break;
    }
    const stop = Math.min(ops.length, end + 1 + CONTEXT);
    const hunk = ops.slice(start, stop);
    const na = hunk.filter((o) => o.op !== '+').length, nb = hunk.filter((o) => o.op !== '-').length;
    out += `@@ -${range(hunk[0]!.ia, na)} +${range(hunk[0]!.ib, nb)} @@\n`;
    for (const o of hunk) {
      out += o.op + o.line;
      if (!o.line.endsWith('\n')) out += '\n\\ No newline at end of file\n';
    }
    p = stop;
  }
  return out;
}
