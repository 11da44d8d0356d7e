/**
 * Every code a GuestkitError can carry: the Linux errno names guestkit raises or
 * passes on (from its filesystem drivers, the host, an NBD server or the
 * appliance), and guestkit's own codes for what no errno says. The list is
 * closed: a code from outside (a Node error's `code`, a C module's errno name,
 * a guest program's exit) goes through codeOf(), which keeps it when it is
 * listed and falls back otherwise.
 */

/**
 * Linux errno names. wasm/common-errno.h lists the ones the WASM filesystem
 * modules can return; a unit test checks that every one of those is here.
 */
export const ERRNO_NAMES = [
  'EPERM', 'ENOENT', 'ESRCH', 'EINTR', 'EIO', 'ENXIO', 'E2BIG', 'EBADF', 'EAGAIN', 'ENOMEM', 'EACCES', 'EFAULT',
  'EBUSY', 'EEXIST', 'EXDEV', 'ENODEV', 'ENOTDIR', 'EISDIR', 'EINVAL', 'EMFILE', 'ENOTTY', 'ETXTBSY', 'EFBIG',
  'ENOSPC', 'EROFS', 'EMLINK', 'EPIPE', 'ERANGE', 'ENAMETOOLONG', 'ENOSYS', 'ENOTEMPTY', 'ELOOP', 'ENODATA',
  'EPROTO', 'EBADMSG', 'EOVERFLOW', 'EILSEQ', 'ENOTSOCK', 'EOPNOTSUPP', 'ENOTSUP', 'EADDRINUSE', 'EADDRNOTAVAIL',
  'ENETUNREACH', 'ECONNRESET', 'ESHUTDOWN', 'ETIMEDOUT', 'ECONNREFUSED', 'EHOSTUNREACH', 'ESTALE', 'EUCLEAN',
  'EMEDIUMTYPE', 'ECANCELED',
] as const;

/** guestkit's own codes. */
export const GUESTKIT_CODES = [
  'EIMAGE', // a disk image that cannot be read as the format it claims/appears to be
  'EFORMAT', // unknown or wrong --format
  'ENBD', // NBD protocol or connection failure (a dropped server included)
  'ESTATE', // wrong handle state (e.g. command before launch)
  'ECHILD_PROC', // a helper process (qemu-nbd, a guest program, ...) failed
  'EHIVE', // a corrupt or unsupported Windows registry hive
  'EAUGEAS', // an Augeas error
] as const;

export type ErrnoName = (typeof ERRNO_NAMES)[number];
export type GuestkitCode = ErrnoName | (typeof GUESTKIT_CODES)[number];

const KNOWN: ReadonlySet<string> = new Set<string>([...ERRNO_NAMES, ...GUESTKIT_CODES]);

export function isGuestkitCode(code: unknown): code is GuestkitCode {
  return typeof code === 'string' && KNOWN.has(code);
}

/** `code` when it is a listed code, else `fallback` (what a caller says an unknown failure of its kind is). */
export function codeOf(code: unknown, fallback: GuestkitCode = 'EIO'): GuestkitCode {
  return isGuestkitCode(code) ? code : fallback;
}

/** The code of a thrown value: a GuestkitError's, a Node system error's errno name, else `fallback`. */
export function codeOfError(e: unknown, fallback: GuestkitCode = 'EIO'): GuestkitCode {
  return codeOf((e as { code?: unknown } | null | undefined)?.code, fallback);
}
