/**
 * `guestkit serve`: one drive exported over NBD (qemu-nbd / nbdkit) on a unix
 * socket or TCP port, to any number of clients at once (up to --shared), until
 * the last client leaves (unless --persistent) or, in captive mode (--run),
 * for the lifetime of the command.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { BlockDevice } from '../../src/block/block-device.js';
import { NbdServer } from '../../src/block/nbd/server.js';
import { probeBytes, readImageHead } from '../../src/block/format.js';
import { isNbdUri } from '../../src/block/nbd/uri.js';
import { openDrive } from '../../src/block/open-drive.js';
import { setSynchronousFileReads } from '../../src/block/raw-file.js';
import { setSendBuffer, socketFd } from '../../src/util/fd-ops.js';
import { ErrnoError, codeOfError } from '../../src/errors/index.js';
import { timingMark } from '../../src/util/timing-trace.js';

export type WriteMode = 'read-only' | 'overlay' | 'in-place';

export interface ServeOptions {
  drive: string;
  format?: string;
  mode: WriteMode;
  socket?: string;
  port?: number;
  bind: string;
  exportName: string;
  /** Clients served at once (others wait their turn); unlimited when absent. */
  shared?: number;
  persistent: boolean;
  /** Captive mode: a shell command run with $uri, $nbd, $unixsocket, $port, $exportname set. */
  run?: string;
  /** Stops serving (Ctrl-C): connections are dropped, the socket removed. */
  signal?: AbortSignal;
}

export interface Listening {
  uri: string;
  socket?: string;
  port?: number;
}

/** The URI clients use for the export. */
export function exportUri(l: { socket?: string; port?: number }, bind: string, exportName: string): string {
  const name = encodeURIComponent(exportName).replace(/%2F/g, '/');
  if (l.socket) return `nbd+unix:///${name}?socket=${l.socket}`;
  const host = bind === '0.0.0.0' || bind === '::' ? 'localhost' : bind.includes(':') ? `[${bind}]` : bind;
  return `nbd://${host}:${l.port}${exportName ? `/${name}` : ''}`;
}

async function listen(server: net.Server, o: ServeOptions, socketPath: string | undefined): Promise<Listening> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      const where = socketPath ?? `${o.bind}:${o.port ?? 10809}`;
      const why = e.code === 'EADDRINUSE' ? 'address already in use' : e.code === 'EACCES' ? 'permission denied' : e.code === 'ENOENT' ? 'no such directory' : e.message;
      reject(new ErrnoError(codeOfError(e), `cannot listen on ${where}: ${why}`, { cause: e }));
    });
    if (socketPath) server.listen(socketPath, () => resolve());
    else server.listen(o.port ?? 10809, o.bind, () => resolve());
  });
  const addr = server.address();
  const l = socketPath ? { socket: socketPath } : { port: typeof addr === 'object' && addr ? addr.port : o.port };
  return { ...l, uri: exportUri(l, o.bind, o.exportName) };
}

async function magicFormat(drive: string): Promise<string> {
  const h = await readImageHead(drive);
  return probeBytes(h.head, h.footer);
}

/**
 * A unix socket's send buffer is 208 KiB by default (net.core.wmem_default), less than one of
 * nbdcopy's 256 KiB reads, so every reply went out in pieces, each waiting for the client to read
 * the last: with 2 MiB (the kernel doubles it, up to net.core.wmem_max) replies go out whole and the
 * server runs ahead of the client (nbdcopy of the 4 GiB qcow2 of bench/qcow2-tools.js: 0.76 s -> 0.68 s).
 * TCP sockets are left to the kernel's own sizing.
 */
const SEND_BUFFER = 2 * 1024 * 1024;

function widenSendBuffer(s: net.Socket): void {
  const fd = socketFd(s);
  if (fd !== undefined) void setSendBuffer(fd, SEND_BUFFER).catch(() => {});
}

