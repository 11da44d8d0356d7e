/**
 * Running one program of the appliance the way libguestfs's daemon does: its
 * arguments already resolved (guest paths under /sysroot, devices as the guest
 * kernel names them), its standard output returned, and on failure the error
 * worded "LABEL: STDERR", as the daemon's reply_with_error ("%s: %s", arg, err).
 */
import { sq } from './appliance-backend.js';
import { devScript } from './ops-common.js';

export const LONG = { timeoutMs: 3_600_000 };

/** An argument word of a tool script: a literal (quoted here) or a shell variable ("$d"). */
export type Word = string | { readonly shell: string };

export function word(w: Word): string {
  return typeof w === 'string' ? sq(w) : w.shell;
}

export interface ToolRun {
  /** Script lines run first (resolving paths and devices). */
  readonly pre?: string;
  /** The program (looked up on the appliance's PATH) and its arguments. */
  readonly argv: readonly Word[];
  /** What the error message starts with (the daemon's first %s); none: the tool's stderr alone. */
  readonly label?: string;
  /** The tool's stdout goes with its stderr, in order, into the error (the daemon's COMMAND_FLAG_FOLD_STDOUT_ON_STDERR); nothing is returned. */
  readonly foldStdout?: boolean;
  /** Exit statuses that count as success besides 0 ('any': the daemon's commandr, which only checks the program ran). */
  readonly okStatus?: readonly number[] | 'any';
}

/** The last line of a tool script: it prints the tool's standard output (none when folded into errors). */
export const TOOL_OUTPUT = 'cat /tmp/.tool.out 2>/dev/null; :';

/** The script for one tool run; it prints the tool's standard output. */
export function toolScript(t: ToolRun): string {
  const prog = word(t.argv[0]!);
  const ok = t.okStatus === 'any' ? ' && [ $rc -eq 127 ]' : (t.okStatus ?? []).map((s) => ` && [ $rc -ne ${s} ]`).join('');
  const prefix = t.label === undefined ? '' : `printf '%s: ' ${sq(t.label)} >&2; `;
  return `${t.pre ?? ''}
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
rm -f /tmp/.tool.out /tmp/.tool.err
command -v ${prog} >/dev/null || die ENOTSUP ${sq(`${String(t.argv[0])}: the program is not in the appliance`)}
${t.argv.map(word).join(' ')} </dev/null >/tmp/.tool.${t.foldStdout ? 'err 2>&1' : 'out 2>/tmp/.tool.err'}; rc=$?
if [ $rc -ne 0 ]${ok}; then ${prefix}cat /tmp/.tool.err >&2; exit 1; fi
${TOOL_OUTPUT}`;
}

/** Script lines that resolve a guest path (symlinks followed inside the guest) into shell variable `v`. */
export function pathInto(v: string, path: string, follow: 0 | 1 = 1): string {
  return `rp ${sq(path)} ${follow} || exit 1\n${v}=$RP`;
}

/** Script lines that set shell variable `v` to the guest device for `dev` (failing when it does not exist). */
export function deviceInto(v: string, dev: string): string {
  return `${devScript(dev)}\n${v}=$d`;
}

/** Script lines for a list of devices: variables `${prefix}0`, `${prefix}1`, ... and their words. */
export function devicesInto(prefix: string, devs: readonly string[]): { pre: string; words: Word[] } {
  return {
    pre: devs.map((d, i) => deviceInto(`${prefix}${i}`, d)).join('\n'),
    words: devs.map((_, i) => ({ shell: `"$${prefix}${i}"` })),
  };
}

export const v = (name: string): Word => ({ shell: `"$${name}"` });
