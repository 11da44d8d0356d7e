/**
 * Converts libguestfs's per-command test records (generator/actions_*.ml) into
 * test/upstream/cases.json: each test's init, prerequisite, command lines
 * (upstream positional words) and check; plus the upstream signature of every
 * command, so the runner can tell required from optional words.
 *
 *   npx tsx test/upstream/convert.ts /work/.mirror/libguestfs+libguestfs/repo
 *
 * The argument is a libguestfs checkout or bare git directory (read at HEAD).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tokenize, ValueParser, type OValue } from './ocaml-values.js';
import type { UpstreamCase, UpstreamData, UpstreamSignature } from './cases.js';

const ACTION_FILES = [
  'actions_core.ml', 'actions_core_deprecated.ml', 'actions_augeas.ml', 'actions_hivex.ml', 'actions_hivex_deprecated.ml',
  'actions_inspection.ml', 'actions_inspection_deprecated.ml', 'actions_properties.ml', 'actions_properties_deprecated.ml',
  'actions_debug.ml', 'actions_tsk.ml', 'actions_yara.ml',
];

function readSource(repo: string, path: string): string | undefined {
  if (existsSync(join(repo, path))) return readFileSync(join(repo, path), 'utf8');
  try {
    return execFileSync('git', ['--git-dir', repo, 'show', `HEAD:${path}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
}

function headCommit(repo: string): string {
  try {
    return execFileSync('git', ['--git-dir', existsSync(join(repo, '.git')) ? join(repo, '.git') : repo, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

const str = (v: OValue | undefined): string => {
  if (v?.t !== 'str') throw new Error(`expected a string, got ${JSON.stringify(v)}`);
  return v.v;
};
const items = (v: OValue | undefined): OValue[] => {
  if (v?.t === 'list' || v?.t === 'tuple') return v.items;
  throw new Error(`expected a list or tuple, got ${JSON.stringify(v)}`);
};

/** `String (Pathname, "path")` → Pathname; `Int "n"` → Int; `OBool "x"` → OBool. */
function argOf(v: OValue): [string, string] {
  if (v.t !== 'ctor' || !v.arg) throw new Error(`bad argument ${JSON.stringify(v)}`);
  if (v.arg.t === 'str') return [v.name, v.arg.v];
  const [sub, name] = items(v.arg);
  const subName = sub?.t === 'ctor' ? sub.name : '?';
  return [v.name === 'String' ? subName : v.name, str(name)];
}

function signatureOf(style: OValue): UpstreamSignature {
  const [ret, args, optargs] = items(style);
  return {
    ret: ret?.t === 'ctor' ? ret.name : '?',
    args: items(args).map(argOf),
    optargs: optargs ? items(optargs).map(argOf) : [],
  };
}

function describe(v: OValue): string {
  if (v.t === 'str') return JSON.stringify(v.v);
  if (v.t === 'int') return String(v.v);
  if (v.t === 'ctor') return v.arg ? `${v.name} (${describe(v.arg)})` : v.name;
  return `(${v.items.map(describe).join(', ')})`;
}

const seqOf = (v: OValue): string[][] => items(v).map((cmd) => items(cmd).map(str));

function caseOf(command: string, index: number, v: OValue): UpstreamCase {
  const [init, prereq, test, cleanup] = items(v);
  if (init?.t !== 'ctor' || prereq?.t !== 'ctor' || test?.t !== 'ctor' || !test.arg) throw new Error(`${command}: bad test record`);
  const prereqText = prereq.name === 'IfAvailable' ? `IfAvailable ${str(prereq.arg)}` : prereq.name;
  const testArgs = test.arg.t === 'tuple' ? test.arg.items : [test.arg];
  const c: UpstreamCase = {
    id: `${command}_${index}`,
    command,
    init: init.name,
    prereq: prereqText,
    test: test.name,
    seq: seqOf(testArgs[0]!),
  };
  const check = testArgs[1];
  if (check?.t === 'str') {
    if (test.name === 'TestResult') c.expr = check.v;
    else c.expected = check.v;
  } else if (check) {
    // An OCaml computation run at generation time (a digest of a source file): kept as text, the runner skips it.
    c.unconverted = `expected value computed in OCaml: ${describe(check)}`;
  }
  const clean = cleanup ? seqOf(cleanup) : [];
  if (clean.length) c.cleanup = clean;
  return c;
}

/** Walks one actions file: `name = "…"` opens a record; its `style` and `tests` fields follow. */
function readActions(src: string, data: UpstreamData, constants: Record<string, string>): void {
  const p = new ValueParser(tokenize(src), constants);
  let current: string | undefined;
  while (p.pos < p.toks.length) {
    const t = p.peek()!;
    if (t.kind === 'ident' && p.isPunct('=', 1)) {
      const field = t.text;
      if (field === 'name' && p.peek(2)?.kind === 'str') {
        current = p.peek(2)!.text;
        p.pos += 3;
        continue;
      }
      if (current && (field === 'style' || field === 'tests')) {
        p.pos += 2;
        const v = p.expr();
        if (field === 'style') data.signatures[current] = signatureOf(v);
        else items(v).forEach((tv, i) => data.cases.push(caseOf(current!, i, tv)));
        continue;
      }
    }
    p.pos++;
  }
}

/**
 * generator/utils.ml's stable_uuid: the MD5 of `cat generator/actions*.ml`, as a
 * UUID (a leading "00" becomes "10"). Any UUID would do; this one matches upstream's.
 */
function stableUuid(repo: string): string {
  const names = execFileSync('git', ['--git-dir', existsSync(join(repo, '.git')) ? join(repo, '.git') : repo, 'ls-tree', '--name-only', 'HEAD', 'generator/'], { encoding: 'utf8' })
    .split('\n').filter((n) => /^generator\/actions.*\.ml$/.test(n)).sort();
  const hash = createHash('md5');
  for (const n of names) hash.update(readSource(repo, n) ?? '');
  let h = hash.digest('hex');
  if (h.startsWith('00')) h = `1${h.slice(1)}`;
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function main(): void {
  const repo = process.argv[2];
  if (!repo) throw new Error('usage: convert.ts LIBGUESTFS-CHECKOUT-OR-GIT-DIR');
  const data: UpstreamData = { source: { repo: 'libguestfs/libguestfs', commit: headCommit(repo) }, signatures: {}, cases: [] };
  const sources = ACTION_FILES.map((f) => readSource(repo, `generator/${f}`));
  const constants = { stable_uuid: stableUuid(repo) };
  for (const src of sources) if (src !== undefined) readActions(src, data, constants);
  data.cases.sort((a, b) => (a.command < b.command ? -1 : a.command > b.command ? 1 : 0));
  const out = fileURLToPath(new URL('./cases.json', import.meta.url));
  const sigs = Object.fromEntries(Object.entries(data.signatures).sort(([a], [b]) => (a < b ? -1 : 1)));
  // One signature and one case a line: diffs after a re-conversion stay readable.
  const lines = [
    '{',
    ` "source": ${JSON.stringify(data.source)},`,
    ' "signatures": {',
    Object.entries(sigs).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(',\n'),
    ' },',
    ' "cases": [',
    data.cases.map((c) => `  ${JSON.stringify(c)}`).join(',\n'),
    ' ]',
    '}',
  ];
  writeFileSync(out, `${lines.join('\n')}\n`);
  console.log(`${data.cases.length} tests of ${new Set(data.cases.map((c) => c.command)).size} commands, ${Object.keys(sigs).length} signatures → ${out}`);
}

main();
