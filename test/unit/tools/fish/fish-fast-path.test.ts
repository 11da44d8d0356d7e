/**
 * The launcher's light fish paths (tools/fish/fish-fast-path.ts): only command
 * lines whose meaning is certain without the CLI's parser are taken; the rest
 * go through the CLI.
 */
import { describe, expect, it } from 'vitest';
import { fishFastPath } from '../../../../tools/fish/fish-fast-path.js';

const fast = (argv: string[], env: NodeJS.ProcessEnv = {}) => fishFastPath(argv, env);

describe('fishFastPath', () => {
  it('takes a --remote command line, with or without a PID and after --', () => {
    expect(fast(['fish', '--remote=42', 'cat', '/etc/hostname', ':', 'ls', '/'])).toEqual({ kind: 'remote', pid: '42', words: ['cat', '/etc/hostname', ':', 'ls', '/'] });
    expect(fast(['fish', '--remote', 'echo'])).toEqual({ kind: 'remote', pid: undefined, words: ['echo'] });
    expect(fast(['fish', '--remote=', 'echo'])).toEqual({ kind: 'remote', pid: '', words: ['echo'] });
    expect(fast(['fish', '--remote=7', '--', '-cat', '/nope'])).toEqual({ kind: 'remote', pid: '7', words: ['-cat', '/nope'] });
    // After the first command word, everything is a word (Commander's passThroughOptions).
    expect(fast(['fish', '--remote=7', 'echo', '--help', '-V'])).toEqual({ kind: 'remote', pid: '7', words: ['echo', '--help', '-V'] });
  });

  it('leaves to the CLI a --remote with other flags, or reading a script', () => {
    expect(fast(['fish', '--remote=7'])).toBeUndefined();
    expect(fast(['fish', '--remote=7', '--'])).toBeUndefined();
    expect(fast(['fish', '--remote=7', '-f', 'script'])).toBeUndefined();
    expect(fast(['fish', '--remote=7', '--listen'])).toBeUndefined();
    expect(fast(['fish', '-v', '--remote=7', 'echo'])).toBeUndefined();
    expect(fast(['cat', '--remote=7', 'echo'])).toBeUndefined();
    expect(fast(['fish', '--remotely', 'echo'])).toBeUndefined();
  });

  it("takes --listen's parent, sh or csh, but not flags that answer on their own, nor the background process itself", () => {
    expect(fast(['fish', '--listen', '--ro', '-a', 'disk.img', '-m', '/dev/sda'])).toEqual({ kind: 'listen', csh: false });
    expect(fast(['fish', '-a', 'disk.img', '--csh', '--listen'])).toEqual({ kind: 'listen', csh: true });
    for (const flag of ['--help', '-V', '--version', '-h', '--cmd-help', '--cmd-help=cat', '--remote', '--remote=3']) {
      expect(fast(['fish', '--listen', flag])).toBeUndefined();
    }
    expect(fast(['fish', '--listen'], { GUESTKIT_FISH_LISTENER: '3' })).toBeUndefined();
    // After --, "--listen" is a command word.
    expect(fast(['fish', '--', 'echo', '--listen'])).toBeUndefined();
    expect(fast(['fish', '--'])).toBeUndefined();
  });
});
