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
 * GNU diff's line discarding: a line with no match in the other file cannot be part of
 * the common subsequence, so it is marked changed and left out of the search; a line with
 * very many matches is left out too when it sits inside a run of such lines. This changes
 * which of several equally short scripts is found, so it is done as GNU diff does it.
 */
function discardConfusingLines(eq: [number[], number[]], changed: [boolean[], boolean[]]): [number[], number[]] {
  const counts = eq.map((e) => {
    const c = new Map<number, number>();
    for (const x of e) c.set(x, (c.get(x) ?? 0) + 1);
    return c;
  });
  const discards = eq.map((e, f) => {
    const end = e.length;
    let many = 5;
    for (let tem = Math.floor(end / 64); (tem >>= 2) > 0;) many *= 2;
    return e.map((x) => {
      const nmatch = counts[1 - f]!.get(x) ?? 0;
      return nmatch === 0 ? 1 : nmatch > many ? 2 : 0;
    });
  });
  for (const d of discards) {
    const end = d.length;
    for (let i = 0; i < end; i++) {
      if (d[i] === 2) { d[i] = 0; continue; }
      if (d[i] === 0) continue;
      let provisional = 0, j = i;
      for (; j < end; j++) {
        if (d[j] === 0) break;
        if (d[j] === 2) provisional++;
      }
      while (j > i && d[j - 1] === 2) { d[--j] = 0; provisional--; }
      const length = j - i;
      if (provisional * 4 > length) {
        while (j > i) if (d[--j] === 2) d[j] = 0;
      } else {
        let minimum = 1;
        for (let tem = length >> 2; (tem >>= 2) > 0;) minimum <<= 1;
        minimum++;
        for (let k = 0, consec = 0; k < length; k++) {
          if (d[i + k] !== 2) consec = 0;
          else if (minimum === ++consec) k -= consec;
          else if (minimum < consec) d[i + k] = 0;
        }
        for (let k = 0, consec = 0; k < length; k++) {
          if (k >= 8 && d[i + k] === 1) break;
          if (d[i + k] === 2) { consec = 0; d[i + k] = 0; }
          else if (d[i + k] === 0) consec = 0;
          else consec++;
          if (consec === 3) break;
        }
        i += length - 1;
        for (let k = 0, consec = 0; k < length; k++) {
          if (k >= 8 && d[i - k] === 1) break;
          if (d[i - k] === 2) { consec = 0; d[i - k] = 0; }
          else if (d[i - k] === 0) consec = 0;
          else consec++;
          if (consec === 3) break;
        }
      }
    }
  }
  // What is left is searched; the index maps back to the real line.
  return discards.map((d, f) => {
    const real: number[] = [];
    d.forEach((v, i) => { if (v) changed[f]![i] = true; else real.push(i); });
    return real;
  }) as [number[], number[]];
}

/**
 * The shortest edit script between the undiscarded lines, by GNU diff's divide and
 * conquer: find where the forward and backward searches meet (the middle snake), recurse
 * on both halves. Marks changed lines of both files.
 */
