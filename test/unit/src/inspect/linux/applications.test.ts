/** Package databases → Application2 lists, filled and sorted as libguestfs does; corrupt input degrades. */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FEDORA_PACKAGES, packageHeader, rpmdbSqlite, rpmHeaderBlob } from '../../../../../fixtures/rpmdb.js';
import { dirReader, makeTree, type TreeEntry } from '../../../../helpers/dir-reader.js';
import { scratch } from '../../../../helpers/fixtures.js';
import { unknownFacts, type OsFacts } from '../../../../../src/inspect/types.js';
import { parseApkInstalled } from '../../../../../src/inspect/linux/apk.js';
import { listLinuxApplications } from '../../../../../src/inspect/linux/applications.js';
import { parseDpkgStatus, splitDebVersion } from '../../../../../src/inspect/linux/dpkg.js';
import { parsePacmanDesc } from '../../../../../src/inspect/linux/pacman.js';
import { parseRpmHeader, RPMTAG } from '../../../../../src/inspect/linux/rpm-header.js';
import { rpmPackageOf } from '../../../../../src/inspect/linux/rpmdb.js';

let tmp: ReturnType<typeof scratch> | undefined;
afterEach(() => tmp?.cleanup());

const facts = (packageFormat: string): OsFacts => ({ ...unknownFacts('/dev/sda1'), type: 'linux', packageFormat });

async function list(packageFormat: string, files: Record<string, TreeEntry>) {
  tmp = scratch();
  makeTree(tmp.dir, files);
  const warnings: string[] = [];
  const apps = await listLinuxApplications(dirReader(tmp.dir, warnings), facts(packageFormat));
  return { apps, warnings };
}
const brief = (apps: { app2_name: string; app2_epoch: number; app2_version: string; app2_release: string; app2_arch: string }[]) =>
  apps.map((a) => `${a.app2_name} ${a.app2_epoch}:${a.app2_version}-${a.app2_release}.${a.app2_arch}`);

describe('dpkg status', () => {
  const status = `Package: zlib1g
Status: install ok installed
Architecture: amd64
Source: zlib (1:1.2.13.dfsg-1)
Version: 1:1.2.13.dfsg-1
Description: compression library - runtime
 zlib is a library implementing the deflate compression method found
 .
 in gzip and PKZIP.
Homepage: http://zlib.net/

Package: old-kernel
Status: deinstall ok config-files
Architecture: amd64
Version: 6.1.55-1
Description: gone

Package: adduser
Status: install ok installed
Architecture: all
Version: 3.134
Description: add and remove users and groups

Package: bad-epoch
Status: install ok installed
Version: x:1.0-1

Package: tail-without-blank
Status: hold ok installed
Architecture: amd64
Version: 2.0-1-2`;

  it('lists installed packages with epoch, version, release, source, summary and description', () => {
    const apps = parseDpkgStatus(status);
    expect(brief(apps)).toEqual(['zlib1g 1:1.2.13.dfsg-1.amd64', 'adduser 0:3.134-.all', 'tail-without-blank 0:2.0-1-2.amd64']);
    expect(apps[0]).toMatchObject({
      app2_source_package: 'zlib', app2_url: 'http://zlib.net/', app2_summary: 'compression library - runtime',
      app2_description: 'zlib is a library implementing the deflate compression method found\n.\nin gzip and PKZIP.',
    });
  });
  it('splits versions at the first colon and the first dash after it, as libguestfs does', () => {
    expect(splitDebVersion('2:1.0~rc1-3+b1')).toEqual({ epoch: 2, version: '1.0~rc1', release: '3+b1' });
    expect(splitDebVersion('1.0-2-3')).toEqual({ epoch: 0, version: '1.0', release: '2-3' });
    expect(splitDebVersion('x:1')).toEqual({ epoch: -1, version: '1', release: '' });
  });
  it('reads the status file from the guest and sorts by name', async () => {
    const { apps } = await list('deb', { 'var/lib/dpkg/status': `${status}\n\n` });
    expect(apps.map((a) => a.app2_name)).toEqual(['adduser', 'tail-without-blank', 'zlib1g']);
  });
  it('gives an empty list and a warning when the status file is missing', async () => {
    const { apps, warnings } = await list('deb', { 'etc/hosts': '' });
    expect(apps).toEqual([]);
    expect(warnings).toEqual(['/var/lib/dpkg/status: missing or too large: no applications listed']);
  });
});

