/**
 * `guestkit completion bash|zsh`: the bash script, loaded into a real bash, completes
 * tool names, a tool's options, file names after -a, and guestkit fish's command
 * names where a fish command starts (after the options, after each ' : '), and
 * nothing where a command's argument goes. Both scripts come from the live tools
 * and command table.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/api/commands.js';
import { FISH_COMMANDS } from '../src/shell/fish-commands.js';
import { TOOLS } from '../tools/cli.js';
import { completionModel } from '../tools/completion/completion-compute.js';
import { zshScript } from '../tools/completion/completion-output.js';
import { runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'guestkit-completion-'));
const script = join(dir, 'guestkit.bash');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  const r = await runCli(['completion', 'bash']);
  expect(r.err).toBe('');
  expect(r.status).toBe(0);
  writeFileSync(script, r.out);
  writeFileSync(join(dir, 'disk.img'), '');
  writeFileSync(join(dir, 'disk2.qcow2'), '');
});

const quote = (w: string) => `'${w.replace(/'/g, `'\\''`)}'`;

/**
 * What the completion function offers for the last word of `words` (split as bash splits them,
 * at blanks and at '=' and ':'); `line` is the command line typed, when it is not the words joined by spaces.
 */
function complete(...words: string[]): string[] {
  return completeLine(words.join(' '), words);
}

