/** Runs a guestfish script in process through FishShell, capturing stdout and stderr. */
import { PassThrough } from 'node:stream';
import { Guestfs } from '../../src/index.js';
import { FishShell } from '../../src/shell/fish.js';

export interface FishResult {
  status: number;
  out: string;
  err: string;
}

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(Buffer.from(c)));
  return () => Buffer.concat(chunks).toString('utf8');
}

export async function runFish(backend: 'wasm' | 'appliance', script: string): Promise<FishResult> {
  const out = new PassThrough(), err = new PassThrough();
  const readOut = collect(out), readErr = collect(err);
  const g = new Guestfs({ backend, stdout: out });
  const shell = new FishShell(g, { out, err });
  let status: number;
  try {
    status = await shell.runScript(script);
  } finally {
    await g.close();
  }
  await new Promise((r) => setImmediate(r));
  return { status, out: readOut(), err: readErr() };
}
