/**
 * customize's operations: one record per virt-customize option, parsed and
 * checked completely from the command line (local files read, expressions
 * compiled) so that a malformed argument fails before any image is opened.
 * Operations run later, in command-line order (run.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ErrnoError } from '../errors/index.js';
import { parsePasswordSelector, type PasswordSelector } from './password-selector.js';
import { parsePerlEdit, type PerlEdit } from './perl-subst.js';

export type Op =
  | { op: 'hostname'; hostname: string }
  | { op: 'password'; user: string; selector: PasswordSelector }
  | { op: 'write'; path: string; content: string }
  | { op: 'append-line'; path: string; line: string }
  | { op: 'mkdir'; path: string }
  | { op: 'touch'; path: string }
  | { op: 'truncate'; path: string }
  | { op: 'truncate-recursive'; path: string }
  | { op: 'copy'; src: string; dest: string }
  | { op: 'copy-in'; local: string; remoteDir: string }
  | { op: 'upload'; local: string; dest: string }
  | { op: 'move'; src: string; dest: string }
  | { op: 'chmod'; mode: number; modeText: string; path: string }
  | { op: 'chown'; uid: number; gid: number; path: string }
  | { op: 'link'; target: string; links: string[] }
  | { op: 'delete'; path: string }
  | { op: 'scrub'; path: string }
  | { op: 'edit'; path: string; expr: string; edit: PerlEdit }
  | { op: 'timezone'; timezone: string }
  | { op: 'ssh-inject'; user: string; key: string }
  | { op: 'firstboot'; from: 'script' | 'command'; name: string; content: string }
  | { op: 'run'; from: 'script' | 'command'; display: string; script: string };

/** Settings that are not operations (--password-crypto, --no-selinux-relabel, ...). */
export interface OpFlags {
  passwordCrypto?: 'sha512' | 'sha256';
  noSelinuxRelabel: boolean;
  scrubLogfile: boolean;
}

export interface ParsedOps {
  ops: Op[];
  flags: OpFlags;
}

export function emptyParsedOps(): ParsedOps {
  return { ops: [], flags: { noSelinuxRelabel: false, scrubLogfile: false } };
}

export interface OpSpec {
  /** Long option name without the dashes. */
  name: string;
  /** Metavariable for help; absent for flags without an argument. */
  arg?: string;
  help: string;
  apply(into: ParsedOps, arg: string): void;
}

const fail = (option: string, problem: string) => new ErrnoError('EINVAL', `--${option}: ${problem}`);

/** virt-customize's split at the first ':' ("invalid format" when there is none). */
function pair(option: string, arg: string): [string, string] {
  const i = arg.indexOf(':');
  if (i < 0) throw fail(option, `invalid format '${arg}': expected two fields separated by ':' (see the man page)`);
  return [arg.slice(0, i), arg.slice(i + 1)];
}

/** Guest paths are absolute, non-empty and free of NUL. */
function guestPath(option: string, p: string, what = 'guest path'): string {
  if (p === '') throw fail(option, `empty ${what}`);
  if (!p.startsWith('/')) throw fail(option, `${what} '${p}' must be absolute (start with /)`);
  if (p.includes('\0')) throw fail(option, `${what} contains a NUL byte`);
  return p;
}

function readLocal(option: string, file: string, what: string): Buffer {
  try {
    const st = fs.statSync(file);
    if (st.isDirectory()) throw Object.assign(new Error('Is a directory'), { code: 'EISDIR' });
    return fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const text = code === 'ENOENT' ? 'No such file or directory' : code === 'EACCES' ? 'Permission denied' : code === 'EISDIR' ? 'Is a directory' : (e as Error).message;
    throw fail(option, `cannot read the ${what} ${file}: ${text}`);
  }
}

function localExists(option: string, file: string): void {
  try {
    fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw fail(option, `${file}: ${code === 'ENOENT' ? 'No such file or directory' : code ?? (e as Error).message}`);
  }
}

