/** --mount-options parsing and the --list-operations format. */
import { describe, expect, it } from 'vitest';
import { mountOptionsFor } from '../../../../tools/sysprep/sysprep-compute.js';
import { operationsList } from '../../../../tools/sysprep/sysprep-output.js';

describe('sysprep options', () => {
  it('--mount-options: MP:OPTS pairs separated by ";", the first for a mountpoint wins, none is ""', () => {
    const f = mountOptionsFor('/:noatime;/var:rw,noatime;/:ro');
    expect(f('/')).toBe('noatime');
    expect(f('/var')).toBe('rw,noatime');
    expect(f('/boot')).toBe('');
    expect(mountOptionsFor('')('/')).toBe('');
  });
  it('--list-operations: NAME, "*" or " ", heading', () => {
    expect(operationsList([
      { name: 'a-op', enabledByDefault: true, heading: 'Does A' },
      { name: 'b-op', enabledByDefault: false, heading: 'Does B' },
    ])).toBe('a-op * Does A\nb-op   Does B\n');
  });
});
