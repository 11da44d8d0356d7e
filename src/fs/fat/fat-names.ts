/** FAT file names as Linux's vfat takes them and FatFs stores them. */

/** Characters Linux's vfat refuses in names (vfat_bad_char), '/' and '\\' included (FatFs treats '\\' as a separator). */
export function badChar(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || '*?<>|":/\\'.includes(name[i]!)) return true;
  }
  return false;
}

/** The name FatFs stores: trailing dots and spaces stripped (create_name()). */
export function storedName(name: string): string {
  return name.replace(/[. ]+$/, '');
}

/** Table key: ASCII case folded (FatFs folds more, but any mismatch only costs an f_stat). */
export function foldKey(name: string): string {
  // ASCII names (the common case) fold with toUpperCase(); others only their ASCII letters
  return /^[\x00-\x7f]*$/.test(name) ? name.toUpperCase() : name.replace(/[a-z]+/g, (m) => m.toUpperCase());
}
