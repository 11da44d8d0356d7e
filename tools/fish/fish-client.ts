/**
 * The light fish processes (see fish-fast-path.ts), bundled apart from the CLI
 * (dist/bundle/fish-client.cjs): a `--remote` command line, and `--listen`'s
 * parent. What they print and their exit status are the CLI's own: the same
 * modules do the work, through the same runTool.
 */
import { runTool } from '../common/run-tool.js';
import type { FishFastPath } from './fish-fast-path.js';
import { startListener } from './fish-listen.js';
import { remotePid } from './remote-pid.js';
import { runRemoteCommandLine } from './remote-commands.js';

/** runCli: the whole CLI, for a command line the listener's background process handed back. */
export function runFishClient(fast: FishFastPath, runCli: () => void): void {
  if (fast.kind === 'remote') {
    void runTool('fish', () => runRemoteCommandLine(remotePid(fast.pid), fast.words.map((text) => ({ text, quoted: false }))));
    return;
  }
  void startListener(fast.csh).then((status) => (status === 'declined' ? runCli() : runTool('fish', async () => status)));
}
