/**
 * The saved VM state's files (no VM): keys, the size record, pruning.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  commitVmState,
  KEEP_VM_STATES,
  pruneVmStates,
  touchVmState,
  vmStateFiles,
  vmStateProblem,
  vmStateTemp,
} from '../../../../../src/backend/appliance/vm-state.js';

describe('saved VM state files', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'guestkit-vmstate-unit-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const base = { applianceDir: tmp, qemu: 'qemu-system-x86_64', sessionDir: '/tmp/guestkit-appliance-X', drives: [{ readonly: true }] };
  const args = ['-m', '512', '-append', 'console=ttyS0 tsc_early_khz=2100000 lpj=8400000 quiet', '-qmp', 'unix:/tmp/guestkit-appliance-X/qmp.sock'];

  it('keys ignore the session directory and the timer hints, not the machine or the drives', () => {
    const k = vmStateFiles({ ...base, args }).key;
    expect(vmStateFiles({ ...base, sessionDir: '/tmp/other', args: args.map((a) => a.replace('/tmp/guestkit-appliance-X', '/tmp/other')) }).key).toBe(k);
    expect(vmStateFiles({ ...base, args: args.map((a) => a.replace('2100000', '2099000').replace('8400000', '8396000')) }).key).toBe(k);
    expect(vmStateFiles({ ...base, args: args.map((a) => a.replace('512', '1024')) }).key).not.toBe(k);
    expect(vmStateFiles({ ...base, args, drives: [{ readonly: false }] }).key).not.toBe(k);
    expect(vmStateFiles({ ...base, args, drives: [{ readonly: true }, { readonly: true }] }).key).not.toBe(k);
    expect(vmStateFiles({ ...base, args, qemu: '/nonexistent/qemu' }).key).not.toBe(k);
  });

  it('keys follow the files the guest reads as it runs (the tools image): a rebuilt one is a new key', () => {
    const image = path.join(tmp, 'tools.img');
    fs.writeFileSync(image, Buffer.alloc(8192));
    const k = vmStateFiles({ ...base, args, files: [image] }).key;
    expect(k).not.toBe(vmStateFiles({ ...base, args }).key);
    expect(vmStateFiles({ ...base, args, files: [image] }).key).toBe(k);
    fs.writeFileSync(image, Buffer.alloc(4096));
    expect(vmStateFiles({ ...base, args, files: [image] }).key).not.toBe(k);
    fs.rmSync(image);
    expect(vmStateFiles({ ...base, args, files: [image] }).key).not.toBe(k);
  });

  it('a state is usable only with its size record; a truncated one is removed', () => {
    const f = vmStateFiles({ ...base, args });
    expect(vmStateProblem(f)).toBe('no saved VM state');
    const t = vmStateTemp(f);
    fs.writeFileSync(t, Buffer.alloc(4096, 1));
    expect(commitVmState(f, t)).toBe(4096);
    expect(vmStateProblem(f)).toBeNull();
    fs.truncateSync(f.state, 1000);
    expect(vmStateProblem(f)).toBe('the saved VM state is 1000 bytes, 4096 expected (truncated or replaced)');
    expect(fs.existsSync(f.state) || fs.existsSync(f.meta)).toBe(false);
    fs.writeFileSync(f.state, 'x');
    expect(vmStateProblem(f)).toBe('the saved VM state has no size record');
    expect(fs.existsSync(f.state)).toBe(false);
  });

  it('an empty save is refused', () => {
    const f = vmStateFiles({ ...base, args: [...args, 'empty'] });
    const t = vmStateTemp(f);
    fs.writeFileSync(t, '');
    expect(() => commitVmState(f, t)).toThrow('qemu wrote an empty VM state');
  });

  it('pruning keeps the most recently used states and removes old unfinished saves', () => {
    const made: ReturnType<typeof vmStateFiles>[] = [];
    for (let i = 0; i < KEEP_VM_STATES + 2; i++) {
      const f = vmStateFiles({ ...base, args: [...args, `variant${i}`] });
      const t = vmStateTemp(f);
      fs.writeFileSync(t, 'state');
      commitVmState(f, t);
      const old = new Date(Date.now() - (100 - i) * 1000);
      fs.utimesSync(f.state, old, old);
      made.push(f);
    }
    const stray = `${made[0]!.state}.999.tmp.done`;
    const fresh = `${made[0]!.state}.998.tmp`;
    fs.writeFileSync(stray, 'partial');
    fs.writeFileSync(fresh, 'partial');
    const longAgo = new Date(Date.now() - 3600_000);
    fs.utimesSync(stray, longAgo, longAgo);
    touchVmState(made[0]!); // the oldest, used just now
    pruneVmStates(made[0]!);
    const left = made.filter((f) => fs.existsSync(f.state)).map((f) => made.indexOf(f));
    expect(left).toEqual([0, 3, 4]);
    for (const i of [1, 2]) expect(fs.existsSync(made[i]!.meta)).toBe(false);
    expect(fs.existsSync(stray)).toBe(false); // an unfinished save from long ago
    expect(fs.existsSync(fresh)).toBe(true); // perhaps a save in progress
  });
});
