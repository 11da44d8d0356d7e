import { describe, expect, it } from 'vitest';
import { planResize, type ResizeRequest, type SourcePartition } from '../../../../src/imgtools/resize-plan.js';
import { humanSize } from '../../../../src/imgtools/human-size.js';
import { parseResize } from '../../../../src/imgtools/resize-size.js';

const MiB = 1024 * 1024;
const req = (o: Partial<ResizeRequest> = {}): ResizeRequest => ({
  resize: [], resizeForce: [], ignore: [], delete: [], alignment: 128, alignFirst: 'auto', extraPartition: true, expandContent: true,
  expandable: (c) => (c.kind === 'fs' && c.fstype.startsWith('ext') ? 'resize2fs' : undefined), ...o,
});
// fixtures/out/gpt.img: sda1 at sector 2048 (8 MiB ext2), sda2 at 18432 (24 MiB ext4)
const gpt: SourcePartition[] = [
  { name: '/dev/sda1', number: 1, start: 2048 * 512, size: 8 * MiB, bootable: false, content: { kind: 'fs', fstype: 'ext2', size: 8 * MiB } },
  { name: '/dev/sda2', number: 2, start: 18432 * 512, size: 24 * MiB, bootable: false, content: { kind: 'fs', fstype: 'ext4', size: 24 * MiB } },
];

describe('resize sizes', () => {
  it('prints sizes as libguestfs human_size', () => {
    expect(humanSize(1000)).toBe('1000');
    expect(humanSize(16 * MiB)).toBe('16.0M');
    expect(humanSize(56393728)).toBe('53.8M');
    expect(humanSize(20742144)).toBe('19.8M');
    expect(humanSize(3 * 1024 * MiB)).toBe('3.0G');
    expect(humanSize(1536)).toBe('1.5K');
  });
  it('reads resize fields', () => {
    expect(parseResize(16 * MiB, '+4M')).toBe(20 * MiB);
    expect(parseResize(16 * MiB, '-4M')).toBe(12 * MiB);
    expect(parseResize(16 * MiB, '10M')).toBe(10 * MiB);
    expect(parseResize(1000, '+50%')).toBe(1500);
    expect(parseResize(1000, '12.5%')).toBe(125);
    expect(parseResize(0, '2b')).toBe(1024);
    expect(() => parseResize(0, '10X')).toThrow(/10X: cannot parse resize field/);
  });
});

describe('resize plan', () => {
  it('lays out --expand as virt-resize did (test/golden/imgtools/resize-gpt-expand.sfdisk)', () => {
    const plan = planResize('in.img', gpt, 64 * MiB, req({ expand: '/dev/sda2' }));
    expect(plan.partitions.map((p) => [p.targetStart, p.targetEnd - p.targetStart + 1])).toEqual([[2048, 16384], [18432, 110208]]);
    expect(plan.surplus).toBe(0);
    expect(plan.summary[1]).toBe('/dev/sda2: This partition will be resized from 24.0M to 53.8M.  The filesystem ext4 on /dev/sda2 will be expanded using the ‘resize2fs’ method.');
  });
  it('adds an extra partition for a surplus of 10 MiB or more, ending 64 sectors before the end', () => {
    const plan = planResize('in.img', gpt, 64 * MiB, req());
    expect(plan.summary.at(-1)).toMatch(/^There is a surplus of .*  An extra partition will be created for the surplus\.$/);
    expect(plan.partitions.at(-1)).toMatchObject({ extra: true, targetNumber: 3, targetEnd: -64 });
    const none = planResize('in.img', gpt, 64 * MiB, req({ extraPartition: false }));
    expect(none.partitions).toHaveLength(2);
    expect(none.summary.at(-1)).toMatch(/The surplus space will be ignored\./);
  });
  it('refuses deficits, unsafe shrinks and unknown partitions with virt-resize\'s messages', () => {
    expect(() => planResize('in.img', gpt, 20 * MiB, req())).toThrow(/^There is a deficit of \d+ bytes \(14\.2M\)\./);
    expect(() => planResize('in.img', gpt, 64 * MiB, req({ resize: ['/dev/sda2=10M'] }))).toThrow(/This partition contains a ext4 filesystem which will be damaged by shrinking it below 25165824 bytes/);
    expect(() => planResize('in.img', gpt, 64 * MiB, req({ expand: 'sda9' }))).toThrow(/\/dev\/sda9: partition not found in the source disk image \(this error came from ‘--expand’ option/);
    expect(() => planResize('in.img', gpt, 64 * MiB, req({ delete: ['sda1'], expand: 'sda1' }))).toThrow(/partition already deleted/);
    expect(() => planResize('in.img', gpt, 64 * MiB, req({ expand: 'sda1', shrink: 'sda2' }))).toThrow(/--expand and --shrink together/);
  });
  it('--delete renumbers the partitions after it; --shrink takes the deficit', () => {
    const del = planResize('in.img', gpt, 64 * MiB, req({ delete: ['/dev/sda1'], extraPartition: false }));
    expect(del.partitions.map((p) => [p.name, p.targetNumber, p.targetStart])).toEqual([['/dev/sda2', 1, 2048]]);
    const smallFs = [{ ...gpt[0]!, content: { kind: 'fs' as const, fstype: 'ext2', size: 4 * MiB } }, gpt[1]!];
    const shrink = planResize('in.img', smallFs, 32 * MiB, req({ shrink: '/dev/sda1' }));
    expect(shrink.surplus).toBe(0);
    expect(shrink.summary[0]).toBe('/dev/sda1: This partition will be resized from 8.0M to 5.8M.  The filesystem ext2 on /dev/sda1 will be expanded using the ‘resize2fs’ method.');
    expect(() => planResize('in.img', gpt, 32 * MiB, req({ shrink: '/dev/sda1' }))).toThrow(/damaged by shrinking it below 8388608 bytes .*‘--shrink’ option/);
  });
});
