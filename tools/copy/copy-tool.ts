/** guestkit copy: nbdcopy / qemu-img convert for any drive guestkit opens, to a file, an NBD export or stdout. */
import { Command, Option } from 'commander';
import { openDrive } from '../../src/block/open-drive.js';
import { isNbdUri } from '../../src/block/nbd/uri.js';
import { ErrnoError } from '../../src/errors/index.js';
import { runTool } from '../common/run-tool.js';
import { copyDevice, copyStream, type CopyOptions } from './copy-compute.js';
import { jsonLines, percentLines, type ProgressSink } from './copy-output.js';
import { progressBar } from '../common/progress-bar.js';
import { nullTarget, openNbdTarget, openQcow2FileTarget, openRawFileTarget, stdoutTarget, type CopyTarget } from './copy-targets.js';
import { examplesHelp } from '../common/tool-examples.js';

interface Flags {
  outputFormat: string;
  format?: string;
  allocated?: boolean;
  progress?: boolean | string;
  json?: boolean;
  requests: string;
  requestSize?: string;
  sparse: string;
  connections?: string;
  threads?: string;
  queueSize?: string;
  destinationIsZero?: boolean;
  flush?: boolean;
  synchronous?: boolean;
  targetIsZero?: boolean;
  extents: boolean;
}

function count(flag: string, v: string, min = 1, max = 1024): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new ErrnoError('EINVAL', `${flag}: expected a number from ${min} to ${max}, got '${v}'`);
  return n;
}

/** A byte count with an optional k/M suffix (nbdcopy's --request-size and -S). */
function bytes(flag: string, v: string, min: number, max: number): number {
  const m = /^(\d+)([kKmM]?)$/.exec(v);
  const n = m ? Number(m[1]) * (m[2] === '' ? 1 : /k/i.test(m[2]!) ? 1024 : 1024 * 1024) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new ErrnoError('EINVAL', `${flag}: expected a size from ${min} to ${max} bytes, got '${v}'`);
  return n;
}

async function openTarget(dst: string, o: Flags): Promise<CopyTarget> {
  if (dst === '-') {
    if (o.outputFormat !== 'raw') throw new ErrnoError('EINVAL', `-O ${o.outputFormat}: standard output can only receive raw data`);
    return stdoutTarget();
  }
  if (dst === 'null:') return nullTarget();
  if (isNbdUri(dst)) {
    if (o.outputFormat !== 'raw') throw new ErrnoError('EINVAL', `-O ${o.outputFormat}: an NBD export receives raw data`);
    return openNbdTarget(dst, !!(o.targetIsZero || o.destinationIsZero));
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
  if (!o.progress) return { end: () => {} };
  const bar = progressBar();
  return { sink: (done, total) => bar.update(done, total), end: () => bar.end() };
}

export function copyCommand(): Command {
  return new Command('copy')
    .description('copy a disk image to a file, an NBD export or stdout, keeping it sparse (nbdcopy, qemu-img convert)')
    .usage('[-O raw|qcow2] [--allocated] [-p] SOURCE DESTINATION')
    .addHelpText('after', examplesHelp('guestkit copy -O qcow2 -p disk.qcow2 /tmp/disk-copy.qcow2'))
    .helpOption('--help', 'display brief help')
    .argument('<source>', 'a disk image (any format), an NBD URI, or - for raw data on stdin')
    .argument('<destination>', 'a new file, an NBD URI, - for raw data on stdout, or null: to read and drop everything')
    .addOption(new Option('-O, --output-format <format>', 'format of a destination file').choices(['raw', 'qcow2']).default('raw'))
    .option('-f, --format <format>', 'the source format (raw, qcow2, vmdk, ...); probed when absent')
    .option('--allocated', 'write every byte: zero ranges are written, not left as holes')
    .option('-p, --progress [fd]', 'progress bar on a terminal; with =FD, "N/100" lines to that file descriptor')
    .option('--json', 'progress as JSON lines on stderr ({"done","total","percent"})')
    .option('-R, --requests <n>', 'requests in flight', '8')
    .option('--request-size <bytes>', 'bytes per request (k and M suffixes); 1M to a qcow2 file, 256k otherwise')
    .option('-S, --sparse <bytes>', 'zero runs of this size inside data are not written; 0 writes all data', '4096')
    .option('-C, --connections <n>', 'accepted for nbdcopy compatibility; one connection is used')
    .option('-T, --threads <n>', 'accepted for nbdcopy compatibility; requests run on one thread')
    .option('--queue-size <bytes>', 'accepted for nbdcopy compatibility; memory is --requests x --request-size')
    .option('--flush', 'flush the destination to stable storage at the end')
    .option('--synchronous', 'one request at a time')
    .option('--target-is-zero', 'the destination already reads as zeroes: do not zero it')
    .option('--destination-is-zero', 'the same as --target-is-zero')
    .option('--no-extents', "do not read the source's allocation map (zero blocks are still detected)")
    .action(async (source: string, destination: string, o: Flags) => {
      await runTool('copy', async () => {
        const requests = o.synchronous ? 1 : count('--requests', o.requests);
        if (o.connections !== undefined && count('--connections', o.connections) > 1) {
          process.stderr.write('guestkit copy: note: --connections is ignored: one connection is used, with --requests in flight\n');
        }
        if (o.threads !== undefined && count('--threads', o.threads, 0) > 1) {
          process.stderr.write('guestkit copy: note: --threads is ignored: requests run on one thread, --requests at a time\n');
        }
        if (o.queueSize !== undefined) bytes('--queue-size', o.queueSize, 0, Number.MAX_SAFE_INTEGER);
        const progress = progressSink(o);
        const abort = new AbortController();
        const onSignal = () => abort.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        const opts: CopyOptions = {
          allocated: !!o.allocated,
          noExtents: !o.extents,
          requests,
          blockSize: o.requestSize === undefined ? undefined : bytes('--request-size', o.requestSize, 512, 32 * 1024 * 1024),
          sparse: bytes('--sparse', o.sparse, 0, 32 * 1024 * 1024),
          flush: !!o.flush,
          onProgress: progress.sink,
          signal: abort.signal,
        };
        const src = source === '-' ? null : await openDrive({ file: source, format: o.format, readOnly: true, mapAhead: o.extents && !o.allocated });
        if (source === '-' && o.format !== undefined && o.format !== 'raw') throw new ErrnoError('EINVAL', `-f ${o.format}: standard input is read as raw data`);
        let dst: CopyTarget | undefined;
        try {
          dst = await openTarget(destination, o);
          // Like nbdcopy, a successful copy prints nothing.
          if (src) await copyDevice(src, dst, opts);
          else await copyStream(process.stdin, dst, opts);
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