describe('apk installed db', () => {
  it('reads P/V/A/T/U, dropping the r of the release', () => {
    const apps = parseApkInstalled('C:Q1abc=\nP:musl\nV:1.2.4_git20230717-r4\nA:x86_64\nT:the musl c library\nU:https://musl.libc.org/\no:musl\n\nP:noversion\nA:x86_64\n\nP:epoch\nV:2:1.0-r0\nA:noarch\n');
    expect(brief(apps)).toEqual(['musl 0:1.2.4_git20230717-4.x86_64', 'epoch 2:1.0-0.noarch']);
    expect(apps[0]).toMatchObject({ app2_description: 'the musl c library', app2_url: 'https://musl.libc.org/', app2_summary: '', app2_source_package: '' });
  });
});

describe('pacman local db', () => {
  const desc = (name: string, version: string) => `%NAME%\n${name}\n\n%VERSION%\n${version}\n\n%BASE%\n${name}\n\n%DESC%\nThe ${name} package\n\n%URL%\nhttps://example.org/${name}\n\n%ARCH%\nx86_64\n\n%BUILDDATE%\n1700000000\n`;
  it('reads one desc file', () => {
    expect(parsePacmanDesc(desc('bash', '5.2.026-2'))).toMatchObject({
      app2_name: 'bash', app2_epoch: 0, app2_version: '5.2.026', app2_release: '2', app2_arch: 'x86_64',
      app2_url: 'https://example.org/bash', app2_description: 'The bash package', app2_summary: '',
    });
    expect(parsePacmanDesc(desc('e', '1:2.0-3'))).toMatchObject({ app2_epoch: 1, app2_version: '2.0', app2_release: '3' });
    expect(parsePacmanDesc(desc('norel', '2.0'))).toBeUndefined();
    expect(parsePacmanDesc('%NAME%\nx\n')).toBeUndefined();
  });
  it('lists every package directory of the guest, skipping broken ones with a warning', async () => {
    const { apps, warnings } = await list('pacman', {
      'var/lib/pacman/local/ALPM_DB_VERSION': '9\n',
      'var/lib/pacman/local/zstd-1.5.5-1/desc': desc('zstd', '1.5.5-1'),
      'var/lib/pacman/local/bash-5.2.026-2/desc': desc('bash', '5.2.026-2'),
      'var/lib/pacman/local/broken-1-1/files': '%FILES%\n',
      'var/lib/pacman/local/huge-1-1/desc': `${desc('huge', '1-1')}${'x'.repeat(9000)}`,
    });
    expect(brief(apps)).toEqual(['bash 0:5.2.026-2.x86_64', 'zstd 0:1.5.5-1.x86_64']);
    expect(warnings).toHaveLength(2);
  });
});