/** --chmod's number: decimal unless it starts with 0 (octal), as virt-customize reads it; 0x.. hex, 0o.. octal. */
export function parseMode(option: string, text: string): number {
  let n: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) n = parseInt(text.slice(2), 16);
  else if (/^0[oO][0-7]+$/.test(text)) n = parseInt(text.slice(2), 8);
  else if (/^0[0-7]*$/.test(text)) n = parseInt(text, 8);
  else if (/^[1-9]\d*$/.test(text)) n = parseInt(text, 10);
  else throw fail(option, `invalid permissions '${text}': expected a number (octal with a leading 0, e.g. 0755)`);
  if (n > 0o7777) throw fail(option, `invalid permissions '${text}': larger than 07777${/^[1-9]/.test(text) ? ' (without a leading 0 the number is decimal: write 0' + text + ')' : ''}`);
  return n;
}

/** A script's or command's label for firstboot file names and messages. */
function sshKey(option: string, user: string, selector: string | undefined): string {
  let key: string;
  if (selector === undefined || selector === '') {
    const home = process.env.HOME ?? os.homedir();
    const dir = path.join(home, '.ssh');
    let files: string[];
    try {
      files = fs.readdirSync(dir).filter((f) => /^id.*\.pub$/.test(f) && !/-cert\.pub$/.test(f));
    } catch {
      files = [];
    }
    if (files.length === 0) throw fail(option, `no public key file found in ${dir}: give one with ${user}:file:KEYFILE`);
    const newest = files.map((f) => ({ f: path.join(dir, f), t: fs.statSync(path.join(dir, f)).mtimeMs })).sort((a, b) => b.t - a.t)[0]!.f;
    key = readLocal(option, newest, 'public key file').toString('utf8');
    if (key === '') throw fail(option, `public key file (${newest}) is empty`);
  } else if (selector.startsWith('file:') && selector.indexOf(':', 5) < 0) {
    const f = selector.slice(5);
    key = readLocal(option, f, 'public key file').toString('utf8');
    if (key === '') throw fail(option, `public key file (${f}) is empty`);
  } else if (selector.startsWith('string:') && selector.indexOf(':', 7) < 0) {
    key = selector.slice(7);
    if (key === '') throw fail(option, 'key is an empty string');
  } else {
    throw fail(option, `invalid ssh-inject selector '${selector}' (expected file:KEYFILE or string:KEY)`);
  }
  return key.endsWith('\n') ? key : `${key}\n`;
}

const push = (into: ParsedOps, op: Op) => {
  into.ops.push(op);
};

/** --firstboot/--firstboot-command and --run/--run-command: a local script's text, or the command itself. */
function scriptAndCommand(op: 'firstboot' | 'run', scriptHelp: string, commandHelp: string): OpSpec[] {
  const make = (from: 'script' | 'command', label: string, text: string): Op =>
    op === 'firstboot' ? { op, from, name: label, content: text } : { op, from, display: label, script: text };
  return [
    { name: op, arg: 'SCRIPT', help: scriptHelp, apply: (into, a) => push(into, make('script', a, readLocal(op, a, 'script').toString('latin1'))) },
    {
      name: `${op}-command`, arg: "'CMD+ARGS'", help: commandHelp,
      apply: (into, a) => {
        if (a.trim() === '') throw fail(`${op}-command`, 'empty command');
        push(into, make('command', a, a));
      },
    },
  ];
}

