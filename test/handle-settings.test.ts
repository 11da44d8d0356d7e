/** Handle settings and state commands (no appliance boot: the settings are checked where the appliance takes them). */
import { describe, expect, it } from 'vitest';
import { Guestfs } from '../src/index.js';
import { qemuArgs } from '../src/backend/appliance/appliance-backend.js';
import { fixture } from './helpers/fixtures.js';
import { runFish } from './helpers/fish-run.js';

describe('handle settings', () => {
  it('has libguestfs defaults where guestkit shares them, and guestkit\'s own elsewhere', async () => {
    const g = new Guestfs({ backend: 'wasm' });
    expect(await g.getSmp()).toBe(1);
    expect(await g.getMemsize()).toBe(512);
    expect(await g.getAutosync()).toBe(true);
    expect(await g.getRecoveryProc()).toBe(true);
    expect(await g.getTrace()).toBe(false);
    expect(await g.getNetwork()).toBe(false);
    expect(await g.getAppend()).toBeNull();
    expect(await g.getBackendSettings()).toEqual([]);
    expect(await g.getIdentifier()).toBe('');
    expect(await g.getBackend()).toBe('wasm');
    expect(await g.getHv()).toBe('qemu-system-x86_64');
    expect(await g.getState()).toBe(0);
    expect(await g.isConfig()).toBe(true);
    expect(await g.isReady()).toBe(false);
    await g.close();
  });

  it('hands memsize, smp, append, hv and force_tcg to the appliance', async () => {
    const g = new Guestfs({ backend: 'wasm' });
    await g.setMemsize(768);
    await g.setSmp(2);
    await g.setAppend('foo=1  bar');
    await g.setHv('/opt/qemu');
    await g.setBackendSettings(['force_tcg', 'x=y']);
    const o = g.settings.applianceOptions();
    expect(o).toMatchObject({ memoryMiB: 768, smp: 2, append: ['foo=1', 'bar'], qemu: '/opt/qemu', noKvm: true });
    const args = qemuArgs({ kernel: 'k', initrd: 'i', memoryMiB: o.memoryMiB!, smp: o.smp, kvm: false, consoleLog: 'c', agentSock: 's', driveArgs: [], verbose: false, append: o.append!, tcgCpu: 'max' });
    expect(args.slice(args.indexOf('-m'), args.indexOf('-m') + 4)).toEqual(['-m', '768', '-smp', '2']);
    expect(args[args.indexOf('-append') + 1]).toMatch(/ foo=1 bar$/);
    await g.close();
  });

  it('backend settings: get, replace, clear; bad values refused', async () => {
    const g = new Guestfs({ backend: 'wasm' });
    await g.setBackendSetting('a', '1');
    await g.setBackendSetting('b', '2');
    await g.setBackendSetting('a', '3');
    expect(await g.getBackendSettings()).toEqual(['b=2', 'a=3']);
    expect(await g.getBackendSetting('a')).toBe('3');
    await g.setBackendSettings(['bare']);
    expect(await g.getBackendSetting('bare')).toBe('1');
    await expect(g.getBackendSetting('a')).rejects.toMatchObject({ code: 'ESRCH', message: 'setting not found' });
    expect(await g.clearBackendSetting('bare')).toBe(1);
    expect(await g.clearBackendSetting('bare')).toBe(0);
    await expect(g.setSmp(0)).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(g.setMemsize(64)).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(g.setIdentifier('a b')).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(g.setNetwork(true)).rejects.toMatchObject({ code: 'ENOTSUP' });
    await expect(g.setBackend('direct')).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(g.setTmpdir('rel')).rejects.toMatchObject({ code: 'EINVAL' });
    await g.close();
  });

  it('set-backend chooses the backend at launch and is refused afterwards', async () => {
    const g = new Guestfs({ backend: 'appliance' });
    await g.setBackend('wasm');
    g.addDrive(fixture('mbr.img'), { readonly: true });
    await g.launch();
    expect(g.backendChoice?.name).toBe('wasm');
    expect(await g.getState()).toBe(2);
    expect(await g.isReady()).toBe(true);
    await expect(g.setBackend('appliance')).rejects.toMatchObject({ code: 'ESTATE' });
    await expect(g.getPid()).rejects.toMatchObject({ code: 'ENOTSUP' });
    await g.close();
  });

  it('prints as guestfish does (a NULL string as "(null)", version as a struct)', async () => {
    const r = await runFish('wasm', 'get-append\nget-smp\nget-autosync\nversion\nset-append "x y"\nget-append\n');
    expect(r.err).toBe('');
    expect(r.out).toBe('(null)\n1\ntrue\nmajor: 1\nminor: 48\nrelease: 6\nextra: \nx y\n');
  });
});

describe('feature groups and backend info on wasm', () => {
  it('reports groups by what the wasm backend implements', async () => {
    const g = new Guestfs({ backend: 'wasm' });
    g.addDrive(fixture('mbr.img'), { readonly: true });
    await g.launch();
    const all = await g.availableAllGroups();
    expect(all).toContain('lvm2');
    expect(all).toEqual([...all].sort());
    expect(await g.featureAvailable(['hivex', 'gdisk'])).toBe(true);
    expect(await g.featureAvailable(['mdadm'])).toBe(false);
    await expect(g.available(['mdadm'])).rejects.toMatchObject({ code: 'ENOTSUP', message: expect.stringContaining('mdadm') });
    await expect(g.featureAvailable(['nosuchgroup'])).rejects.toMatchObject({ code: 'EINVAL' });
    await g.pingDaemon();
    await expect(g.dmesg()).rejects.toMatchObject({ code: 'ENOTSUP' });
    await g.close();
  });
});
