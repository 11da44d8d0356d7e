/** From a guest program's error message ("...: No such file or directory") to an errno name. */
import { strerror } from '../../errors/errno.js';

const NAMES = [
  'EPERM', 'ENOENT', 'EIO', 'ENXIO', 'E2BIG', 'EBADF', 'ENOMEM', 'EACCES', 'EBUSY', 'EEXIST', 'EXDEV', 'ENODEV',
  'ENOTDIR', 'EISDIR', 'EINVAL', 'EFBIG', 'ENOSPC', 'EROFS', 'EMLINK', 'ERANGE', 'ENAMETOOLONG', 'ENOTEMPTY',
  'ELOOP', 'ENODATA', 'EOVERFLOW', 'ENOTSUP', 'EUCLEAN', 'ETIMEDOUT',
];

/** Texts the shared table does not have (busybox and mount(8) wording). */
const EXTRA: [string, string][] = [
  ['Invalid argument', 'EINVAL'],
  ['No such device', 'ENODEV'],
  ['Structure needs cleaning', 'EUCLEAN'],
  ['Wrong medium type', 'EMEDIUMTYPE'],
  ['Function not implemented', 'ENOSYS'],
  ['Operation not supported', 'ENOTSUP'],
  ['Text file busy', 'ETXTBSY'],
];

let table: [string, string][] | null = null;

export function errnoFromMessage(msg: string): string | null {
  table ??= [...NAMES.map((n) => [strerror(n), n] as [string, string]).filter(([t, n]) => t !== n), ...EXTRA].sort(
    (a, b) => b[0].length - a[0].length,
  );
  for (const [text, name] of table) if (msg.includes(text)) return name;
  return null;
}