/** Every customize option, in virt-customize's names. */
export const OP_SPECS: OpSpec[] = [
  {
    name: 'append-line', arg: 'FILE:LINE', help: 'append a line to a file (its own line ending; a missing final newline is added first)',
    apply: (into, a) => {
      const [p, line] = pair('append-line', a);
      if (line.includes('\n')) throw fail('append-line', 'line must not contain newline characters: use --append-line several times');
      push(into, { op: 'append-line', path: guestPath('append-line', p), line });
    },
  },
  {
    name: 'chmod', arg: 'PERMISSIONS:FILE', help: 'change the permissions of a file (decimal unless it starts with 0: use 0755)',
    apply: (into, a) => {
      const [m, p] = pair('chmod', a);
      push(into, { op: 'chmod', mode: parseMode('chmod', m), modeText: m, path: guestPath('chmod', p) });
    },
  },
  {
    name: 'chown', arg: 'UID:GID:PATH', help: 'change the numeric owner and group of a file',
    apply: (into, a) => {
      const parts = a.split(':');
      if (parts.length < 3) throw fail('chown', `invalid format '${a}': expected UID:GID:PATH`);
      const [u, g] = parts as [string, string];
      const p = parts.slice(2).join(':');
      if (!/^-?\d+$/.test(u) || !/^-?\d+$/.test(g)) throw fail('chown', `could not parse numeric UID:GID from ${u}:${g}`);
      push(into, { op: 'chown', uid: Number(u), gid: Number(g), path: guestPath('chown', p) });
    },
  },
  {
    name: 'commands-from-file', arg: 'FILENAME', help: 'read customize commands from a file, one per line',
    apply: (into, a) => readCommandsFile(into, a),
  },
  {
    name: 'copy', arg: 'SOURCE:DEST', help: 'copy files or directories recursively inside the guest',
    apply: (into, a) => {
      const [s, d] = pair('copy', a);
      push(into, { op: 'copy', src: guestPath('copy', s, 'source'), dest: guestPath('copy', d, 'destination') });
    },
  },
  {
    name: 'copy-in', arg: 'LOCALPATH:REMOTEDIR', help: 'copy local files or directories recursively into a guest directory',
    apply: (into, a) => {
      const [l, r] = pair('copy-in', a);
      if (l === '') throw fail('copy-in', 'empty local path');
      localExists('copy-in', l);
      push(into, { op: 'copy-in', local: l, remoteDir: guestPath('copy-in', r, 'remote directory') });
    },
  },
  { name: 'delete', arg: 'PATH', help: 'delete a file or directory (recursively; glob characters allowed)', apply: (into, a) => push(into, { op: 'delete', path: guestPath('delete', a) }) },
  {
    name: 'edit', arg: 'FILE:EXPR', help: 'edit a file with Perl s/PATTERN/REPLACEMENT/FLAGS substitutions, line by line',
    apply: (into, a) => {
      const [p, expr] = pair('edit', a);
      push(into, { op: 'edit', path: guestPath('edit', p), expr, edit: parsePerlEdit(expr) });
    },
  },
  ...scriptAndCommand('firstboot', 'install a local script to run when the guest first boots', 'run a command when the guest first boots'),
  {
    name: 'hostname', arg: 'HOSTNAME', help: 'set the hostname',
    apply: (into, a) => {
      if (a === '' || /[\s\0/]/.test(a) || a.startsWith('.') || a.startsWith('-')) throw fail('hostname', `invalid hostname '${a}'`);
      push(into, { op: 'hostname', hostname: a });
    },
  },
  {
    name: 'link', arg: 'TARGET:LINK[:LINK..]', help: 'create symbolic links LINK... pointing to TARGET (replacing what is there)',
    apply: (into, a) => {
      const [target, ...links] = a.split(':');
      if (links.length === 0 || target === '') throw fail('link', `invalid format '${a}': expected TARGET:LINK[:LINK...]`);
      push(into, { op: 'link', target: target!, links: links.map((l) => guestPath('link', l, 'link')) });
    },
  },
  { name: 'mkdir', arg: 'DIR', help: 'create a directory (and its parents)', apply: (into, a) => push(into, { op: 'mkdir', path: guestPath('mkdir', a) }) },
  {
    name: 'move', arg: 'SOURCE:DEST', help: 'move a file or directory inside the guest',
    apply: (into, a) => {
      const [s, d] = pair('move', a);
      push(into, { op: 'move', src: guestPath('move', s, 'source'), dest: guestPath('move', d, 'destination') });
    },
  },
  { name: 'no-logfile', help: 'scrub the log file of --run/--run-command from the image afterwards', apply: (into) => { into.flags.scrubLogfile = true; } },
  { name: 'no-selinux-relabel', help: 'do not schedule an SELinux relabel', apply: (into) => { into.flags.noSelinuxRelabel = true; } },
  {
    name: 'password', arg: 'USER:SELECTOR', help: 'set a user password (password:PASS, file:FILE, random, disabled, locked:...)',
    apply: (into, a) => {
      const [user, sel] = pair('password', a);
      if (user === '') throw fail('password', 'empty user name');
      push(into, { op: 'password', user, selector: parsePasswordSelector('--password', sel) });
    },
  },
  {
    name: 'password-crypto', arg: 'sha256|sha512', help: 'password hash (default sha512)',
    apply: (into, a) => {
      if (a === 'sha512' || a === 'sha256') into.flags.passwordCrypto = a;
      else if (a === 'md5' || a === 'yescrypt') throw fail('password-crypto', `${a} is not supported (use sha512 or sha256)`);
      else throw fail('password-crypto', `unknown algorithm ${a}, use "sha256" or "sha512"`);
    },
  },
  {
    name: 'root-password', arg: 'SELECTOR', help: "set root's password (password:PASS, file:FILE, random, disabled, locked:...)",
    apply: (into, a) => push(into, { op: 'password', user: 'root', selector: parsePasswordSelector('--root-password', a) }),
  },
  ...scriptAndCommand('run', 'run a local script inside the guest (appliance backend)', 'run a command inside the guest (appliance backend)'),
  { name: 'scrub', arg: 'FILE', help: 'scrub (overwrite, then delete) a file', apply: (into, a) => push(into, { op: 'scrub', path: guestPath('scrub', a) }) },
  { name: 'selinux-relabel', help: 'compatibility option that does nothing', apply: () => undefined },
  {
    name: 'ssh-inject', arg: 'USER[:SELECTOR]', help: "add an ssh key to USER's authorized_keys (file:KEYFILE or string:KEY)",
    apply: (into, a) => {
      const i = a.indexOf(':');
      const user = i < 0 ? a : a.slice(0, i);
      if (user === '') throw fail('ssh-inject', 'empty user name');
      push(into, { op: 'ssh-inject', user, key: sshKey('ssh-inject', user, i < 0 ? undefined : a.slice(i + 1)) });
    },
  },
  {
    name: 'timezone', arg: 'TIMEZONE', help: 'set the timezone (a location like Europe/London)',
    apply: (into, a) => {
      if (a === '' || a.startsWith('/') || a.split('/').includes('..') || /[\s\0]/.test(a)) throw fail('timezone', `invalid timezone '${a}': use a location like 'Europe/London'`);
      push(into, { op: 'timezone', timezone: a });
    },
  },
  { name: 'touch', arg: 'FILE', help: 'touch a file (create it, or update its times)', apply: (into, a) => push(into, { op: 'touch', path: guestPath('touch', a) }) },
  { name: 'truncate', arg: 'FILE', help: 'truncate a file to zero length', apply: (into, a) => push(into, { op: 'truncate', path: guestPath('truncate', a) }) },
  { name: 'truncate-recursive', arg: 'PATH', help: 'truncate every file under PATH to zero length', apply: (into, a) => push(into, { op: 'truncate-recursive', path: guestPath('truncate-recursive', a) }) },
  {
    name: 'upload', arg: 'FILE:DEST', help: 'upload a local file (keeping its permissions) to DEST (a file, or a directory to put it in)',
    apply: (into, a) => {
      const [l, d] = pair('upload', a);
      if (l === '') throw fail('upload', 'empty local file name');
      readLocalCheck('upload', l);
      push(into, { op: 'upload', local: l, dest: guestPath('upload', d, 'destination') });
    },
  },
  {
    name: 'write', arg: 'FILE:CONTENT', help: 'write CONTENT to FILE',
    apply: (into, a) => {
      const [p, content] = pair('write', a);
      push(into, { op: 'write', path: guestPath('write', p), content });
    },
  },
];

