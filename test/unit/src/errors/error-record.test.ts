/** Error records: what crosses the fs worker and the block bridge, and the closed code list. */
import { describe, expect, it } from 'vitest';
import { ErrnoError, GuestkitError, NbdError, codeOf, codeOfError, isGuestkitCode } from '../../../../src/errors/index.js';
import { causeChain, fromErrorRecord, toErrorRecord } from '../../../../src/errors/error-record.js';
import { FsError } from '../../../../src/fs/fs-driver.js';

/** As the worker and the bridge send them: through structured clone and JSON. */
const cross = <T>(v: T): T => JSON.parse(JSON.stringify(structuredClone(v))) as T;

describe('error records', () => {
  it('keep code, names, command, disk, path and the whole cause chain across a thread', () => {
    const host = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const nbd = new NbdError('nbd://h/', 'read at offset 0: connection reset', { cause: host });
    const fs = new FsError('ENBD', '/etc/hostname: device error', { cause: nbd, path: '/etc/hostname' });
    fs.command = 'cat';
    const back = fromErrorRecord(cross(toErrorRecord(fs)));
    expect(back).toBeInstanceOf(GuestkitError);
    expect(back).toMatchObject({ code: 'ENBD', name: 'FsError', command: 'cat', path: '/etc/hostname', message: '/etc/hostname: device error' });
    const chain = causeChain(back) as GuestkitError[];
    expect(chain.map((c) => [c.name, c.code])).toEqual([['FsError', 'ENBD'], ['NbdError', 'ENBD'], ['Error', 'ECONNRESET']]);
    expect(chain[1]!.disk).toBe('nbd://h/');
  });

  it('a code outside the list falls back (Node\'s ERR_* codes, C names the list lacks), a listed one is kept', () => {
    expect(toErrorRecord(Object.assign(new Error('x'), { code: 'ERR_INVALID_ARG_TYPE' })).code).toBe('EIO');
    expect(toErrorRecord('a string thrown', 'EINVAL')).toMatchObject({ code: 'EINVAL', message: 'a string thrown' });
    expect(codeOf('EMADEUP')).toBe('EIO');
    expect(codeOf('ENOSPC')).toBe('ENOSPC');
    expect(codeOfError(Object.assign(new Error('x'), { code: 'EROFS' }))).toBe('EROFS');
    expect(codeOfError(undefined, 'ENOENT')).toBe('ENOENT');
    expect(isGuestkitCode('ENBD')).toBe(true);
    expect(isGuestkitCode('string')).toBe(false);
  });

  it('a host reference brings back the very object the main thread kept, through a rebuild in between', () => {
    const host = new ErrnoError('ENOSPC', 'nbd://h/: write failed: ENOSPC', { disk: 'nbd://h/' });
    const kept = new Map([[7, host]]);
    // main → worker (bridge): the worker cannot resolve the reference ...
    const inWorker = fromErrorRecord(cross(toErrorRecord(host, 'EIO', (e) => (e === host ? 7 : undefined))));
    expect(inWorker).not.toBe(host);
    expect(inWorker.code).toBe('ENOSPC');
    // ... wraps it, and sends it back: the main thread puts the original back in the chain.
    const wrapped = new FsError('ENOSPC', '/f: No space left on device', { cause: inWorker });
    const onMain = fromErrorRecord(cross(toErrorRecord(wrapped)), (ref) => kept.get(ref));
    expect(onMain.cause).toBe(host);
  });

  it('a kept host error that is not a GuestkitError becomes the cause of its record', () => {
    const host = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    const back = fromErrorRecord(cross(toErrorRecord(host, 'EIO', () => 1)), () => host);
    expect(back.code).toBe('EPIPE');
    expect(back.cause).toBe(host);
  });

  it('a cyclic cause chain is cut, not followed forever', () => {
    const a = new GuestkitError('EIO', 'a');
    const b = new GuestkitError('EIO', 'b', { cause: a });
    Object.defineProperty(a, 'cause', { value: b });
    expect(causeChain(fromErrorRecord(toErrorRecord(b))).length).toBeLessThanOrEqual(8);
  });

  it('FsError is a GuestkitError: code, errno and cause read the same way as everywhere', () => {
    const cause = new Error('device gone');
    const e = new FsError('EIO', 'read failed', { cause });
    expect(e).toBeInstanceOf(GuestkitError);
    expect([e.code, e.errno, e.cause]).toEqual(['EIO', 'EIO', cause]);
  });
});