function completeLine(line: string, words: string[]): string[] {
  const body = [
    `source ${quote(script)}`,
    `COMP_WORDS=(${words.map(quote).join(' ')}); COMP_CWORD=${words.length - 1}; COMP_LINE=${quote(line)}; COMP_POINT=\${#COMP_LINE}`,
    '_guestkit',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', body], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return r.stdout.split('\n').filter((l) => l !== '').sort();
}

describe('guestkit completion bash', () => {
  it('registers the function for guestkit', () => {
    const r = spawnSync('bash', ['--norc', '--noprofile', '-c', `source ${quote(script)}; complete -p guestkit`], { encoding: 'utf8' });
    expect(r.stdout).toBe('complete -F _guestkit guestkit\n');
  });

  it('completes the tool names, every tool of the CLI', () => {
    expect(complete('guestkit', 'co')).toEqual(['completion', 'copy', 'copy-in', 'copy-out']);
    expect(complete('guestkit', '')).toEqual([...TOOLS.map(([n]) => n), '--help', '--version'].sort());
  });

  it("completes a tool's own options", () => {
    const cat = complete('guestkit', 'cat', '--');
    expect(cat).toContain('--add');
    expect(cat).toContain('--mount');
    expect(cat).not.toContain('--rw');
    expect(complete('guestkit', 'fish', '-a', 'x.img', '--r')).toEqual(['--remote', '--ro', '--rw']);
    expect(complete('guestkit', 'diff', '--check')).toEqual(['--checksum']);
    expect(complete('guestkit', 'appliance', 'b')).toEqual(['build']);
  });

  it('completes host file names after -a, --add=, and fish -f', () => {
    expect(complete('guestkit', 'cat', '-a', join(dir, 'dis'))).toEqual([join(dir, 'disk.img'), join(dir, 'disk2.qcow2')]);
    expect(complete('guestkit', 'inspect', '--add', '=', join(dir, 'disk2'))).toEqual([join(dir, 'disk2.qcow2')]);
    expect(complete('guestkit', 'fish', '-f', join(dir, 'disk.'))).toEqual([join(dir, 'disk.img')]);
    // --format takes a value that is not a file.
    expect(complete('guestkit', 'cat', '--format', '')).toEqual([]);
  });

  it('completes fish command names where a command starts, and nothing where an argument goes', () => {
    expect(complete('guestkit', 'fish', '-a', 'disk.img', '--ro', 'mount-r')).toEqual(['mount-ro']);
    expect(complete('guestkit', 'fish', '-a', 'disk.img', 'run', ':', 'list-fi')).toEqual(['list-filesystems']);
    expect(complete('guestkit', 'fish', '-a', 'disk.img', '-m', '/dev/sda1', 'run', ':', 'mount', '/dev/sda1', '/', ':', 'all')).toEqual(['alloc', 'allocate']);
    expect(complete('guestkit', 'fish', '-a', 'disk.img', 'cat', '/etc/ho')).toEqual([]);
    expect(complete('guestkit', 'fish', 'run', ':', 'mount', '/dev/sd')).toEqual([]);
    // bash splits -m /dev/sda1:/ at the colon; that colon does not start a command.
    expect(completeLine('guestkit fish -a d.img -m /dev/sda1:/ mount-r', ['guestkit', 'fish', '-a', 'd.img', '-m', '/dev/sda1', ':', '/', 'mount-r'])).toEqual(['mount-ro']);
    expect(completeLine('guestkit fish -m /dev/sda1:/ cat /etc/ho', ['guestkit', 'fish', '-m', '/dev/sda1', ':', '/', 'cat', '/etc/ho'])).toEqual([]);
    expect(completeLine('guestkit fish --add=d.img mount-r', ['guestkit', 'fish', '--add', '=', 'd.img', 'mount-r'])).toEqual(['mount-ro']);
  });
});

const hasZsh = spawnSync('zsh', ['-fc', 'true']).status === 0;

/**
 * What the zsh function offers: compadd and _files stubbed to print what they are
 * given (compadd filters by the typed prefix itself, so the stub's list is filtered here).
 */
function completeZsh(zshFile: string, ...words: string[]): string[] {
  const body = [
    'compdef() { print -r -- "compdef $*"; }',
    `source ${quote(zshFile)}`,
    'compadd() { [[ $1 == -- ]] && shift; print -rl -- "$@"; }',
    // _describe's words are "name:description": the names are what it completes.
    '_describe() { local -a pairs=("${(@P)4}"); print -rl -- "${pairs[@]%%:*}"; }',
    '_files() { print -r -- FILES; }',
    `words=(${words.map(quote).join(' ')}); CURRENT=${words.length}`,
    '_guestkit',
  ].join('\n');
  const r = spawnSync('zsh', ['-f', '-c', body], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  const prefix = words.at(-1)!;
  return r.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('compdef ') && (l === 'FILES' || l.startsWith(prefix))).sort();
}

describe.skipIf(!hasZsh)('guestkit completion zsh', () => {
  const zshFile = join(dir, '_guestkit');
  beforeAll(async () => {
    const r = await runCli(['completion', 'zsh']);
    expect(r.status).toBe(0);
    writeFileSync(zshFile, r.out);
    expect(spawnSync('zsh', ['-n', zshFile]).status).toBe(0);
  });

  it('registers itself with compdef when sourced, and completes like the bash script', () => {
    const r = spawnSync('zsh', ['-f', '-c', `compdef() { print -r -- "compdef $*"; }; source ${quote(zshFile)}`], { encoding: 'utf8' });
    expect(r.stdout).toBe('compdef _guestkit guestkit\n');
    expect(completeZsh(zshFile, 'guestkit', 'co')).toEqual(['completion', 'copy', 'copy-in', 'copy-out']);
    expect(completeZsh(zshFile, 'guestkit', 'cat', '--m')).toEqual(['--mount']);
    expect(completeZsh(zshFile, 'guestkit', 'cat', '-a', '/tmp/d')).toEqual(['FILES']);
    expect(completeZsh(zshFile, 'guestkit', 'fish', '-a', 'x.img', 'run', ':', 'list-fi')).toEqual(['list-filesystems']);
    expect(completeZsh(zshFile, 'guestkit', 'fish', '-a', 'x.img', 'cat', '/etc/h')).toEqual([]);
    expect(completeZsh(zshFile, 'guestkit', 'appliance', 'b')).toEqual(['build']);
    expect(completeZsh(zshFile, 'guestkit', '--v')).toEqual(['--version']);
    // The descriptions go with the names (the table's short descriptions); quotes and colons survive zsh's quoting.
    const described = spawnSync('zsh', ['-f', '-c', `compdef() { :; }; source ${quote(zshFile)}; _describe() { print -rl -- "\${(@P)4}"; }; words=(guestkit fish run : mount-r); CURRENT=5; _guestkit`], { encoding: 'utf8' });
    const pairs = described.stdout.split('\n');
    expect(pairs).toContain(`mount-ro:${COMMANDS.find((c) => c.name === 'mount-ro')!.shortdesc}`);
    expect(pairs).toContain("add:alias for 'add-drive'");
    const tools = spawnSync('zsh', ['-f', '-c', `compdef() { :; }; source ${quote(zshFile)}; _describe() { print -rl -- "\${(@P)4}"; }; words=(guestkit ''); CURRENT=2; _guestkit`], { encoding: 'utf8' });
    expect(tools.stdout.split('\n')).toContain('appliance:the appliance backend\\: check it (like libguestfs-test-tool) or rebuild it');
    // One line each, however long the tool's description.
    expect(tools.stdout.split('\n').filter((l) => l !== '')).toHaveLength(TOOLS.length);
    expect(described.stderr).toBe('');
  });
});

describe('the completion model', () => {
  it('has every table command, alias and shell command for guestkit fish, and every tool', async () => {
    const model = completionModel(await Promise.all(TOOLS.map(([, load]) => load())));
    for (const c of [...COMMANDS, ...FISH_COMMANDS]) for (const n of [c.name, ...(c.aliases ?? [])]) expect(model.fishCommands).toContain(n);
    expect(model.tools.map((t) => t.name)).toEqual(TOOLS.map(([n]) => n));
    const zsh = zshScript(model);
    expect(zsh.startsWith('#compdef guestkit\n')).toBe(true);
    for (const t of model.tools) expect(zsh).toContain(`\n    ${t.name})\n      opts=(${t.options.join(' ')})`);
  });
});
