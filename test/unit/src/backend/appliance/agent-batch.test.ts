/**
 * The batch framing (agent-batch.ts): the script runs each step in its own
 * subshell in order, a fatal step stops the rest, and the reply splits back into
 * each step's exit status, standard output (bytes, any content) and standard
 * error; a reply that does not add up is an EIO, not a wrong answer.
 */
import { describe, expect, it } from 'vitest';
import { batchScript, splitBatchOutput } from '../../../../../src/backend/appliance/agent-batch.js';
import { GuestkitError } from '../../../../../src/errors/index.js';

const frame = (rcs: number[], parts: Buffer[]) =>
  Buffer.concat([Buffer.from(`${rcs.join(' ')}\n${parts.map((p) => p.length).join(' ')} \n`), ...parts]);

describe('agent batch framing', () => {
  it('splits statuses, outputs and errors, binary bytes and empty parts included', () => {
    const bin = Buffer.from([0, 10, 255, 13, 10]);
    const replies = splitBatchOutput(frame([0, 1], [bin, Buffer.alloc(0), Buffer.alloc(0), Buffer.from('ENOENT /x: No such file or directory\n')]), 2);
    expect(replies.map((r) => r.rc)).toEqual([0, 1]);
    expect(replies[0]!.stdout).toEqual(bin);
    expect(replies[1]!.stderr.toString()).toBe('ENOENT /x: No such file or directory\n');
  });

  it('refuses a reply with too few statuses, a missing header or bytes left over', () => {
    const one = frame([0], [Buffer.from('a'), Buffer.alloc(0)]);
    expect(() => splitBatchOutput(one, 2)).toThrow(GuestkitError);
    expect(() => splitBatchOutput(Buffer.from('0'), 1)).toThrow(/no header/);
    expect(() => splitBatchOutput(Buffer.concat([one, Buffer.from('x')]), 1)).toThrow(/left over/);
  });

  it('runs each step in a subshell, in order; after a fatal step fails the rest are not run', () => {
    const s = batchScript([{ script: 'exit 1', parse: () => 0, fatal: true }, { script: 'echo hi', parse: () => 0 }]);
    expect(s.indexOf('exit 1')).toBeLessThan(s.indexOf('echo hi'));
    expect(s).toMatch(/\(\nexit 1\n\) >"\$B\/0\.o" 2>"\$B\/0\.e" <\/dev\/null; r=\$\?/);
    expect(s).toContain('[ $r = 0 ] || stop=1');
    expect(s).toContain("ECANCELED not run: an earlier call of the batch failed");
  });
});
