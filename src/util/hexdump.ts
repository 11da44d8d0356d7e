/** `hexdump -C` (canonical hex+ASCII) text of a buffer, as util-linux and busybox print it. */

const WIDTH = 16;

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function line(data: Uint8Array, off: number): string {
  const n = Math.min(WIDTH, data.length - off);
  let hex = '';
  let text = '';
  for (let i = 0; i < WIDTH; i++) {
    if (i === 8) hex += ' ';
    if (i < n) {
      const b = data[off + i]!;
      hex += `${b.toString(16).padStart(2, '0')} `;
      text += b >= 0x20 && b <= 0x7e ? String.fromCharCode(b) : '.';
    } else {
      hex += '   ';
    }
  }
  return `${hex8(off)}  ${hex} |${text}|\n`;
}

function sameAsPrevious(data: Uint8Array, off: number): boolean {
  if (off === 0 || off + WIDTH > data.length) return false;
  for (let i = 0; i < WIDTH; i++) if (data[off + i] !== data[off - WIDTH + i]) return false;
  return true;
}

export function hexdumpCanonical(data: Uint8Array): string {
  if (data.length === 0) return '';
  let out = '';
  let starred = false;
  for (let off = 0; off < data.length; off += WIDTH) {
    // Repeats of the previous full line collapse into one "*".
    if (sameAsPrevious(data, off)) {
      if (!starred) out += '*\n';
      starred = true;
      continue;
    }
    starred = false;
    out += line(data, off);
  }
  return out + `${hex8(data.length)}\n`;
}
