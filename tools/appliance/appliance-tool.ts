/**
 * guestkit appliance: the appliance backend's own tool.
 *   check  what the appliance is made of on this host, then a test VM (like libguestfs-test-tool)
 *   build  rebuild the appliance now (a progress line on a terminal, quiet otherwise)
 */
import fs from 'node:fs';
import { Command, Option } from 'commander';
import { buildAppliance } from '../../src/backend/appliance/build.js';
import { runTool } from '../common/run-tool.js';
import { hostFacts, missingProgram, testRun, type HostFacts, type HostProgram, type TestRun } from './appliance-check.js';
import { examplesHelp } from '../common/tool-examples.js';

const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
const words = (xs: string[]) => (xs.length ? xs.join(' ') : '(none)');

function programLine(label: string, p: HostProgram, neededFor?: string): string {
  return p.path ? `${label}: ${p.path} (${p.version ?? 'version unknown'})` : `${label}: not found (Debian package ${p.pkg}${neededFor ? `; needed only for ${neededFor}` : ''})`;
}

export function factsText(f: HostFacts): string {
  const i = f.inputs;
  return [
    programLine('qemu', f.qemu),
    programLine('qemu-nbd', f.qemuNbd, 'vhdx, vdi, vpc, qed and writable vmdk drives'),
    `accelerator: ${f.accel.kvm ? 'KVM' : `TCG (${f.accel.why})`}${f.accel.cpuKhz ? `, host CPU ${f.accel.cpuKhz} kHz` : ''}`,
    `kernel: ${i.kernel.vmlinuz} (${i.kernel.version})`,
    `modules: ${i.kernel.modules}`,
    `  at boot: ${words(i.bootModules)}`,
    `  on demand: ${words(i.lazyModules)}`,
    ...(i.absentModules.length ? [`  not in this kernel: ${i.absentModules.join(' ')}`] : []),
    `busybox: ${i.busybox.path} (${i.busybox.static ? 'static' : 'dynamic: each command costs an exec and the loader'})`,
    `programs: ${words(i.programs)}`,
    ...(i.missing.length ? [`  not installed (optional): ${i.missing.join(' ')}`] : []),
    `cache: ${i.cacheDir}`,
  ].join('\n') + '\n';
}

export function testRunText(t: TestRun): string {
  const ok = t.diskBytes === t.expectedDiskBytes;
  return [
    `appliance: ${t.appliance.dir} (${t.appliance.built ? 'built now' : 'from the cache'}; initrd ${mib(t.initrdBytes)}${t.appliance.tools ? `, tools image ${mib(fs.statSync(t.appliance.tools).size)}` : ''})`,
    `test VM: ready in ${(t.bootMs / 1000).toFixed(2)} s (${t.kvm ? 'KVM' : 'TCG'}), guest kernel ${t.guestKernel}`,
    `test VM: /dev/sda is ${t.diskBytes} bytes (expected ${t.expectedDiskBytes})`,
    ok ? '===== TEST FINISHED OK =====' : '===== TEST FAILED =====',
  ].join('\n') + '\n';
}

function checkCommand(): Command {
  return new Command('check')
    .description('print what the appliance is made of on this host, then boot a test VM and run a command in it')
    .option('--cache-dir <dir>', 'appliance cache (default: $GUESTKIT_APPLIANCE_CACHE or ~/.cache/guestkit/appliance)')
    .option('-v, --verbose', "print the guest's console after the test")
    .action(async (o: { cacheDir?: string; verbose?: boolean }) => {
      await runTool('appliance', async () => {
        const facts = hostFacts(o.cacheDir);
        process.stdout.write(factsText(facts));
        const missing = missingProgram(facts);
        if (missing) throw missing;
        const t = await testRun({ cacheDir: o.cacheDir, verbose: o.verbose });
        if (o.verbose) process.stdout.write(t.consoleTail.map((l) => `console: ${l}\n`).join(''));
        process.stdout.write(testRunText(t));
        return t.diskBytes === t.expectedDiskBytes ? 0 : 1;
      });
    });
}

/** A progress line rewritten in place on a terminal; nothing when stderr is not one. */
function progressLine(): { update: (stage: string, done?: number, total?: number) => void; end: () => void } {
  if (!process.stderr.isTTY) return { update: () => undefined, end: () => undefined };
  let last = 0;
  let shown = false;
  const labels: Record<string, string> = { inputs: 'finding the kernel and programs', libraries: 'resolving shared libraries', kernel: 'extracting the kernel', tools: 'writing the tools image', initramfs: 'writing the initramfs' };
  return {
    update(stage, done, total) {
      const now = Date.now();
      if (done !== undefined && done !== total && now - last < 100) return;
      last = now;
      shown = true;
      const count = done !== undefined && total ? ` ${done}/${total} (${Math.floor((done * 100) / total)}%)` : '';
      process.stderr.write(`\r\x1b[Kbuilding the appliance: ${labels[stage] ?? stage}${count}`);
    },
    end() {
      if (shown) process.stderr.write('\r\x1b[K');
    },
  };
}

function buildCommand(): Command {
  return new Command('build')
    .description('rebuild the appliance now (it is otherwise built on first use and whenever its inputs change)')
    .option('--cache-dir <dir>', 'appliance cache (default: $GUESTKIT_APPLIANCE_CACHE or ~/.cache/guestkit/appliance)')
    .addOption(new Option('--compress', 'gzip the initramfs (smaller, slower to boot under TCG)').hideHelp())
    .action(async (o: { cacheDir?: string; compress?: boolean }) => {
      await runTool('appliance', async () => {
        const t0 = Date.now();
        const bar = progressLine();
        let a;
        try {
          a = buildAppliance({ cacheDir: o.cacheDir, compress: o.compress, force: true, progress: bar.update });
        } finally {
          bar.end();
        }
        const size = fs.statSync(a.initrd).size;
        const tools = a.tools ? `, tools image ${mib(fs.statSync(a.tools).size)}` : '';
        process.stdout.write(`built ${a.dir} (kernel ${a.kernelVersion}, initrd ${mib(size)}${tools}) in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
        if (a.missing.length) process.stdout.write(`not installed (optional): ${a.missing.join(' ')}\n`);
      });
    });
}

export function applianceCommand(): Command {
  return new Command('appliance')
    .description('the appliance backend: check it (like libguestfs-test-tool) or rebuild it')
    .addHelpText('after', examplesHelp('guestkit appliance check', 'guestkit appliance build'))
    .addCommand(checkCommand())
    .addCommand(buildCommand());
}
