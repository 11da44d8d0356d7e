/**
 * --machine-readable[=FORMAT] when the tool runs on disks (guestfs-tools'
 * virt-sparsify and virt-resize): each progress message also as a JSON object,
 * `{ "message": "...", "timestamp": "RFC 3339, nanoseconds", "type": "message" }`,
 * printed before its "[  12.3] ..." line, and progress as "POS/TOTAL" lines
 * (tools/common/progress-bar.ts), to FORMAT's place: stream:stdout (default),
 * stream:stderr, file:NAME or fd:N.
 */
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { ErrnoError } from '../../src/errors/index.js';

export type MachineReadableSink = (text: string) => void;

/** Where --machine-readable's output goes: no value (true) means stdout. */
export function machineReadableSink(format: string | boolean): MachineReadableSink {
  if (typeof format === 'boolean' || format === 'stream:stdout') return (t) => process.stdout.write(t);
  if (format === 'stream:stderr') return (t) => process.stderr.write(t);
  let fd: number;
  if (format.startsWith('fd:') && /^\d+$/.test(format.slice(3))) {
    fd = Number(format.slice(3));
    try {
      fs.fstatSync(fd);
    } catch (e) {
      throw new ErrnoError('EBADF', `--machine-readable=${format}: file descriptor ${fd} is not open`, { cause: e });
    }
  } else if (format.startsWith('file:') && format.length > 5) {
    fd = fs.openSync(format.slice(5), 'w', 0o644);
  } else {
    throw new ErrnoError('EINVAL', `invalid output for --machine-readable: ${format}`);
  }
  return (t) => fs.writeSync(fd, t);
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Now as RFC 3339 in local time with nanoseconds and the UTC offset: 2026-12-06T06:54:00.851299101+00:00. */
export function rfc3339Now(nowMs: number = performance.timeOrigin + performance.now()): string {
  const ms = Math.floor(nowMs);
  const nanos = Math.floor((nowMs - ms) * 1e6);
  const d = new Date(ms);
  const off = -d.getTimezoneOffset();
  const zone = `${off < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}${pad(nanos, 6)}`;
  return `${date}T${time}${zone}`;
}

/** One JSON message line, as guestfs-tools prints it (type "message", "info" or "warning"). */
export function jsonMessage(text: string, type: 'message' | 'info' | 'warning', timestamp: string = rfc3339Now()): string {
  return `{ "message": ${JSON.stringify(text)}, "timestamp": ${JSON.stringify(timestamp)}, "type": ${JSON.stringify(type)} }\n`;
}
