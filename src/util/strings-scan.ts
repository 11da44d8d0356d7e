/**
 * The printable strings of a byte buffer as `strings -a -e ENCODING` prints them
 * (GNU binutils): runs of at least 4 printable characters (tab included), where a
 * character is 1, 2 or 4 bytes in the encoding's byte order. After a run ends the
 * scan resumes one byte past the start of the character that ended it, so strings
 * at odd offsets of a 16-bit text are found as strings(1) finds them.
 */

const MIN_LENGTH = 4;

export const STRING_ENCODINGS = 'sSblBL';

export function scanStrings(data: Uint8Array, encoding: string): string[] {
  const width = encoding === 'b' || encoding === 'l' ? 2 : encoding === 'B' || encoding === 'L' ? 4 : 1;
  const bigEndian = encoding === 'b' || encoding === 'B';
  const eightBit = encoding === 'S';
  const charAt = (p: number): number | undefined => {
    if (p + width > data.length) return undefined;
    let v = 0;
    for (let k = 0; k < width; k++) {
      const byte = data[p + (bigEndian ? k : width - 1 - k)]!;
      v = v * 256 + byte;
    }
    return v;
  };
  const graphic = (c: number) => c === 9 || (c >= 0x20 && c <= 0x7e) || (eightBit && c > 127 && c <= 255);
  const out: string[] = [];
  let p = 0;
  while (p + width <= data.length) {
    let run = '';
    let q = p;
    let c: number | undefined;
    while ((c = charAt(q)) !== undefined && graphic(c)) {
      run += String.fromCharCode(c);
      q += width;
    }
    // The bytes as UTF-8: 8-bit strings are most often UTF-8 text.
    if (run.length >= MIN_LENGTH) out.push(Buffer.from(run, 'latin1').toString('utf8'));
    if (c === undefined) break;
    p = q + 1;
  }
  return out;
}
