/**
 * The tools of the backend matrix (test/backend-matrix.test.ts): each runs one
 * guestkit tool's computation on an open handle and prints it with that tool's own
 * output code, so the text is what the CLI would print. A tool is one record; adding
 * one is one more entry in MATRIX_TOOLS.
 */
import { PassThrough } from 'node:stream';
import type { Guestfs } from '../../src/core/guestfs.js';
import { FishShell } from '../../src/shell/fish.js';
import { applyOption, emptyParsedOps } from '../../src/customize/ops.js';
import { runCustomize } from '../../src/customize/run.js';
import type { OsFacts } from '../../src/inspect/types.js';
import { dfRows, displayName } from '../../tools/df/df-compute.js';
import { dfLine, dfTitle } from '../../tools/df/df-output.js';
import { computeRows } from '../../tools/filesystems/filesystems-compute.js';
import { formatRows } from '../../tools/filesystems/filesystems-output.js';
import { computeInspection } from '../../tools/inspect/inspect-compute.js';
import { inspectionXml } from '../../tools/inspect/inspect-output.js';
import { walkTree } from '../../tools/ls/ls-compute.js';
import { formatRecord, type LsFormat } from '../../tools/ls/ls-output.js';
import { walkGuest } from '../../tools/diff/diff-walk.js';
import { OperationSelection } from '../../src/sysprep/operation-set.js';
import { performOnFilesystems } from '../../src/sysprep/run.js';
import { fileLine } from '../../tools/diff/diff-output.js';

/** A fixture guest of the matrix. */
export interface MatrixGuest {
  /** File in fixtures/out. */
  image: string;
  /** Whether the wasm backend serves every filesystem of it (else the matrix checks its refusal). */
  wasm: boolean;
  /** For a guest the wasm backend does not serve: a device it must refuse to mount. */
  refusedDevice?: string;
  /** What auto must say it chose, and why (a fragment of the -v reason). */
  auto: { backend: 'wasm' | 'appliance'; reason: RegExp };
  /** How to mount it: inspection (an OS), or these devices. */
  mounts: 'inspect' | [device: string, mountpoint: string][];
  /** Files for cat. */
  cat: string[];
  /** Directory for ls -lR (and, with checksums, for ls -lR --checksum). */
  ls: string;
  lsChecksum: string;
  /** A fish script (read-only commands) run on the mounted guest. */
  fish: string;
  /** A file customize --write creates. */
  customizeFile: string;
  /** Goldens from the real libguestfs tools (test/golden/NAME.out) for tools whose output here matches their run. */
  goldens?: Partial<Record<string, string>>;
  /** Tools left out for this guest, each with why. */
  skip?: Partial<Record<string, string>>;
}

export interface MatrixContext {
  g: Guestfs;
  guest: MatrixGuest;
  /** Inspection's facts, once mounted by inspection. */
  facts?: OsFacts;
}

export interface MatrixTool {
  name: string;
  /** 'bare': before anything is mounted (df, inspect mount what they need themselves); 'mounted': after. */
  phase: 'bare' | 'mounted';
  run(ctx: MatrixContext): Promise<string>;
}

/** Files the sysprep tool seeds before running the default operations; which of them survive is its output. */
const SYSPREP_SEEDS = ['/var/spool/mail/matrix', '/etc/matrix.bak', '/var/log/matrix.log', '/tmp/matrix/x', '/etc/ssh/ssh_host_matrix_key', '/etc/matrix-kept'];

const lsFormat = (checksum: boolean): LsFormat => ({
  csv: false, human: false, uids: false, times: false, extraStats: false, checksum, now: 0,
});

async function lsLR(g: Guestfs, dir: string, checksum?: string): Promise<string> {
  let out = '';
  await walkTree(g, dir, checksum, (r) => { out += formatRecord(r, lsFormat(!!checksum)); });
  return out;
}

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(Buffer.from(c)));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

