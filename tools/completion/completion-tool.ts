/** guestkit completion bash|zsh: prints a shell completion script for guestkit, generated now from the tools and the command table. */
import { Command, Argument } from 'commander';
import { runTool } from '../common/run-tool.js';
import { examplesHelp } from '../common/tool-examples.js';
import { completionModel } from './completion-compute.js';
import { bashScript, zshScript } from './completion-output.js';

export function completionCommand(): Command {
  return new Command('completion')
    .description('print a bash or zsh completion script for guestkit')
    .addArgument(new Argument('<shell>', 'bash or zsh').choices(['bash', 'zsh']))
    .usage('bash|zsh')
    .addHelpText('after', examplesHelp(
      'guestkit completion bash > ~/.local/share/bash-completion/completions/guestkit',
      'guestkit completion zsh > "${fpath[1]}/_guestkit"',
    ))
    .action(async (shell: 'bash' | 'zsh') => {
      await runTool('completion', async () => {
        // Every tool's definition: loaded here, not at the top, as cli.ts loads this tool lazily.
        const { TOOLS } = await import('../cli.js');
        const model = completionModel(await Promise.all(TOOLS.map(([, load]) => load())));
        process.stdout.write(shell === 'bash' ? bashScript(model) : zshScript(model));
      });
    });
}
