/**
 * The appliance's bulk listing commands (readdir, lstatnslist, readlinklist, lgetxattrs,
 * lxattrlist): one agent script per directory, whatever the number of names, so a tree
 * walk under TCG costs a few round trips per directory rather than one per file.
 * Names travel as single-quoted script arguments (`set -- 'a' 'b'`) and results come
 * back NUL-separated, so any byte but NUL may appear in a name.
 */
import { ErrnoError } from '../../errors/index.js';
import { sq, type ApplianceBackend } from './appliance-backend.js';
import { STAT_FORMAT, parseStat } from './stat-parse.js';
import { fileTypeChar } from '../../util/mode-string.js';
import { runStep, type AgentStep } from './agent-batch.js';

/** Lines that resolve the directory `path` into $RP and cd there. */
function inDir(path: string): string {
  return `rp ${sq(path)} || exit 1
[ -e "$RP" ] || die ENOENT ${sq(`${path}: No such file or directory`)}
[ -d "$RP" ] || die ENOTDIR ${sq(`${path}: Not a directory`)}
cd "$RP" || exit 1`;
}

const setArgs = (names: string[]) => `set -- ${names.length ? names.map(sq).join(' ') : ''}`;

function nulFields(buf: Buffer): string[] {
  const parts = buf.toString('utf8').split('\0');
  parts.pop(); // after the last NUL
  return parts;
}

/** st_mode's file type → readdir's letter (ls's letter, but r for regular files, f for FIFOs). */
function ftypOf(mode: number): string {
  const c = fileTypeChar(mode);
  return c === '-' ? 'r' : c === 'p' ? 'f' : c === '?' ? 'u' : c;
}

/** readdir as a step (agent-batch.ts): per entry "INO HEXMODE\0NAME\0": '.' and '..', then the rest (the shell's glob order). */
export function readdirStep(dir: string): AgentStep<{ ino: number; ftyp: string; name: string }[]> {
  return {
    script: `${inDir(dir)}
for n in . .. * .[!.]* ..?*; do
  [ -e "$n" ] || [ -L "$n" ] || continue
  printf '%s\\0%s\\0' "$(stat -c '%i %f' -- "$n")" "$n"
done`,
    parse(out) {
      const f = nulFields(out);
      const res: { ino: number; ftyp: string; name: string }[] = [];
      for (let i = 0; i + 1 < f.length; i += 2) {
        const [ino = '0', mode = '0'] = f[i]!.split(' ');
        res.push({ ino: Number(ino), ftyp: ftypOf(parseInt(mode, 16)), name: f[i + 1]! });
      }
      return res;
    },
    readOnly: true,
  };
}

export async function readdir(b: ApplianceBackend, dir: string): Promise<{ ino: number; ftyp: string; name: string }[]> {
  return runStep(b, readdirStep(dir));
}

export async function lstatnslist(b: ApplianceBackend, dir: string, names: string[]): Promise<Record<string, number>[]> {
  // A flag per name (the shell's own test, no process), then one stat for all that exist:
  // its lines line up with the 1s.
  const out = await b.shText(`${inDir(dir)}
${setArgs(names)}
f=
for n; do if [ -e "$n" ] || [ -L "$n" ]; then f=\${f}1; else f=\${f}0; fi; done
echo "f$f"
[ $# -gt 0 ] && stat -c ${sq(STAT_FORMAT)} -- "$@" 2>/dev/null; :`);
  const [flagLine = 'f', ...statLines] = out.split('\n');
  const flags = flagLine.slice(1);
  let next = 0;
  return names.map((_, i) => {
    const line = flags[i] === '1' ? statLines[next++] : undefined;
    if (line === undefined || line === '') {
      const failed = parseStat('0 0 0 0 0 0 0 0 0 0 0 0 0 0|||');
      failed.st_ino = -1;
      return failed;
    }
    return parseStat(line);
  });
}
export async function readlinklist(b: ApplianceBackend, dir: string, names: string[]): Promise<string[]> {
  // The trailing "x" keeps a target's own trailing newlines through $(...).
  const out = await b.sh(`${inDir(dir)}
${setArgs(names)}
for n; do
  if [ -L "$n" ]; then t=$(readlink -- "$n"; echo x); printf '%s\\0' "\${t%?x}"; else printf '\\0'; fi
done`);
  return nulFields(out);
}

/** getfattr's dump of one file: name="value" lines with hex values (-e hex). */
function parseGetfattr(text: string): { attrname: string; attrval: string }[] {
  const res: { attrname: string; attrval: string }[] = [];
  for (const l of text.split('\n')) {
    const m = /^([^=#][^=]*)=0x([0-9a-f]*)$/.exec(l);
    if (m) res.push({ attrname: m[1]!, attrval: Buffer.from(m[2]!, 'hex').toString('latin1') });
  }
  return res;
}

const needGetfattr = `command -v getfattr >/dev/null || die ENOTSUP 'extended attributes: not supported by the appliance backend (no getfattr in the appliance)'`;

export async function lgetxattrs(b: ApplianceBackend, path: string): Promise<{ attrname: string; attrval: string }[]> {
  const out = await b.shText(`${needGetfattr}
rp ${sq(path)} 0 || exit 1
[ -e "$RP" ] || [ -L "$RP" ] || die ENOENT ${sq(`${path}: No such file or directory`)}
getfattr -h -d -m - -e hex -- "$RP" 2>/dev/null; :`);
  return parseGetfattr(out);
}

export async function lxattrlist(b: ApplianceBackend, dir: string, names: string[]): Promise<{ attrname: string; attrval: string }[]> {
  const out = await b.sh(`${needGetfattr}
${inDir(dir)}
${setArgs(names)}
for n; do printf '%s\\0' "$(getfattr -h -d -m - -e hex -- "$n" 2>/dev/null)"; done`);
  const per = nulFields(out);
  if (per.length !== names.length) throw new ErrnoError('EIO', `${dir}: lxattrlist: expected ${names.length} results, got ${per.length}`);
  return per.flatMap((text) => {
    const attrs = parseGetfattr(text);
    return [{ attrname: '', attrval: String(attrs.length) }, ...attrs];
  });
}
