/**
 * The guestkit command line: one subcommand per virt tool. Only the tool named
 * on the command line is loaded (each pulls in its own part of the library);
 * the top-level help and an unknown command need every tool, so they load all
 * (cli-program.ts). info, copy and serve also have a lean bundle of their own
 * (image-tools-cli.ts); their entries here come from the same list.
 */
import { imageTool } from './image-tool-list.js';
import { runProgram } from './cli-program.js';
import type { ToolEntry } from './tool-entry.js';

/** Each tool's Command, loaded on demand; the order is the help's order. */
export const TOOLS: readonly ToolEntry[] = [
  ['cat', async () => (await import('./cat/cat-tool.js')).catCommand()],
  ['ls', async () => (await import('./ls/ls-tool.js')).lsCommand()],
  ['df', async () => (await import('./df/df-tool.js')).dfCommand()],
  ['fish', async () => (await import('./fish/fish-tool.js')).fishCommand()],
  ['inspect', async () => (await import('./inspect/inspect-tool.js')).inspectCommand()],
  ['customize', async () => (await import('./customize/customize-tool.js')).customizeCommand()],
  ['sysprep', async () => (await import('./sysprep/sysprep-tool.js')).sysprepCommand()],
  ['appliance', async () => (await import('./appliance/appliance-tool.js')).applianceCommand()],
  ['diff', async () => (await import('./diff/diff-tool.js')).diffCommand()],
  ['filesystems', async () => (await import('./filesystems/filesystems-tool.js')).filesystemsCommand()],
  imageTool('info'),
  ['copy-in', async () => (await import('./copy-in/copy-in-tool.js')).copyInCommand()],
  ['copy-out', async () => (await import('./copy-out/copy-out-tool.js')).copyOutCommand()],
  ['tar-in', async () => (await import('./tar-in/tar-in-tool.js')).tarInCommand()],
  ['tar-out', async () => (await import('./tar-out/tar-out-tool.js')).tarOutCommand()],
  ['edit', async () => (await import('./edit/edit-tool.js')).editCommand()],
  ['get-kernel', async () => (await import('./get-kernel/get-kernel-tool.js')).getKernelCommand()],
  imageTool('copy'),
  imageTool('serve'),
  ['make-fs', async () => (await import('./make-fs/make-fs-tool.js')).makeFsCommand()],
  ['sparsify', async () => (await import('./sparsify/sparsify-tool.js')).sparsifyCommand()],
  ['resize', async () => (await import('./resize/resize-tool.js')).resizeCommand()],
  ['completion', async () => (await import('./completion/completion-tool.js')).completionCommand()],
];

/** Parses process.argv and runs the tool it names. */
export function runCli(): Promise<void> {
  return runProgram(TOOLS);
}
