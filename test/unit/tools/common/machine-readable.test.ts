/** --machine-readable's JSON message lines and their RFC 3339 nanosecond timestamps; its output places. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonMessage, machineReadableSink, rfc3339Now } from '../../../../tools/common/machine-readable.js';

describe('machine-readable output', () => {
  it('timestamps: local time, nine fraction digits, the UTC offset', () => {
    const t = rfc3339Now(Date.UTC(2026, 11, 6, 6, 54, 0, 851) + 0.299101);
    expect(t).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.851299\d{3}[+-]\d\d:\d\d$/);
    if (process.env.TZ === 'UTC' || new Date().getTimezoneOffset() === 0) expect(t).toMatch(/^2026-12-06T06:54:00\.851299\d{3}\+00:00$/);
  });

  it('a message as guestfs-tools prints it, quotes escaped', () => {
    expect(jsonMessage('Fill free space in "/dev/sda" with zero', 'message', 'T')).toBe('{ "message": "Fill free space in \\"/dev/sda\\" with zero", "timestamp": "T", "type": "message" }\n');
  });

  it('file:NAME and fd:N places; a bad one is refused', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'guestkit-mr-')), 'out');
    machineReadableSink(`file:${file}`)('1/2\n');
    expect(fs.readFileSync(file, 'utf8')).toBe('1/2\n');
    const fd = fs.openSync(file, 'a');
    machineReadableSink(`fd:${fd}`)('2/2\n');
    fs.closeSync(fd);
    expect(fs.readFileSync(file, 'utf8')).toBe('1/2\n2/2\n');
    expect(() => machineReadableSink('pipe:x')).toThrow(/invalid output for --machine-readable: pipe:x/);
    expect(() => machineReadableSink('fd:987')).toThrow(/file descriptor 987 is not open/);
    fs.rmSync(path.dirname(file), { recursive: true });
  });
});
