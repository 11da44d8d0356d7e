/** Which mount options the wasm backend serves, and what reaches the btrfs driver. */
import { describe, expect, it } from 'vitest';
import { mountOptionsFor } from '../../../../../src/backend/wasm/mount-options.js';
import { parseMountOptions } from '../../../../../src/fs/btrfs/mount-options.js';
import { MountOptionsInWasmError } from '../../../../../src/errors/index.js';
import { FsError } from '../../../../../src/fs/fs-driver.js';

describe('wasm mount options', () => {
  it('passes subvol=/subvolid= to btrfs and drops options that change nothing for a reader', () => {
    expect(mountOptionsFor('/dev/sda2', 'btrfs', 'ro,noatime,subvol=@/home,compress=zstd:3,space_cache=v2,ssd')).toBe('subvol=@/home');
    expect(mountOptionsFor('/dev/sda2', 'btrfs', 'subvolid=257')).toBe('subvolid=257');
    expect(mountOptionsFor('/dev/sda1', 'ext4', 'ro,noatime,nodev')).toBe('');
    expect(mountOptionsFor('/dev/sda1', 'ext4', '')).toBe('');
  });

  it('refuses the rest with an error that moves an auto session to the appliance', () => {
    const e = (() => { try { mountOptionsFor('/dev/sda1', 'ext4', 'ro,noload,data=journal'); } catch (x) { return x; } })();
    expect(e).toBeInstanceOf(MountOptionsInWasmError);
    expect((e as MountOptionsInWasmError).options).toBe('noload,data=journal');
    expect((e as Error).message).toBe('/dev/sda1: mount options "noload,data=journal" on ext4 are not supported by the wasm backend: use --backend=appliance');
    expect(() => mountOptionsFor('/dev/sda1', 'xfs', 'subvol=@')).toThrow(MountOptionsInWasmError);
    expect(() => mountOptionsFor('/dev/sda2', 'btrfs', 'device=/dev/sdb')).toThrow(MountOptionsInWasmError);
  });

  it('the btrfs driver reads subvol=, subvolid= (0: the default) and refuses rw', () => {
    expect(parseMountOptions('subvol=/@/var,subvolid=258')).toEqual({ subvol: '/@/var', subvolid: 258 });
    expect(parseMountOptions('subvolid=0')).toEqual({});
    expect(parseMountOptions('')).toEqual({});
    expect(() => parseMountOptions('subvolid=abc')).toThrow(FsError);
    expect(() => parseMountOptions('rw')).toThrow(/read-only only/);
  });
});
