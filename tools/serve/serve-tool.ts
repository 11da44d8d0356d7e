/** guestkit serve: qemu-nbd / nbdkit for any drive guestkit opens, served by our own NBD server. */
import { Command } from 'commander';
import { ErrnoError } from '../../src/errors/index.js';
import { runTool } from '../common/run-tool.js';
import { serve, type WriteMode } from './serve-compute.js';
import { examplesHelp } from '../common/tool-examples.js';

interface Flags {
  readOnly?: boolean;
  rw?: boolean;
  inPlace?: boolean;
  socket?: string;
  port?: string;
  bind: string;
  format?: string;
  shared?: string;
  persistent?: boolean;
  exportName: string;
  run?: string;
  printUri?: boolean;
}

function number(flag: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new ErrnoError('EINVAL', `${flag}: expected a number from ${min} to ${max}, got '${v}'`);
  return n;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('export a disk image over NBD (qemu-nbd, nbdkit): read-only unless --rw or --in-place')
    .usage('[-k SOCKET | -p PORT [-b ADDR]] [-x NAME] [--rw | --in-place] [--run CMD] DRIVE')
    .addHelpText('after', examplesHelp("guestkit serve --run 'nbdinfo --map \"$uri\"' disk.qcow2", 'guestkit serve -k /tmp/nbd.sock --rw disk.img'))
    .helpOption('--help', 'display brief help')
    .argument('<drive>', 'a disk image (any format) or an NBD URI')
    .option('-r, --read-only', 'export read-only (the default)')
    .option('--rw', 'clients may write; writes go to a copy-on-write overlay in memory, dropped at exit (the image is never changed)')
    .option('--in-place', 'clients may write, and writes change the image itself')
    .option('-k, --socket <path>', 'listen on this unix socket')
    .option('-p, --port <port>', 'listen on this TCP port (default 10809)')
    .option('-b, --bind <address>', 'TCP address to listen on', '127.0.0.1')
    .option('-f, --format <format>', 'the image format (raw, qcow2, ...); probed when absent')
    .option('-e, --shared <n>', 'clients served at once (default 1; unlimited with --run)')
    .option('-t, --persistent', 'keep serving after the last client disconnects')
    .option('-x, --export-name <name>', 'the export name', '')
    .option('--run <cmd>', 'captive mode: serve while CMD runs ($uri, $nbd, $unixsocket, $port, $exportname set), exit with its status')
    .option('--print-uri', 'print the export URI on stdout once listening')
    .action(async (drive: string, o: Flags) => {
      await runTool('serve', async () => {
        if (o.socket !== undefined && o.port !== undefined) throw new ErrnoError('EINVAL', '--socket and --port cannot be used together');
        if (o.rw && o.inPlace) throw new ErrnoError('EINVAL', '--rw and --in-place cannot be used together');
        if (o.readOnly && (o.rw || o.inPlace)) throw new ErrnoError('EINVAL', `--read-only and ${o.rw ? '--rw' : '--in-place'} cannot be used together`);
        const mode: WriteMode = o.inPlace ? 'in-place' : o.rw ? 'overlay' : 'read-only';
        const abort = new AbortController();
        process.once('SIGINT', () => abort.abort());
        process.once('SIGTERM', () => abort.abort());
        return serve(
          {
            drive,
            format: o.format,
            mode,
            socket: o.socket,
            port: o.port === undefined ? undefined : number('--port', o.port, 0, 65535),
            bind: o.bind,
            exportName: o.exportName,
            shared: o.shared !== undefined ? number('--shared', o.shared, 1, 1024) : o.run !== undefined ? undefined : 1,
            persistent: !!o.persistent,
            run: o.run,
            signal: abort.signal,
          },
          (l) => {
            if (o.printUri) process.stdout.write(l.uri + '\n');
          },
        );
      });
    });
}
