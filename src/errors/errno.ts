import { ERRNO_NAMES, type ErrnoName, type GuestkitCode } from './codes.js';

/** Linux strerror texts, so messages read as libguestfs prints them. */
const TEXT: Partial<Record<ErrnoName, string>> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  EIO: 'Input/output error',
  ENXIO: 'No such device or address',
  E2BIG: 'Argument list too long',
  EBADF: 'Bad file descriptor',
  ENOMEM: 'Cannot allocate memory',
  EACCES: 'Permission denied',
  EBUSY: 'Device or resource busy',
  EEXIST: 'File exists',
  EXDEV: 'Invalid cross-device link',
  ENODEV: 'No such device',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EINVAL: 'Invalid argument',
  EFBIG: 'File too large',
  ENOSPC: 'No space left on device',
  EROFS: 'Read-only file system',
  EMLINK: 'Too many links',
  ERANGE: 'Numerical result out of range',
  ENAMETOOLONG: 'File name too long',
  ENOTEMPTY: 'Directory not empty',
  ELOOP: 'Too many levels of symbolic links',
  ENODATA: 'No data available',
  EOVERFLOW: 'Value too large for defined data type',
  ENOTSUP: 'Operation not supported',
  EUCLEAN: 'Structure needs cleaning',
  ESHUTDOWN: 'Cannot send after transport endpoint shutdown',
  ECONNREFUSED: 'Connection refused',
  ETIMEDOUT: 'Connection timed out',
  ECANCELED: 'Operation canceled',
  ENOSYS: 'Function not implemented',
  ETXTBSY: 'Text file busy',
  EMEDIUMTYPE: 'Wrong medium type',
  EPIPE: 'Broken pipe',
  ECONNRESET: 'Connection reset by peer',
  EAGAIN: 'Resource temporarily unavailable',
  EINTR: 'Interrupted system call',
  ESRCH: 'No such process',
  ENOTTY: 'Inappropriate ioctl for device',
  EOPNOTSUPP: 'Operation not supported',
  ESTALE: 'Stale file handle',
  EBADMSG: 'Bad message',
  EILSEQ: 'Invalid or incomplete multibyte or wide character',
  EPROTO: 'Protocol error',
};

export function strerror(errno: string): string {
  return (TEXT as Record<string, string | undefined>)[errno] ?? errno;
}

let byText: Map<string, GuestkitCode> | undefined;

/** The errno whose strerror text `text` is, exactly (EOPNOTSUPP and ENOTSUP share one: ENOTSUP). */
export function errnoOfText(text: string): GuestkitCode | undefined {
  byText ??= new Map(ERRNO_NAMES.filter((n) => TEXT[n] !== undefined && n !== 'EOPNOTSUPP').map((n) => [TEXT[n]!, n]));
  return byText.get(text);
}
