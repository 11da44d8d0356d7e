/** From a failed agent request's exit status and message to a typed error. */
import { describe, expect, it } from 'vitest';
import { GuestProgramError, errnoFromMessage, errnoOfPerrorLine, guestRequestError } from '../../../../../src/backend/appliance/guest-errors.js';

describe('guest request errors', () => {
  it('die ERRNO MESSAGE states the errno; no program cause', () => {
    const e = guestRequestError(1, ['ENOTDIR /etc/passwd: Not a directory']);
    expect([e.code, e.message, e.cause]).toEqual(['ENOTDIR', '/etc/passwd: Not a directory', undefined]);
  });

  it('a program\'s perror line gives its errno exactly, the program and exit status kept as the cause', () => {
    const e = guestRequestError(1, ["mkdir: can't create directory '/a/b': No such file or directory"]);
    expect(e.code).toBe('ENOENT');
    expect(e.message).toBe("can't create directory '/a/b': No such file or directory");
    expect(e.cause).toBeInstanceOf(GuestProgramError);
    expect(e.cause).toMatchObject({ code: 'ECHILD_PROC', program: 'mkdir', exitStatus: 1 });
    expect(guestRequestError(32, ['mount: mounting /dev/sda on /sysroot failed: Read-only file system']).code).toBe('EROFS');
  });

  it('the text after the last ": " must be a strerror text, whole', () => {
    expect(errnoOfPerrorLine('rm: /x: Is a directory')).toBe('EISDIR');
    expect(errnoOfPerrorLine('tar: /x: Operation not supported')).toBe('ENOTSUP');
    expect(errnoOfPerrorLine('sfdisk: bad input: File exists here')).toBeUndefined();
    expect(errnoOfPerrorLine('no separator')).toBeUndefined();
  });

  it('other wording falls back to the documented guess, then EIO', () => {
    expect(errnoFromMessage('failed (File exists) while making it')).toBe('EEXIST');
    const guessed = guestRequestError(2, ['e2fsck: the superblock (File exists) is odd', 'more']);
    expect(guessed.code).toBe('EEXIST');
    const unknown = guestRequestError(3, ['xfs_repair: something went wrong']);
    expect(unknown.code).toBe('EIO');
    expect(unknown.cause).toMatchObject({ program: 'xfs_repair', exitStatus: 3 });
    expect(guestRequestError(4, []).message).toBe('exit status 4');
  });
});
