/**
 * The listening side of remote control (`fish --listen`): one shell and its
 * handle, kept warm, running the commands clients send over a Unix socket, one
 * at a time in arrival order. Each command's output and error messages go back
 * to the client that sent it. As with guestfish, `quit`/`exit` ends the server,
 * and so does a failed command the client did not mark `-cmd` (exitOnError).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { unlinkSync } from 'node:fs';
import { Writable } from 'node:stream';
import { QuitSignal, type FishShell } from '../fish.js';
import { FrameReader, FrameType, frame, parseJson, PROTOCOL_VERSION, ProtocolError, type Call, type Hello } from './protocol.js';

export interface ListenResult {
  /** 0 after quit/exit, 1 after a failed command that asked the server to exit. */
  status: number;
}

/** Output written into a frame stream: each write is sent before its callback fires. */
function frameStream(socket: Socket, type: FrameType): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (socket.destroyed) return cb();
      socket.write(frame(type, chunk), () => cb());
    },
  });
}

export class FishServer {
  private server: Server | undefined;
  /** Commands from every client run one after another on the one handle. */
  private queue: Promise<void> = Promise.resolve();
  private finished!: (r: ListenResult) => void;
  readonly done = new Promise<ListenResult>((resolve) => { this.finished = resolve; });

  /**
   * say: protocol problems (on the listener's stderr); trace: each command as it
   * arrives (-v: "guestfish(PID): cmd args", as guestfish's listener prints it).
   */
  constructor(private readonly shell: FishShell, readonly socketPath: string, private readonly say: (line: string) => void = () => {}, private readonly trace?: (line: string) => void) {}

  /** Binds the socket (a stale one of the same name is replaced, as guestfish does) and starts accepting. */
  listen(): Promise<void> {
    try { unlinkSync(this.socketPath); } catch { /* none there */ }
    const server = createServer((s) => this.accept(s));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  private accept(socket: Socket): void {
    let greeted = false;
    const reader = new FrameReader([FrameType.Hello, FrameType.Call], (type, payload) => {
      if (!greeted) {
        const hello = type === FrameType.Hello ? parseJson<Hello>(payload, "'hello' message") : undefined;
        if (!hello) throw new ProtocolError("could not read 'hello' message");
        if (hello.version !== PROTOCOL_VERSION) {
          throw new ProtocolError(`version mismatch, server version '${PROTOCOL_VERSION}' does not match client version '${hello.version}'.  The two versions must match exactly.`);
        }
        greeted = true;
        return;
      }
      if (type !== FrameType.Call) throw new ProtocolError('expected a command');
      const call = parseJson<Call>(payload, 'command');
      this.queue = this.queue.then(() => this.run(socket, call)).catch((e: unknown) => this.say(`remote command failed: ${(e as Error).message}`));
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (e) {
        const msg = `protocol error: ${(e as Error).message}`;
        this.say(msg);
        // The client hears why (a version mismatch above all) and sees its command fail.
        socket.end(Buffer.concat([frame(FrameType.Err, `guestkit fish: ${msg}\n`), frame(FrameType.Reply, { ok: false })]));
      }
    });
    socket.on('error', () => socket.destroy());
  }

  private async run(socket: Socket, call: Call): Promise<void> {
    if (socket.destroyed) return;
    this.trace?.(`guestfish(${process.pid}): ${[call.cmd, ...(call.args ?? [])].join(' ')}`);
    const io = this.shell.io;
    this.shell.io = { out: frameStream(socket, FrameType.Out), err: frameStream(socket, FrameType.Err) };
    let ok = true;
    let quit = false;
    try {
      ok = await this.shell.runCommand(String(call.cmd), (Array.isArray(call.args) ? call.args : []).map((a) => ({ text: String(a), quoted: true })));
    } catch (e) {
      if (!(e instanceof QuitSignal)) throw e;
      quit = true;
    } finally {
      this.shell.io = io;
    }
    // As guestfish (RHBZ#802389): on quit the handle is closed before the reply, so the client knows it is gone.
    if (quit) await this.shell.g.close();
    await new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.write(frame(FrameType.Reply, { ok }), () => resolve())));
    if (quit) return this.stop(0);
    if (!ok && call.exitOnError !== false) return this.stop(1);
  }

  /** Stops accepting, removes the socket, closes the handle. */
  async stop(status: number): Promise<void> {
    this.server?.close();
    try { unlinkSync(this.socketPath); } catch { /* already gone */ }
    await this.shell.g.close();
    this.finished({ status });
  }
}
