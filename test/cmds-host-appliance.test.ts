/**
 * The file-reading and umask commands of issue #10 on one appliance boot, against
 * what guestfish 1.48 printed for the same script (test/golden/cmds-host/): file(1)
 * in the appliance describes ELF and PE binaries and looks inside compressed files,
 * file-architecture reads them, the umask set by one request holds for the next, and
 * inotify's watches (one inotifywait each) report what guestfish's did.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { haveQemu } from './helpers/backends.js';
import { writeFileCorpus } from './helpers/file-corpus.js';
import { runFish } from './helpers/fish-run.js';
import { fixture, scratch } from './helpers/fixtures.js';

const GOLDEN = join(__dirname, 'golden', 'cmds-host');
const golden = (name: string) => readFileSync(join(GOLDEN, name), 'utf8');
const between = (s: string, from: string, to: string) => s.slice(s.indexOf(from), s.indexOf(to));

describe.skipIf(!haveQemu)('file, file-architecture, umask and inotify on the appliance', () => {
  const tmp = scratch();
  afterAll(() => tmp.cleanup());

  it('one boot: file and file-architecture on the corpus, umask on new files, glob-expand, inotify', async () => {
    const disk = join(tmp.dir, 'a.img');
    copyFileSync(fixture('extra.img'), disk);
    const corpus = join(tmp.dir, 'corpus');
    writeFileCorpus(corpus);
    const fileScript = golden('file.gf');
    const umaskScript = golden('umask-glob.gf');
    // Then guestfish's inotify script, on the same mounted filesystem (its run and mount left out).
    const inotifyScript = golden('inotify.gf').replace(/^run\nmount \/dev\/sda \/\n/, '');
    // The corpus goes in with one tar-in rather than guestfish's 25 uploads (one round trip, same files).
    const tar = join(tmp.dir, 'corpus.tar');
    execFileSync('tar', ['-C', corpus, '-cf', tar, '.']);
    // And debug's print and sh, as guestfish printed them (debug.gf: "ok", "hi").
    const debugScript = 'echo DEBUG\ndebug print "a b"\ndebug sh "echo hi"\n-debug nosuch ""\n';
    const script = (fileScript.slice(0, fileScript.indexOf('echo UMASK')) + between(umaskScript, 'echo UMASK', 'echo SUPPORTED') + inotifyScript + debugScript)
      .replace(/^upload corpus\/\S+ \/c\/\S+\n/gm, (l, off: number, all: string) => (all.indexOf('upload corpus/') === off ? `tar-in ${tar} /c\n` : ''))
      .replace(/upload corpus\//g, `upload ${corpus}/`);
    const r = await runFish('appliance', `add-drive ${disk} format:raw\n${script}`);
    const dates = (s: string) => s.replace(/ [A-Z][a-z]{2} [ \d]\d \d\d:\d\d /g, ' DATE ');
    const want = golden('file.out').slice(0, golden('file.out').indexOf('UMASK')) + between(golden('umask-glob.out'), 'UMASK', 'SUPPORTED') + golden('inotify.out') + 'DEBUG\nok\nhi\n';
    expect(dates(r.out)).toBe(dates(want));
    for (const l of [...golden('file.err').split('\n'), ...golden('umask-glob.err').split('\n'), ...golden('inotify.err').split('\n'), ...golden('debug.err').split('\n')].filter((x) => x.includes('libguestfs: error:') && !x.includes('glob_expand_stub'))) {
      expect(r.err).toContain(l.replace(/^\*stdin\*:\d+: libguestfs: error: (\w+): /, (_, c: string) => `guestkit: error: ${c.replace(/_/g, '-')}: `));
    }
  }, 120_000);
});