/** Serves until done; returns the exit status (the captive command's, or 0). */
export async function serve(o: ServeOptions, onListening?: (l: Listening) => void): Promise<number> {
  const device: BlockDevice = await openDrive({ file: o.drive, format: o.format, readOnly: o.mode !== 'in-place', journaled: false, mapAhead: true });
  timingMark('serve: drive opened');
  // Serving is this process's only work: reads skip the thread pool (see setSynchronousFileReads).
  const syncReadsWere = setSynchronousFileReads(true);
  let tmpDir: string | undefined;
  const server = net.createServer();
  const sockets = new Set<net.Socket>();
  let bound: string | undefined; // the socket file this server made, the only one it removes
  try {
    // openDrive has checked the image already: its magic alone says the format (probeFormat would walk a qcow2's tables again).
    const format = o.format ?? (isNbdUri(o.drive) ? 'raw' : await magicFormat(o.drive));
    // Captive mode without an address: a private socket in a new directory.
    let socketPath = o.socket;
    if (!socketPath && o.port === undefined && o.run !== undefined) {
      tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'guestkit-serve-'));
      socketPath = path.join(tmpDir, 'nbd.sock');
    }
    // Node reports a missing directory as EACCES when binding a unix socket: check first.
    if (socketPath && !fs.existsSync(path.dirname(path.resolve(socketPath)))) {
      throw new ErrnoError('ENOENT', `cannot listen on ${socketPath}: no such directory`);
    }
    if (socketPath && fs.existsSync(socketPath)) {
      if (!fs.statSync(socketPath).isSocket()) throw new ErrnoError('EEXIST', `${socketPath}: exists and is not a socket`);
      fs.unlinkSync(socketPath); // a stale socket left by an earlier server, as qemu-nbd does
    }
    const shared = o.shared ?? Infinity;
    const nbd = new NbdServer({
      device,
      exportName: o.exportName,
      readOnly: o.mode === 'read-only',
      description: path.basename(o.drive),
      // Advertised only for an explicit -e N above 1, as qemu-nbd does: one server thread gains nothing
      // from a client's extra connections (nbdcopy's one-connection read of a 4 GiB qcow2 took
      // 0.93 s against 1.05 s on two; bench/qcow2-tools.js). --run still serves every client that comes.
      multiConn: (o.shared ?? 1) > 1,
      // Only a raw source needs its data scanned for zeroes: the other formats' maps show them.
      findZeroRuns: format === 'raw',
      synchronousReads: true,
    });
    let finish!: () => void;
    const lastClientGone = new Promise<void>((r) => (finish = r));
    // Clients beyond --shared wait, connected, until one in service leaves (qemu-nbd stops accepting instead).
    const waiting: net.Socket[] = [];
    let serving = 0;
    const start = (s: net.Socket) => {
      serving++;
      void nbd.serveConnection(s).finally(() => {
        serving--;
        sockets.delete(s);
        const next = waiting.shift();
        if (next) start(next);
        else if (serving === 0 && !o.persistent && o.run === undefined) finish();
      });
    };
    server.on('connection', (s) => {
      sockets.add(s);
      if (socketPath) widenSendBuffer(s);
      if (serving < shared) start(s);
      else {
        waiting.push(s);
        s.once('close', () => waiting.includes(s) && waiting.splice(waiting.indexOf(s), 1) && sockets.delete(s));
      }
    });
    const l = await listen(server, o, socketPath);
    bound = socketPath;
    timingMark('serve: listening');
    onListening?.(l);
    o.signal?.addEventListener('abort', () => finish());
    if (o.run === undefined) {
      await lastClientGone;
      return 0;
    }
    return await runCaptive(o.run, l, o.exportName, o.signal);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    if (bound) fs.rmSync(bound, { force: true });
    // The private directory holds at most the socket, removed above: rmdir spares rmSync's recursive walk (~2.5 ms).
    if (tmpDir) {
      try {
        fs.rmdirSync(tmpDir);
      } catch {
        fs.rmSync(tmpDir, { recursive: true, force: true });
      }
    }
    await device.close();
    setSynchronousFileReads(syncReadsWere);
  }
}

/** Runs CMD through the shell with nbdkit's captive-mode variables; its exit status, 128+N for a signal. */
function runCaptive(cmd: string, l: Listening, exportName: string, signal?: AbortSignal): Promise<number> {
  const env = {
    ...process.env,
    uri: l.uri,
    nbd: l.uri,
    unixsocket: l.socket ?? '',
    port: l.port === undefined ? '' : String(l.port),
    exportname: exportName,
  };
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', cmd], { env, stdio: 'inherit' });
    child.once('error', (e) => reject(new ErrnoError('ECHILD_PROC', `--run: cannot start /bin/sh: ${e.message}`, { cause: e })));
    signal?.addEventListener('abort', () => child.kill('SIGTERM'));
    child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? os.constants.signals[signal] : 0)));
  });
}
