/**
 * A writer for the "newc" cpio format (the one the Linux kernel unpacks as an
 * initramfs): a 110-byte ASCII header per entry ("070701" and thirteen 8-digit
 * hex fields), the NUL-terminated name padded to 4 bytes, then the data padded
 * to 4 bytes; the archive ends with an entry named "TRAILER!!!".
 */
import fs from 'node:fs';

export type CpioEntry =
  | { kind: 'dir'; path: string; mode?: number }
  | { kind: 'file'; path: string; mode?: number; data: Uint8Array }
  | { kind: 'hostfile'; path: string; mode?: number; source: string }
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'char'; path: string; mode?: number; major: number; minor: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

/** Writes entries to `out` (synchronously: the archive is a few MiB). Parents must precede children. */
export class CpioWriter {
  private fd: number;
  private ino = 1;
  private pos = 0;

  constructor(out: string) {
    this.fd = fs.openSync(out, 'w', 0o644);
  }

  private write(buf: Uint8Array): void {
    let off = 0;
    while (off < buf.length) off += fs.writeSync(this.fd, buf, off, buf.length - off);
    this.pos += buf.length;
  }

  private header(name: string, mode: number, size: number, rdevMajor = 0, rdevMinor = 0, nlink = 1): void {
    const nameBytes = Buffer.from(name + '\0', 'utf8');
    const fields = [
      this.ino++, mode, 0 /* uid */, 0 /* gid */, nlink, 0 /* mtime: fixed, so the archive is reproducible */, size,
      0, 0, // dev major/minor
      rdevMajor, rdevMinor,
      nameBytes.length, 0, // namesize, check
    ];
    const head = Buffer.from('070701' + fields.map(hex8).join(''), 'ascii');
    this.write(head);
    this.write(nameBytes);
    this.write(Buffer.alloc(pad4(head.length + nameBytes.length)));
  }

  private data(buf: Uint8Array): void {
    this.write(buf);
    this.write(Buffer.alloc(pad4(buf.length)));
  }

  add(e: CpioEntry): void {
    const name = e.path.replace(/^\/+/, '') || '.';
    switch (e.kind) {
      case 'dir':
        this.header(name, S_IFDIR | (e.mode ?? 0o755), 0, 0, 0, 2);
        break;
      case 'file':
        this.header(name, S_IFREG | (e.mode ?? 0o644), e.data.length);
        this.data(e.data);
        break;
      case 'hostfile': {
        const data = fs.readFileSync(e.source);
        const mode = e.mode ?? fs.statSync(e.source).mode & 0o7777;
        this.header(name, S_IFREG | mode, data.length);
        this.data(data);
        break;
      }
      case 'symlink': {
        const t = Buffer.from(e.target, 'utf8');
        this.header(name, S_IFLNK | 0o777, t.length);
        this.data(t);
        break;
      }
      case 'char':
        this.header(name, S_IFCHR | (e.mode ?? 0o600), 0, e.major, e.minor);
        break;
    }
  }

  /** Writes the trailer and closes the file. Returns the archive size. */
  finish(): number {
    this.header('TRAILER!!!', 0, 0, 0, 0, 1);
    // The kernel does not require it, but pad to 512 like cpio(1) does.
    const rest = (512 - (this.pos % 512)) % 512;
    if (rest) this.write(Buffer.alloc(rest));
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    return this.pos;
  }
}