/** virt-customize options guestkit does not implement: refused by name rather than ignored. */
export const UNSUPPORTED_OPS: { name: string; arg?: string; why: string }[] = [
  { name: 'install', arg: 'PKG,PKG..', why: 'package installation is not supported: use --run-command with the guest\'s package manager' },
  { name: 'uninstall', arg: 'PKG,PKG..', why: 'package removal is not supported: use --run-command with the guest\'s package manager' },
  { name: 'update', why: 'package updates are not supported: use --run-command with the guest\'s package manager' },
  { name: 'firstboot-install', arg: 'PKG,PKG..', why: 'is not supported: use --firstboot-command with the guest\'s package manager' },
  { name: 'tar-in', arg: 'TARFILE:REMOTEDIR', why: 'is not supported: use --copy-in' },
  { name: 'inject-qemu-ga', arg: 'METHOD', why: 'is not supported' },
  { name: 'inject-virtio-win', arg: 'METHOD', why: 'is not supported' },
  { name: 'inject-blnsvr', arg: 'METHOD', why: 'is not supported' },
];

function readLocalCheck(option: string, file: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw fail(option, `${file}: ${code === 'ENOENT' ? 'No such file or directory' : code ?? (e as Error).message}`);
  }
  if (!st.isFile()) throw fail(option, `${file}: not a regular file`);
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch {
    throw fail(option, `${file}: Permission denied`);
  }
}

