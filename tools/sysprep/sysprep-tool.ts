/** guestkit sysprep: virt-sysprep (options in sysprep-options.ts, the run in sysprep-compute.ts). */
import { Command } from 'commander';
import { runTool } from '../common/run-tool.js';
import { OPERATIONS } from '../../src/sysprep/operations.js';
import { buildSysprepCommand } from './sysprep-options.js';
import { checkOptions, runSysprep } from './sysprep-compute.js';
import { operationsList, sysprepReporter } from './sysprep-output.js';

export function sysprepCommand(): Command {
  const { cmd, options } = buildSysprepCommand();
  cmd.action(async () => {
    await runTool('sysprep', async () => {
      const o = options();
      if (o.listOperations) {
        process.stdout.write(operationsList(OPERATIONS));
        return 0;
      }
      checkOptions(o);
      await runSysprep(o, sysprepReporter(o.quiet, o.drive.verbose));
      return 0;
    });
  });
  return cmd;
}
