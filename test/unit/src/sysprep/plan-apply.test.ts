/**
 * The planned sysprep's choices: which operation sets and options it plans
 * (decided before anything runs), and which filesystems its writes land on.
 */
import { describe, expect, it } from 'vitest';
import { applyOption, emptyParsedOps } from '../../../../src/customize/ops.js';
import type { SysprepSettings } from '../../../../src/sysprep/operation.js';
import { OPERATIONS } from '../../../../src/sysprep/operations.js';
import { mountpointsWritten, planRefusal } from '../../../../src/sysprep/plan-apply.js';

describe('planned sysprep', () => {
  it('is decided up front from the operations and options, and mounts only what its writes land on', () => {
    const settings = (write?: string, scripts: string[] = []): SysprepSettings => {
      const customize = emptyParsedOps();
      if (write) applyOption(customize, 'write', write);
      return { customize, users: { keep: new Set(), remove: new Set() }, scripts };
    };
    const defaults = OPERATIONS.filter((o) => o.enabledByDefault);
    expect(planRefusal(defaults, settings(), '')).toBeUndefined();
    expect(planRefusal(OPERATIONS.filter((o) => o.name !== 'fs-uuids'), settings(), '')).toBeUndefined();
    expect(planRefusal(defaults, settings('/etc/motd:hi'), '')).toBe('customize options are not planned');
    expect(planRefusal(defaults, settings(undefined, ['/bin/true']), '')).toBe('--script programs are not planned');
    expect(planRefusal([...defaults, OPERATIONS.find((o) => o.name === 'fs-uuids')!], settings(), '')).toBe('the fs-uuids operation is not planned');
    expect(planRefusal(defaults, settings(), '/:noatime')).toBe('--mount-options mounts in the appliance');

    const mps = { '/': '/dev/fedora/root', '/boot': '/dev/sda2', '/boot/efi': '/dev/sda1' };
    const step = (name: string, at: string | undefined) => ({ name, args: [], op: 'x', ...(at ? { at } : {}) });
    expect([...mountpointsWritten(mps, [step('rm', '/var/log/x')])]).toEqual(['/']);
    expect([...mountpointsWritten(mps, [step('chmod', '/boot/efi/x')])].sort()).toEqual(['/', '/boot', '/boot/efi']);
    expect([...mountpointsWritten(mps, [step('write', '/bootx')])]).toEqual(['/']);
    expect([...mountpointsWritten(mps, [step('sh', undefined)])].sort()).toEqual(['/', '/boot', '/boot/efi']);
  });
});
