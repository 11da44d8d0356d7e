import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Guestfs } from '../../../../../src/core/guestfs.js';
import { FishShell } from '../../../../../src/shell/fish.js';
import { FishRemoteClient } from '../../../../../src/shell/remote/client.js';
import { FrameReader, FrameType, frame, PROTOCOL_VERSION } from '../../../../../src/shell/remote/protocol.js';
import { FishServer } from '../../../../../src/shell/remote/server.js';
import { socketPath } from '../../../../../src/shell/remote/socket-path.js';

function collector() {
  let text = '';
  const stream = new Writable({ write: (c: Buffer, _e, cb) => { text += c.toString(); cb(); } });
  return { stream, text: () => text };
}

describe('remote frames', () => {
  it('reassembles frames split anywhere and refuses bytes of another protocol at once', () => {
    const got: Array<[number, string]> = [];
    const reader = new FrameReader([FrameType.Out, FrameType.Reply], (t, p) => got.push([t, p.toString()]));
    const bytes = Buffer.concat([frame(FrameType.Out, 'hello'), frame(FrameType.Reply, { ok: true })]);
    for (const b of bytes) reader.push(Buffer.from([b]));
    expect(got).toEqual([[FrameType.Out, 'hello'], [FrameType.Reply, '{"ok":true}']]);
    // guestfish's XDR hello starts with a string length: not a frame type.
    expect(() => new FrameReader([FrameType.Hello], () => {}).push(Buffer.from([0, 0, 0, 6]))).toThrow('not a guestkit fish message');
  });
});

describe('server and client in one process', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'remote-')); env = { XDG_RUNTIME_DIR: dir }; });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('runs commands, relays output and errors, and stops on quit', async () => {
    const shell = new FishShell(new Guestfs(), { out: collector().stream, err: collector().stream });
    const server = new FishServer(shell, socketPath(process.pid, env));
    await server.listen();
    const client = await FishRemoteClient.connect(process.pid, env);
    const out = collector(), err = collector();
    expect(await client.call('echo', ['a', 'b c'], true, { out: out.stream, err: err.stream })).toBe(true);
    expect(await client.call('nosuch', [], false, { out: out.stream, err: err.stream })).toBe(false);
    expect(out.text()).toBe('a b c\n');
    expect(err.text()).toBe('nosuch: unknown command\n');
    expect(await client.call('quit', [], true, { out: out.stream, err: err.stream })).toBe(true);
    expect(await server.done).toEqual({ status: 0 });
    client.close();
  });

  it('tells a client of another protocol version why, and fails its command', async () => {
    const shell = new FishShell(new Guestfs(), { out: collector().stream, err: collector().stream });
    const server = new FishServer(shell, socketPath(process.pid, env));
    await server.listen();
    const socket = connect(socketPath(process.pid, env));
    const frames: Array<[number, string]> = [];
    const reader = new FrameReader([FrameType.Err, FrameType.Reply], (t, p) => frames.push([t, p.toString()]));
    socket.on('data', (c: Buffer) => reader.push(c));
    socket.write(Buffer.concat([frame(FrameType.Hello, { version: 'other/9' }), frame(FrameType.Call, { cmd: 'echo', args: [], exitOnError: true })]));
    await new Promise((r) => socket.on('close', r));
    expect(frames).toEqual([
      [FrameType.Err, `guestkit fish: protocol error: version mismatch, server version '${PROTOCOL_VERSION}' does not match client version 'other/9'.  The two versions must match exactly.\n`],
      [FrameType.Reply, '{"ok":false}'],
    ]);
    await server.stop(0);
  });
});
