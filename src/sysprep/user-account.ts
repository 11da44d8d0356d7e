/**
 * user-account: removes the accounts whose UID is in login.defs's
 * UID_MIN..UID_MAX range (root never is), with their shadow entry, their
 * same-named group, their mail spool and their home directory, as
 * virt-sysprep does (it edits the files through augeas; the result is the
 * same files without those lines). --remove-user-accounts limits the removal
 * to the users named, --keep-user-accounts spares the users named.
 */
import { ErrnoError } from '../errors/index.js';
import { readTextIfFile } from '../customize/context.js';
import type { SysprepContext, SysprepOperation } from './operation.js';

export interface UserAccountChoice {
  remove: Set<string>;
  keep: Set<string>;
}

/** One --remove-user-accounts / --keep-user-accounts value (a comma list) added to a set. */
export function addUsers(into: Set<string>, list: string): void {
  for (const user of list.split(',')) {
    if (user === '') throw new ErrnoError('EINVAL', 'user-accounts: empty user name');
    into.add(user);
  }
}

export function shouldRemove(choice: UserAccountChoice, user: string): boolean {
  if (choice.keep.has(user)) return false;
  return choice.remove.size === 0 || choice.remove.has(user);
}

function loginDefsNumber(text: string, key: string): number {
  const m = new RegExp(`^[ \\t]*${key}[ \\t]+(\\S+)`, 'm').exec(text);
  if (!m || !/^\d+$/.test(m[1]!)) throw new ErrnoError('EINVAL', `user-account: /etc/login.defs has no numeric ${key}`);
  return Number(m[1]);
}

/** The lines of a colon-separated file without those whose first field is in `names`. */
function withoutEntries(text: string, names: ReadonlySet<string>): string {
  return text.split('\n').filter((l) => !names.has(l.split(':')[0]!)).join('\n');
}

export async function removeUserAccounts(ctx: SysprepContext, choice: UserAccountChoice): Promise<void> {
  const { g } = ctx;
  if (ctx.facts.type === 'windows') return;
  const defs = await readTextIfFile(g, '/etc/login.defs');
  if (defs === undefined) throw new ErrnoError('ENOENT', 'user-account: /etc/login.defs: No such file or directory');
  const uidMin = loginDefsNumber(defs, 'UID_MIN');
  const uidMax = loginDefsNumber(defs, 'UID_MAX');
  const passwd = (await readTextIfFile(g, '/etc/passwd')) ?? '';
  const removed = new Map<string, string>(); // user -> home
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || !/^\d+$/.test(f[2]!)) continue;
    const uid = Number(f[2]);
    if (uid >= uidMin && uid <= uidMax && shouldRemove(choice, f[0]!)) removed.set(f[0]!, f[5]!);
  }
  if (removed.size === 0) return;
  const names = new Set(removed.keys());
  for (const file of ['/etc/passwd', '/etc/shadow', '/etc/group']) {
    const text = await readTextIfFile(g, file);
    if (text === undefined) continue;
    const after = withoutEntries(text, names);
    if (after !== text) await g.write(file, after);
  }
  for (const [user, home] of removed) {
    await g.rmRf(`/var/spool/mail/${user}`);
    if (home.startsWith('/')) await g.rmRf(home);
  }
}

export const userAccountOperation: SysprepOperation = {
  name: 'user-account',
  enabledByDefault: false,
  heading: 'Remove the user accounts in the guest',
  onFilesystems: (ctx) => removeUserAccounts(ctx, ctx.settings.users),
};