describe('rpm database', () => {
  it('decodes a header blob, with "(none)" for absent string tags', () => {
    const p = rpmPackageOf(packageHeader({ name: 'gpg-pubkey', version: 'a15b79cc', release: '63d04c2c', summary: 'key', description: 'k' }));
    expect(p).toEqual({ name: 'gpg-pubkey', epoch: 0, version: 'a15b79cc', release: '63d04c2c', arch: '(none)', summary: 'key', description: 'k', url: '(none)', vendor: '(none)', sourceRpm: '(none)' });
    const tags = parseRpmHeader(packageHeader(FEDORA_PACKAGES[3]));
    expect(tags.get(RPMTAG.EPOCH)).toEqual([2]);
    expect(tags.get(RPMTAG.SOURCERPM)).toEqual(['shadow-utils-4.15.1-2.fc40.src.rpm']);
  });
  it('rejects corrupt header blobs with a RangeError', () => {
    const good = packageHeader(FEDORA_PACKAGES[0]);
    expect(() => parseRpmHeader(good.subarray(0, 40))).toThrow(RangeError);
    const badOffset = new Uint8Array(good);
    new DataView(badOffset.buffer).setInt32(8 + 16 + 8, 0x7fffff00); // second entry's offset
    expect(() => parseRpmHeader(badOffset)).toThrow(RangeError);
    // One STRING entry whose data ("abc") has no terminating NUL before the end of the data store.
    const unterminated = new Uint8Array([0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 3, 232, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 1, 97, 98, 99]);
    expect(() => parseRpmHeader(unterminated)).toThrow(/unterminated string/);
    const unknownType = rpmHeaderBlob([{ tag: 1000, type: 6, value: 'a' }]);
    unknownType[8 + 16 + 7] = 42; // the NAME entry's type
    expect(() => parseRpmHeader(unknownType)).toThrow(/unknown type 42/);
  });

  it('lists rpmdb.sqlite (found through the /var/lib/rpm symlink) sorted by name, duplicates newest first', async () => {
    const db = await rpmdbSqlite(FEDORA_PACKAGES.map(packageHeader));
    const { apps, warnings } = await list('rpm', { 'usr/share/rpm/rpmdb.sqlite': db, 'var/lib/rpm': { symlink: '/usr/share/rpm' } });
    expect(warnings).toEqual([]);
    expect(brief(apps)).toEqual([
      'bash 0:5.2.26-3.fc40.x86_64', 'dnf 0:4.19.2-1.fc40.noarch', 'fedora-release 0:40-39.noarch',
      'gpg-pubkey 0:a15b79cc-63d04c2c.(none)', 'kernel-core 0:6.8.9-300.fc40.x86_64', 'kernel-core 0:6.8.5-301.fc40.x86_64',
      'shadow-utils 2:4.15.1-2.fc40.x86_64',
    ]);
    expect(apps[0]).toMatchObject({ app2_summary: 'The GNU Bourne Again shell', app2_url: 'https://www.gnu.org/software/bash', app2_publisher: '', app2_source_package: '' });
  });

  it('reads a database left in WAL mode (as rpm leaves it) once checkpointed', async () => {
    tmp = scratch();
    const file = join(tmp.dir, 'wal.sqlite');
    execFileSync('sqlite3', [file, "PRAGMA journal_mode=WAL; CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL); INSERT INTO Packages VALUES (1, X'" + Buffer.from(packageHeader(FEDORA_PACKAGES[1])).toString('hex') + "');"]);
    const bytes = readFileSync(file);
    expect([bytes[18], bytes[19]]).toEqual([2, 2]);
    const root = join(tmp.dir, 'root');
    makeTree(root, { 'usr/lib/sysimage/rpm/rpmdb.sqlite': bytes });
    const warnings: string[] = [];
    const apps = await listLinuxApplications(dirReader(root, warnings), facts('rpm'));
    expect(brief(apps)).toEqual(['bash 0:5.2.26-3.fc40.x86_64']);
  });

  it('skips a corrupt header, and gives [] with a warning for a corrupt or missing or Berkeley DB database', async () => {
    const db = await rpmdbSqlite([packageHeader(FEDORA_PACKAGES[1]), new Uint8Array([0, 0, 0, 9, 0, 0, 0, 0])]);
    let r = await list('rpm', { 'var/lib/rpm/rpmdb.sqlite': db });
    expect(brief(r.apps)).toEqual(['bash 0:5.2.26-3.fc40.x86_64']);
    expect(r.warnings.join('\n')).toMatch(/package header 2 is corrupt/);
    tmp?.cleanup();
    r = await list('rpm', { 'var/lib/rpm/rpmdb.sqlite': 'SQLite format 3\u0000 but then nothing sensible at all, just text padding '.repeat(50) });
    expect(r.apps).toEqual([]);
    expect(r.warnings.join('\n')).toMatch(/rpmdb\.sqlite: cannot read the database/);
    tmp?.cleanup();
    r = await list('rpm', { 'var/lib/rpm/Packages': 'bdb' });
    expect(r.apps).toEqual([]);
    expect(r.warnings).toEqual(['/var/lib/rpm/Packages: this rpm database format is not supported (only rpmdb.sqlite): no applications listed']);
    tmp?.cleanup();
    r = await list('rpm', { 'etc/hosts': '' });
    expect(r.warnings).toEqual(['no rpm database found: no applications listed']);
  });
});

it('lists nothing for other OS types and unknown package formats', async () => {
  expect((await list('ebuild', { 'etc/hosts': '' })).apps).toEqual([]);
  tmp?.cleanup();
  tmp = scratch();
  expect(await listLinuxApplications(dirReader(tmp.dir), { ...facts('deb'), type: 'windows' })).toEqual([]);
});
