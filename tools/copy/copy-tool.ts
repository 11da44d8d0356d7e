/** guestkit copy: nbdcopy / qemu-img convert for any drive guestkit opens, to a file, an NBD export or stdout. */
import { Command, Option } from 'commander';
import { openDrive } from '../../src/block/open-drive.js';
import { isNbdUri } from '../../src/block/nbd/uri.js';
import { ErrnoError } from '../../src/errors/index.js';
import { runTool } from '../common/run-tool.js';
import { copyDevice, copyStream, type CopyOptions, type CopyResult } from './copy-compute.js';
import { jsonLines, percentLines, terminalBar, type ProgressSink } from './copy-output.js';
import { openNbdTarget, openQcow2FileTarget, openRawFileTarget, stdoutTarget, type CopyTarget } from './copy-targets.js';

interface Flags {
  outputFormat: string;
  format?: string;
  allocated?: boolean;
  progress?: boolean | string;
  json?: boolean;
  requests: string;
  connections?: string;
  flush?: boolean;
  synchronous?: boolean;
  targetIsZero?: boolean;
  extents: boolean;
}

function count(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new ErrnoError('EINVAL', `${flag}: expected a number from 1 to 1024, got '${v}'`);
  return n;
}

async function openTarget(dst: string, o: Flags): Promise<CopyTarget> {
  if (dst === '-') {
    if (o.outputFormat !== 'raw') throw new ErrnoError('EINVAL', `-O ${o.outputFormat}: standard output can only receive raw data`);
    return stdoutTarget();
  }
  if (isNbdUri(dst)) {
    if (o.outputFormat !== 'raw') throw new ErrnoError('EINVAL', `-O ${o.outputFormat}: an NBD export receives raw data`);
    return openNbdTarget(dst, !!o.targetIsZero);
  }
  if (o.outputFormat === 'qcow2') return openQcow2FileTarget(dst);
  if (o.outputFormat === 'raw') return openRawFileTarget(dst);
  throw new ErrnoError('EINVAL', `-O ${o.outputFormat}: output format not supported (raw or qcow2)`);
}

function progressSink(o: Flags): { sink?: ProgressSink; end: () => void } {
  if (o.json) return { sink: jsonLines(), end: () => {} };
  if (typeof o.progress === 'string') {
    const fd = Number(o.progress);
    if (!Number.isInteger(fd) || fd < 0) throw new ErrnoError('EINVAL', `--progress=${o.progress}: expected a file descriptor number`);
    return { sink: percentLines(fd), end: () => {} };
  }
  if (o.progress && process.stderr.isTTY) return terminalBar();
  return { end: () => {} };
}

export function copyCommand(): Command {
  return new Command('copy')
    .description('copy a disk image to a file, an NBD export or stdout, keeping it sparse (nbdcopy, qemu-img convert)')
    .usage('[-O raw|qcow2] [--allocated] [-p] SOURCE DESTINATION')
    .helpOption('--help', 'display brief help')
    .argument('<source>', 'a disk image (any format), an NBD URI, or - for raw data on stdin')
    .argument('<destination>', 'a new file, an NBD URI, or - for raw data on stdout')
    .addOption(new Option('-O, --output-format <format>', 'format of a destination file').choices(['raw', 'qcow2']).default('raw'))
    .option('-f, --format <format>', 'the source format (raw, qcow2, vmdk, ...); probed when absent')
    .option('--allocated', 'write every byte: zero ranges are written, not left as holes')
    .option('-p, --progress [fd]', 'progress bar on a terminal; with =FD, "N/100" lines to that file descriptor')
    .option('--json', 'progress as JSON lines on stderr ({"done","total","percent"})')
    .option('-R, --requests <n>', 'requests in flight', '8')
    .option('-C, --connections <n>', 'accepted for nbdcopy compatibility; one connection is used')
    .option('--flush', 'flush the destination to stable storage at the end')
    .option('-S, --synchronous', 'one request at a time')
    .option('--target-is-zero', 'the destination already reads as zeroes: do not zero it')
    .option('--no-extents', "do not read the source's allocation map (zero blocks are still detected)")
    .action(async (source: string, destination: string, o: Flags) => {
      await runTool('copy', async () => {
        const requests = o.synchronous ? 1 : count('--requests', o.requests);
        if (o.connections !== undefined && count('--connections', o.connections) > 1) {
          process.stderr.write('guestkit copy: note: --connections is ignored: one connection is used, with --requests in flight\n');
        }
        const progress = progressSink(o);
        const abort = new AbortController();
        const onSignal = () => abort.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        const opts: CopyOptions = {
          allocated: !!o.allocated,
          noExtents: !o.extents,
          requests,
          blockSize: 256 * 1024,
          flush: !!o.flush,
          onProgress: progress.sink,
          signal: abort.signal,
        };
        const src = source === '-' ? null : await openDrive({ file: source, format: o.format, readOnly: true });
        if (source === '-' && o.format !== undefined && o.format !== 'raw') throw new ErrnoError('EINVAL', `-f ${o.format}: standard input is read as raw data`);
        let dst: CopyTarget | undefined;
        try {
          dst = await openTarget(destination, o);
          const result: CopyResult = src ? await copyDevice(src, dst, opts) : await copyStream(process.stdin, dst, opts);
          void result;
        } catch (e) {
          await dst?.abort();
          throw e;
        } finally {
          progress.end();
          await src?.close();
        }
      });
    });
}