export const MATRIX_TOOLS: MatrixTool[] = [
  {
    name: 'df',
    phase: 'bare',
    run: async ({ g, guest }) => {
      const f = { csv: false, human: false, inodes: false };
      const rows = await dfRows(g, () => undefined);
      return dfTitle(f) + rows.map((r) => dfLine(displayName([guest.image]), r, f)).join('');
    },
  },
  {
    // virt-filesystems --all --long --uuid: every row and column (sizes need no mounts of ours).
    name: 'filesystems',
    phase: 'bare',
    run: async ({ g }) => {
      const sel = { filesystems: true, extra: true, lvs: true, vgs: true, pvs: true, partitions: true, blockDevices: true };
      const cols = { long: true, vfs: true, mbr: true, uuid: true };
      return formatRows(await computeRows(g, sel, cols), { ...cols, csv: false, human: false, title: true });
    },
  },
  {
    name: 'inspect',
    phase: 'bare',
    run: async ({ g }) => inspectionXml(await computeInspection(g, { applications: true })),
  },
  {
    name: 'cat',
    phase: 'mounted',
    run: async ({ g, guest }) => {
      let out = '';
      for (const f of guest.cat) out += Buffer.from(await g.readFile(f)).toString('utf8');
      return out;
    },
  },
  { name: 'ls -lR', phase: 'mounted', run: ({ g, guest }) => lsLR(g, guest.ls) },
  { name: 'ls -lR --checksum', phase: 'mounted', run: ({ g, guest }) => lsLR(g, guest.lsChecksum, 'md5') },
  {
    name: 'diff',
    phase: 'mounted',
    // One side of virt-diff: every file with what it compares (times flattened as virt-diff does).
    run: async ({ g }) => {
      const files = await walkGuest(g, { atime: false, dirLinks: false, dirTimes: false, xattrs: false, checksum: 'md5' });
      const f = { csv: false, human: false, uids: true, times: false as const, atime: false, extraStats: false, xattrs: false, now: 0 };
      return files.map((x) => `${fileLine('=', x, f)} ${x.csum ?? ''}`).join('\n');
    },
  },
  {
    name: 'fish',
    phase: 'mounted',
    run: async ({ g, guest }) => {
      const out = capture(), err = capture();
      g.stdout = out.stream;
      const status = await new FishShell(g, { out: out.stream, err: err.stream }).runScript(guest.fish);
      await new Promise((r) => setImmediate(r));
      return `${out.text()}${err.text()}status ${status}\n`;
    },
  },
  {
    // Last: it writes (to the drives' throw-away overlays, as --dry-run does).
    name: 'customize',
    phase: 'mounted',
    run: async ({ g, guest, facts }) => {
      const parsed = emptyParsedOps();
      applyOption(parsed, 'mkdir', '/guestkit-matrix');
      applyOption(parsed, 'write', `${guest.customizeFile}:written by the matrix`);
      applyOption(parsed, 'chmod', `0600:${guest.customizeFile}`);
      const quiet = () => undefined;
      await runCustomize({ g, facts: facts!, message: quiet, warning: quiet, info: quiet }, parsed);
      const st = (await g.lstatns(guest.customizeFile)) as Record<string, number>;
      return `${(st.st_mode! & 0o7777).toString(8)} ${Buffer.from(await g.readFile(guest.customizeFile)).toString('utf8')}\n${(await g.ls('/guestkit-matrix')).join(' ')}\n`;
    },
  },
  {
    // After customize (it writes too, into the same throw-away overlays): sysprep's default filesystem
    // operations but customize (random seed and machine id are random), on a few seeded files.
    name: 'sysprep',
    phase: 'mounted',
    run: async ({ g, facts }) => {
      for (const p of SYSPREP_SEEDS) {
        await g.mkdirP(p.slice(0, p.lastIndexOf('/')) || '/');
        await g.write(p, 'seed');
      }
      const lines: string[] = [];
      const note = (t: string) => { lines.push(t); };
      const ops = new OperationSelection().selected().filter((op) => op.name !== 'customize');
      const settings = { customize: emptyParsedOps(), users: { remove: new Set<string>(), keep: new Set<string>() }, scripts: [] };
      await performOnFilesystems({ g, facts: facts!, message: note, warning: note, info: note, output: note, effects: { updateSystemCaStore: false }, settings }, ops);
      for (const p of SYSPREP_SEEDS) lines.push(`${p}: ${(await g.exists(p)) ? 'kept' : 'removed'}`);
      return `${lines.join('\n')}\n`;
    },
  },
];
