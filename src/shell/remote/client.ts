/**
 * The client side of remote control (`fish --remote`): sends commands to a
 * listening shell and relays what comes back, its output to our output and its
 * error messages to our error stream, in order. One connection carries every
 * command of a client run; each call resolves with whether the command succeeded.
 */
import { connect, type Socket } from 'node:net';
import { GuestkitError } from '../../errors/index.js';
import { strerror } from '../../errors/errno.js';
import { FrameReader, FrameType, frame, parseJson, PROTOCOL_VERSION, ProtocolError, type Reply } from './protocol.js';
import { checkSocketOwner, socketPath } from './socket-path.js';

export interface RemoteIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

const notRunning = (detail?: string) =>
  new GuestkitError('ESRCH', `remote: looks like the server is not running${detail ? ` (${detail})` : ''}`);

export class FishRemoteClient {
  private pending: { resolve: (ok: boolean) => void; reject: (e: Error) => void; io: RemoteIo } | undefined;
  private closed = false;

  private constructor(private readonly socket: Socket) {
    const reader = new FrameReader([FrameType.Out, FrameType.Err, FrameType.Reply], (type, payload) => this.onFrame(type, payload));
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (e) {
        this.fail(e as Error);
      }
    });
    socket.on('close', () => {
      this.closed = true;
      this.fail(new ProtocolError('could not decode reply from server'));
    });
    socket.on('error', () => {});
  }

  /** Connects to the shell listening as process PID (its socket, checked to be this user's). */
  static async connect(pid: number, env: NodeJS.ProcessEnv = process.env): Promise<FishRemoteClient> {
    try {
      process.kill(pid, 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EPERM') throw notRunning();
    }
    const path = socketPath(pid, env);
    checkSocketOwner(path);
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(path);
      s.once('connect', () => resolve(s));
      s.once('error', (e: NodeJS.ErrnoException) => reject(notRunning(`${path}: ${describe(e)}`)));
    });
    socket.write(frame(FrameType.Hello, { version: PROTOCOL_VERSION }));
    return new FishRemoteClient(socket);
  }

  /** Runs one command in the server; output and messages go to io as they come. */
  call(cmd: string, args: string[], exitOnError: boolean, io: RemoteIo): Promise<boolean> {
    if (this.pending) return Promise.reject(new Error('one remote command at a time'));
    if (this.closed) return Promise.reject(notRunning());
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject, io };
      this.socket.write(frame(FrameType.Call, { cmd, args, exitOnError }));
    });
  }

  close(): void {
    this.closed = true;
    this.socket.end();
  }

  private onFrame(type: number, payload: Buffer): void {
    const p = this.pending;
    if (!p) throw new ProtocolError('unexpected message from server');
    if (type === FrameType.Out) this.relay(p.io.out, payload);
    else if (type === FrameType.Err) this.relay(p.io.err, payload);
    else if (type === FrameType.Reply) {
      this.pending = undefined;
      p.resolve(parseJson<Reply>(payload, 'reply from server').ok === true);
    } else throw new ProtocolError('could not decode reply from server');
  }

  /** A slow reader of our output holds the server back (through the socket), instead of output piling up here. */
  private relay(to: NodeJS.WritableStream, payload: Buffer): void {
    if (to.write(payload)) return;
    this.socket.pause();
    to.once('drain', () => this.socket.resume());
  }

  private fail(e: Error): void {
    const p = this.pending;
    this.pending = undefined;
    this.socket.destroy();
    p?.reject(e instanceof ProtocolError ? new GuestkitError('EPROTO', `protocol error: ${e.message}`, { cause: e }) : e);
  }
}

/** The system's wording of a connect error, as perror prints it. */
function describe(e: NodeJS.ErrnoException): string {
  return e.code ? strerror(e.code) : e.message;
}