function compareSeq(xv: number[], yv: number[], xChanged: (i: number) => void, yChanged: (i: number) => void): void {
  const size = xv.length + yv.length + 3, offset = yv.length + 1;
  const fd = new Int32Array(size), bd = new Int32Array(size);
  const diag = (xoff: number, xlim: number, yoff: number, ylim: number): [number, number] => {
    const dmin = xoff - ylim, dmax = xlim - yoff, fmid = xoff - yoff, bmid = xlim - ylim;
    let fmin = fmid, fmax = fmid, bmin = bmid, bmax = bmid;
    const odd = ((fmid - bmid) & 1) !== 0;
    fd[offset + fmid] = xoff;
    bd[offset + bmid] = xlim;
    for (;;) {
      if (fmin > dmin) fd[offset + --fmin - 1] = -1; else ++fmin;
      if (fmax < dmax) fd[offset + ++fmax + 1] = -1; else --fmax;
      for (let d = fmax; d >= fmin; d -= 2) {
        const tlo = fd[offset + d - 1]!, thi = fd[offset + d + 1]!;
        let x = tlo < thi ? thi : tlo + 1, y = x - d;
        while (x < xlim && y < ylim && xv[x] === yv[y]) { x++; y++; }
        fd[offset + d] = x;
        if (odd && bmin <= d && d <= bmax && bd[offset + d]! <= x) return [x, y];
      }
      if (bmin > dmin) bd[offset + --bmin - 1] = 0x7fffffff; else ++bmin;
      if (bmax < dmax) bd[offset + ++bmax + 1] = 0x7fffffff; else --bmax;
      for (let d = bmax; d >= bmin; d -= 2) {
        const tlo = bd[offset + d - 1]!, thi = bd[offset + d + 1]!;
        let x = tlo < thi ? tlo : thi - 1, y = x - d;
        while (xoff < x && yoff < y && xv[x - 1] === yv[y - 1]) { x--; y--; }
        bd[offset + d] = x;
        if (!odd && fmin <= d && d <= fmax && x <= fd[offset + d]!) return [x, y];
      }
    }
  };
  const seq = (xoff: number, xlim: number, yoff: number, ylim: number): void => {
    while (xoff < xlim && yoff < ylim && xv[xoff] === yv[yoff]) { xoff++; yoff++; }
    while (xlim > xoff && ylim > yoff && xv[xlim - 1] === yv[ylim - 1]) { xlim--; ylim--; }
    if (xoff === xlim) { while (yoff < ylim) yChanged(yoff++); return; }
    if (yoff === ylim) { while (xoff < xlim) xChanged(xoff++); return; }
    const [xmid, ymid] = diag(xoff, xlim, yoff, ylim);
    seq(xoff, xmid, yoff, ymid);
    seq(xmid, xlim, ymid, ylim);
  };
  seq(0, xv.length, 0, yv.length);
}

/** Which lines of A are deleted and which lines of B inserted, as GNU diff decides. */
function editScript(a: string[], b: string[]): { delA: boolean[]; insB: boolean[] } {
  const ids = new Map<string, number>();
  const id = (l: string) => { let v = ids.get(l); if (v === undefined) ids.set(l, (v = ids.size + 1)); return v; };
  const eq: [number[], number[]] = [a.map(id), b.map(id)];
  const changed: [boolean[], boolean[]] = [new Array<boolean>(a.length).fill(false), new Array<boolean>(b.length).fill(false)];
  const [realA, realB] = discardConfusingLines(eq, changed);
  compareSeq(realA.map((i) => eq[0][i]!), realB.map((i) => eq[1][i]!),
    (k) => { changed[0][realA[k]!] = true; }, (k) => { changed[1][realB[k]!] = true; });
  return { delA: changed[0], insB: changed[1] };
}

/**
 * GNU diff's boundary shifting, so that among equally short scripts the same one is
 * printed: each run of changed lines slides back (merging with earlier runs) and then
 * forward as far as equal lines allow, repeating while runs merge; then it moves back to
 * where it lines up with a run of changes in the other file, if it can. Index -1 and
 * `length` read as unchanged.
 */
function shiftBoundaries(lines: string[], changed: boolean[], other: boolean[]): void {
  const ch = (k: number) => k >= 0 && k < changed.length && changed[k]!;
  const oc = (k: number) => k >= 0 && k < other.length && other[k]!;
  const end = lines.length;
  let i = 0, j = 0;
  for (;;) {
    while (i < end && !ch(i)) {
      while (oc(j++));
      i++;
    }
    if (i === end) break;
    let start = i;
    while (ch(++i));
    while (oc(j)) j++;
    let runlength: number, corresponding: number;
    do {
      runlength = i - start;
      while (start > 0 && lines[start - 1] === lines[i - 1]) {
        changed[--start] = true;
        changed[--i] = false;
        while (ch(start - 1)) start--;
        while (oc(--j));
      }
      corresponding = oc(j - 1) ? i : end;
      while (i !== end && lines[start] === lines[i]) {
        changed[start++] = false;
        changed[i++] = true;
        while (ch(i)) i++;
        while (oc(++j)) corresponding = i;
      }
    } while (runlength !== i - start);
    while (corresponding < i) {
      changed[--start] = true;
      changed[--i] = false;
      while (oc(--j));
    }
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
  shiftBoundaries(a, delA, insB);
  shiftBoundaries(b, insB, delA);
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
