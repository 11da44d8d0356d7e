#!/usr/bin/env node
// Side by side: guestkit copy-out, tar-out, copy-in and edit (wasm backend, a cold
// process per run) against virt-copy-out, virt-tar-out, virt-copy-in and virt-edit
// on the same guest (fixtures/out/fedora.img; writers on scratch copies), alternating
// runs, medians. libguestfs runs with LIBGUESTFS_BACKEND=direct and force_tcg (this
// host's qemu aborts on /dev/kvm).
// Usage: npm run bench:image-tools  (BENCH_RUNS=N, default 3)
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { have, root, sideBySideTargets } from './common.js';

const guest = join(root, 'fixtures', 'out', 'fedora.img');
const work = mkdtempSync(join(tmpdir(), 'guestkit-bench-'));
const lgEnv = { LIBGUESTFS_BACKEND: 'direct', LIBGUESTFS_BACKEND_SETTINGS: 'force_tcg' };
const libguestfs = ['virt-copy-out', 'virt-tar-out', 'virt-copy-in', 'virt-edit'].every(have);

/** A fresh output directory or scratch image per run, so each run does the whole job. */
let n = 0;
const fresh = () => { const d = join(work, `r${n++}`); mkdirSync(d); return d; };
const scratchImage = () => { const d = fresh(); copyFileSync(guest, join(d, 'g.img')); return join(d, 'g.img'); };
const payload = join(work, 'payload');
mkdirSync(payload);
for (let i = 0; i < 200; i++) writeFileSync(join(payload, `f${i}`), `line ${i}\n`.repeat(50));

const cases = [
  ['copy-out /etc', (d) => ['copy-out', '-a', guest, '/etc', d], 'virt-copy-out', (d) => ['-a', guest, '/etc', d], fresh],
  ['tar-out / (to a file)', (d) => ['tar-out', '-a', guest, '/', join(d, 'a.tar')], 'virt-tar-out', (d) => ['-a', guest, '/', join(d, 'a.tar')], fresh],
  ['copy-in 200 files', (img) => ['copy-in', '-a', img, payload, '/root'], 'virt-copy-in', (img) => ['-a', img, payload, '/root'], scratchImage],
  ['edit -e /etc/hostname', (img) => ['edit', '-a', img, '/etc/hostname', '-e', 's/^/x/'], 'virt-edit', (img) => ['-a', img, '/etc/hostname', '-e', 's/^/x/'], scratchImage],
];

try {
  sideBySideTargets('guestkit image tools bench', cases, { peers: libguestfs, peerEnv: lgEnv });
} finally {
  rmSync(work, { recursive: true, force: true });
}
