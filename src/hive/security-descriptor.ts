/** The security descriptor a new hive's root key gets (its subkeys share it). */

/**
 * A self-relative security descriptor: owner Administrators, group SYSTEM,
 * DACL: full control for SYSTEM and Administrators, read for Users, all
 * inherited by subkeys (container-inherit).
 */
export function defaultSecurityDescriptor(): Uint8Array {
  const sid = (auth: number, ...subs: number[]): number[] => {
    const b = [1, subs.length, 0, 0, 0, 0, 0, auth];
    for (const s of subs) b.push(s & 0xff, (s >> 8) & 0xff, (s >> 16) & 0xff, (s >>> 24) & 0xff);
    return b;
  };
  const system = sid(5, 18);
  const admins = sid(5, 32, 544);
  const users = sid(5, 32, 545);
  const ace = (mask: number, s: number[]): number[] => {
    const size = 8 + s.length;
    // ACCESS_ALLOWED_ACE_TYPE 0, flags CONTAINER_INHERIT_ACE (0x02)
    return [0, 0x02, size & 0xff, size >> 8, mask & 0xff, (mask >> 8) & 0xff, (mask >> 16) & 0xff, (mask >>> 24) & 0xff, ...s];
  };
  const KEY_ALL_ACCESS = 0xf003f;
  const KEY_READ = 0x20019;
  const aces = [...ace(KEY_ALL_ACCESS, system), ...ace(KEY_ALL_ACCESS, admins), ...ace(KEY_READ, users)];
  const aclSize = 8 + aces.length;
  const acl = [2, 0, aclSize & 0xff, aclSize >> 8, 3, 0, 0, 0, ...aces];
  const header = 20;
  const ownerOff = header;
  const groupOff = ownerOff + admins.length;
  const daclOff = groupOff + system.length;
  const le32 = (n: number): number[] => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
  // revision 1, control SE_SELF_RELATIVE | SE_DACL_PRESENT
  const sd = [1, 0, 0x04, 0x80, ...le32(ownerOff), ...le32(groupOff), ...le32(0), ...le32(daclOff), ...admins, ...system, ...acl];
  return Uint8Array.from(sd);
}
