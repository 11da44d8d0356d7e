/** user-account's user choice: --remove-user-accounts / --keep-user-accounts lists, as virt-sysprep reads them. */
import { describe, expect, it } from 'vitest';
import { addUsers, shouldRemove } from '../../../../src/sysprep/user-account.js';

describe('user-account choice', () => {
  it('removes everyone in range when no list is given; keep wins over remove', () => {
    const choice = { remove: new Set<string>(), keep: new Set<string>() };
    expect(shouldRemove(choice, 'alice')).toBe(true);
    addUsers(choice.keep, 'alice');
    expect(shouldRemove(choice, 'alice')).toBe(false);
    addUsers(choice.remove, 'bob,alice');
    expect(shouldRemove(choice, 'bob')).toBe(true);
    expect(shouldRemove(choice, 'alice')).toBe(false);
    expect(shouldRemove(choice, 'carol')).toBe(false);
  });
  it('refuses an empty name in a list', () => {
    expect(() => addUsers(new Set(), 'a,,b')).toThrow('user-accounts: empty user name');
  });
});
