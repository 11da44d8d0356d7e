/** The guestkit command line: one subcommand per virt tool. */
import { Command } from 'commander';
import { catCommand } from './cat/cat-tool.js';
import { fishCommand } from './fish/fish-tool.js';
import { lsCommand } from './ls/ls-tool.js';
import { dfCommand } from './df/df-tool.js';
import { inspectCommand } from './inspect/inspect-tool.js';
import { customizeCommand } from './customize/customize-tool.js';
import { applianceCommand } from './appliance/appliance-tool.js';
import { diffCommand } from './diff/diff-tool.js';
import { filesystemsCommand } from './filesystems/filesystems-tool.js';

const program = new Command('guestkit')
  .description('inspect and edit virtual-machine disk images without mounting them (libguestfs-compatible)')
  .version('0.1.0')
  .enablePositionalOptions();
program.addCommand(catCommand());
program.addCommand(lsCommand());
program.addCommand(dfCommand());
program.addCommand(fishCommand());
program.addCommand(inspectCommand());
program.addCommand(customizeCommand());
program.addCommand(applianceCommand());
program.addCommand(diffCommand());
program.addCommand(filesystemsCommand());
program.exitOverride((err) => {
  process.exit(err.exitCode === 0 ? 0 : 1);
});
await program.parseAsync(process.argv);
