/**
 * Which guest files augeas needs, and moving them between the guest and augeas's
 * in-memory filesystem. After aug_init with AUG_NO_LOAD, the incl nodes under /augeas/load hold the
 * glob of every file a lens transforms; those globs are expanded against the guest
 * through the command table (so this works on any backend), and the matching files
 * are copied in. Nothing of the host is ever visible to augeas.
 */
export interface GuestFileAccess {
  ls(dir: string): Promise<string[]>;
  isDir(path: string): Promise<boolean>;
  isFile(path: string): Promise<boolean>;
}

/** glob(3) component matching: *, ?, [...]; a leading '.' only matches a literal '.'. */
export function componentRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let body = pattern.slice(i + 1, end);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  const hiddenGuard = pattern.startsWith('.') ? '' : '(?!\\.)';
  return new RegExp(`^${hiddenGuard}${re}$`);
}

const hasMagic = (s: string) => /[*?[]/.test(s);

/** Expands an absolute glob (with ** for any depth of directories) into existing regular files. */
export async function expandGlob(pattern: string, fs: GuestFileAccess): Promise<string[]> {
  const parts = pattern.split('/').filter(Boolean);
  const out = new Set<string>();
  const listCache = new Map<string, Promise<string[]>>();
  const ls = (dir: string) => {
    let p = listCache.get(dir);
    if (!p) {
      p = fs.ls(dir).catch(() => []);
      listCache.set(dir, p);
    }
    return p;
  };
  const join = (dir: string, name: string) => (dir === '/' ? `/${name}` : `${dir}/${name}`);
  const walk = async (dir: string, i: number): Promise<void> => {
    if (i === parts.length) {
      if (await fs.isFile(dir)) out.add(dir);
      return;
    }
    const part = parts[i]!;
    if (part === '**') {
      await walk(dir, i + 1);
      for (const name of await ls(dir)) {
        const child = join(dir, name);
        if (!name.startsWith('.') && (await fs.isDir(child))) await walk(child, i);
      }
      return;
    }
    if (!hasMagic(part)) {
      const child = join(dir, part);
      if (i === parts.length - 1) await walk(child, i + 1);
      else if (await fs.isDir(child)) await walk(child, i + 1);
      return;
    }
    const re = componentRegExp(part);
    for (const name of await ls(dir)) {
      if (!re.test(name)) continue;
      const child = join(dir, name);
      if (i === parts.length - 1) await walk(child, i + 1);
      else if (await fs.isDir(child)) await walk(child, i + 1);
    }
  };
  await walk('/', 0);
  return [...out].sort();
}
