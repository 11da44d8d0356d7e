/** ls-style mode strings: 'drwxr-xr-x', with setuid/setgid/sticky letters. */
export function fileTypeChar(mode: number): string {
  switch (mode & 0o170000) {
    case 0o040000: return 'd';
    case 0o120000: return 'l';
    case 0o020000: return 'c';
    case 0o060000: return 'b';
    case 0o010000: return 'p';
    case 0o140000: return 's';
    case 0o100000: return '-';
    default: return '?';
  }
}

export function permString(mode: number): string {
  const bit = (m: number, c: string) => (mode & m ? c : '-');
  const special = (exec: number, flag: number, set: string, unset: string) =>
    mode & flag ? (mode & exec ? set : unset) : mode & exec ? 'x' : '-';
  return (
    bit(0o400, 'r') + bit(0o200, 'w') + special(0o100, 0o4000, 's', 'S') +
    bit(0o040, 'r') + bit(0o020, 'w') + special(0o010, 0o2000, 's', 'S') +
    bit(0o004, 'r') + bit(0o002, 'w') + special(0o001, 0o1000, 't', 'T')
  );
}

export function modeString(mode: number): string {
  return fileTypeChar(mode) + permString(mode);
}
