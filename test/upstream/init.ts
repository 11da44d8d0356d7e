/**
 * The init sequences of libguestfs's tests/c-api/tests-main.c, as command lines.
 * `optional` steps only undo what other commands set up (read-only devices,
 * LVM): when guestkit lacks the command it also lacks what the step would undo
 * (it has no blockdev-setro, and no pvcreate/vgcreate/lvcreate), so leaving the
 * step out changes nothing.
 */
export interface InitStep {
  line: string[];
  optional?: boolean;
}

const EMPTY: InitStep[] = [
  { line: ['blockdev_setrw', '/dev/sda'], optional: true },
  { line: ['umount_all'] },
  { line: ['lvm_remove_all'], optional: true },
];

const PARTITION: InitStep[] = [...EMPTY, { line: ['part_disk', '/dev/sda', 'mbr'] }];

const SEQUENCES: Record<string, InitStep[]> = {
  // tests-main.c folds InitNone into InitEmpty.
  InitNone: EMPTY,
  InitEmpty: EMPTY,
  InitPartition: PARTITION,
  InitGPT: [...EMPTY, { line: ['part_disk', '/dev/sda', 'gpt'] }],
  InitBasicFS: [...PARTITION, { line: ['mkfs', 'ext2', '/dev/sda1'] }, { line: ['mount', '/dev/sda1', '/'] }],
  InitBasicFSonLVM: [
    ...PARTITION,
    { line: ['pvcreate', '/dev/sda1'] },
    { line: ['vgcreate', 'VG', '/dev/sda1'] },
    { line: ['lvcreate', 'LV', 'VG', '8'] },
    { line: ['mkfs', 'ext2', '/dev/VG/LV'] },
    { line: ['mount', '/dev/VG/LV', '/'] },
  ],
  InitISOFS: [...EMPTY, { line: ['mount_ro', '/dev/sdd', '/'] }],
  InitScratchFS: [...EMPTY, { line: ['mount', '/dev/sdb1', '/'] }],
};

export function initSteps(kind: string): InitStep[] {
  const s = SEQUENCES[kind];
  if (!s) throw new Error(`unknown init ${kind}`);
  return s;
}
