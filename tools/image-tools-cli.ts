/**
 * The lean bundle's entry (dist/bundle/image-tools.cjs): the command line with only
 * info, copy and serve, which the launcher (guestkit.ts) loads for those three instead
 * of the full CLI, so their start-up compiles a fraction of the code. It must not
 * import cli.ts: esbuild bundles dynamic imports in, so TOOLS would bring every tool.
 */
import { IMAGE_TOOLS } from './image-tool-list.js';
import { runProgram } from './cli-program.js';

/** Parses process.argv and runs the image tool it names. */
export function runCli(): Promise<void> {
  return runProgram(IMAGE_TOOLS);
}
