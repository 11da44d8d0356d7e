/**
 * The remote-control wire format between `fish --remote` and `fish --listen`.
 * guestfish hands its standard output over as a file descriptor (SCM_RIGHTS),
 * which Node cannot send; here the server sends the command's output back in
 * frames instead, so bytes arrive in order and binary output survives.
 *
 * A frame: one type byte, a 32-bit big-endian length, the payload.
 *   client → server: HELLO (JSON {version}), CALL (JSON {cmd, args, exitOnError})
 *   server → client: OUT (stdout bytes), ERR (stderr bytes), REPLY (JSON {ok})
 */
/** Both ends must speak the same: bumped whenever a frame changes (guestfish requires equal versions too). */
export const PROTOCOL_VERSION = 'guestkit-fish-remote/1';

export const FrameType = {
  Hello: 0x48, // 'H'
  Call: 0x43, // 'C'
  Out: 0x4f, // 'O'
  Err: 0x45, // 'E'
  Reply: 0x52, // 'R'
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export interface Hello { version: string }
export interface Call { cmd: string; args: string[]; exitOnError: boolean }
export interface Reply { ok: boolean }

/** The most a frame may carry: protects the reader from a length it should not believe. */
const MAX_FRAME = 64 << 20;

export function frame(type: FrameType, payload: Uint8Array | string | object): Buffer {
  const body = payload instanceof Uint8Array ? payload : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
  const head = Buffer.alloc(5);
  head[0] = type;
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

export class ProtocolError extends Error {}

/** Splits a byte stream into frames as they complete. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  /** types: the frames this side may receive; anything else (another program's protocol) fails at once instead of waiting for a length it made up. */
  constructor(private readonly types: readonly number[], private readonly onFrame: (type: number, payload: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    while (this.buf.length > 0) {
      if (!this.types.includes(this.buf[0]!)) throw new ProtocolError('not a guestkit fish message (another program, or another version?)');
      if (this.buf.length < 5) return;
      const len = this.buf.readUInt32BE(1);
      if (len > MAX_FRAME) throw new ProtocolError(`frame of ${len} bytes is too large`);
      if (this.buf.length < 5 + len) return;
      const type = this.buf[0]!;
      const payload = this.buf.subarray(5, 5 + len);
      this.buf = this.buf.subarray(5 + len);
      this.onFrame(type, payload);
    }
  }
}

export function parseJson<T>(payload: Buffer, what: string): T {
  try {
    return JSON.parse(payload.toString('utf8')) as T;
  } catch {
    throw new ProtocolError(`could not decode ${what}`);
  }
}