const SPEC_BY_NAME = new Map(OP_SPECS.map((s) => [s.name, s]));

/** Applies one option (by its long name) to `into`; throws a one-line error naming it. */
export function applyOption(into: ParsedOps, name: string, arg: string | undefined): void {
  const unsupported = UNSUPPORTED_OPS.find((u) => u.name === name);
  if (unsupported) throw fail(name, unsupported.why);
  const spec = SPEC_BY_NAME.get(name);
  if (!spec) throw new ErrnoError('EINVAL', `unknown customize option --${name}`);
  if (spec.arg !== undefined && arg === undefined) throw fail(name, 'missing argument');
  spec.apply(into, arg ?? '');
}

/**
 * --commands-from-file: one "command argument" per line (no leading --), blank
 * lines and # comments skipped, a trailing '\' continues the argument on the next line.
 */
export function readCommandsFile(into: ParsedOps, file: string): void {
  const text = readLocal('commands-from-file', file, 'commands file').toString('utf8');
  // As virt-customize: a trailing backslash joins the next line, the newline kept in the argument.
  const lines: string[] = [];
  let pending: string | undefined;
  for (const raw of text.split('\n')) {
    const line = pending === undefined ? raw : `${pending}\n${raw}`;
    if (line.endsWith('\\')) {
      pending = line.slice(0, -1);
      continue;
    }
    pending = undefined;
    lines.push(line);
  }
  if (pending !== undefined) lines.push(`${pending}\n`);
  for (const [i, l] of lines.entries()) {
    const line = l.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const sp = line.indexOf(' ');
    const cmd = sp < 0 ? line : line.slice(0, sp);
    const arg = sp < 0 ? undefined : line.slice(sp + 1);
    if (cmd === 'commands-from-file') throw fail('commands-from-file', `${file}: command 'commands-from-file' cannot be used in command files`);
    if (!SPEC_BY_NAME.has(cmd) && !UNSUPPORTED_OPS.some((u) => u.name === cmd)) {
      throw fail('commands-from-file', `${file}: command '${cmd}' not valid, see the man page`);
    }
    const spec = SPEC_BY_NAME.get(cmd);
    applyOption(into, cmd, spec?.arg === undefined ? undefined : arg ?? '');
  }
}
