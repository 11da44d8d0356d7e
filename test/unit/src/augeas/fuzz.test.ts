/**
 * augeas in WASM on hostile guest configuration files: fstab, hosts, passwd,
 * group, sshd_config, an ifcfg file, os-release, grub's defaults and a yum
 * repo, mutated (ranges deleted or duplicated, syntax tokens inserted, bytes
 * replaced, invalid UTF-8, long lines), then loaded, walked (match and get on
 * every node), edited and saved in noop mode. A file augeas cannot parse is
 * an /augeas//error entry, not an exception; anything thrown must be typed
 * (AugeasError/GuestkitError). A wasm abort marks the module dead; it is
 * counted and a fresh module loaded.
 *
 * Seed: AUGEAS_FUZZ_SEED (default below); iterations: AUGEAS_FUZZ_ITERS or FUZZ_ITERS.
 */
import { describe, expect, it } from 'vitest';
import { AUG_NO_MODL_AUTOLOAD, AUG_SAVE_NOOP, loadAugeas, type Augeas } from '../../../../src/augeas/augeas.js';
import { GuestkitError } from '../../../../src/errors/index.js';
import { fuzzIterations, fuzzTimeout, makeBreather, seededRandom, FUZZ_HANG_MS } from '../../../helpers/fuzz-walk.js';

const SEED = Number(process.env.AUGEAS_FUZZ_SEED ?? 0xa06);
const ITERS = fuzzIterations('AUGEAS_FUZZ_ITERS', 1000);
const MAX_NODES = 400;

/** Each file and the lens that reads it. */
const FILES: Record<string, { lens: string; text: string }> = {
  '/etc/fstab': { lens: 'Fstab', text: 'UUID=8a1c2f0e-1b7e-4a2b-9d8e-3f2a1b0c9d8e / ext4 errors=remount-ro 0 1\n/dev/mapper/vg-swap none swap sw 0 0\ntmpfs /tmp tmpfs defaults,nosuid,size=512m 0 0\n' },
  '/etc/hosts': { lens: 'Hosts', text: '127.0.0.1\tlocalhost\n127.0.1.1\tdeb12.example.com deb12\n::1 localhost ip6-localhost\n' },
  '/etc/passwd': { lens: 'Passwd', text: 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n+@netgroup::::::\n' },
  '/etc/group': { lens: 'Group', text: 'root:x:0:\nwheel:x:10:alice,bob\nusers:x:100:\n' },
  '/etc/ssh/sshd_config': { lens: 'Sshd', text: 'Port 22\nPermitRootLogin no\nAcceptEnv LANG LC_*\nSubsystem\tsftp\t/usr/lib/openssh/sftp-server\nMatch User anoncvs\n\tX11Forwarding no\n' },
  '/etc/sysconfig/network-scripts/ifcfg-eth0': { lens: 'Shellvars', text: 'DEVICE=eth0\nBOOTPROTO=dhcp\nHWADDR="52:54:00:12:34:56"\n# comment\nARR=(a b "c d")\n' },
  '/etc/os-release': { lens: 'Shellvars', text: 'NAME="Fedora Linux"\nVERSION_ID=39\nID=fedora\nPRETTY_NAME="Fedora Linux 39"\n' },
  '/etc/default/grub': { lens: 'Shellvars', text: 'GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX="rd.lvm.lv=fedora/root rhgb quiet"\nGRUB_DISABLE_RECOVERY="true"\n' },
  '/etc/yum.repos.d/fedora.repo': { lens: 'Yum', text: '[fedora]\nname=Fedora $releasever - $basearch\nmetalink=https://mirrors.fedoraproject.org/metalink?repo=fedora-$releasever\nenabled=1\ngpgcheck=1\n' },
};

const TOKENS = ['"', "'", '=', ':', '#', '\\', '\n', '\t', '\0', ' ', '[', ']', '(', ')', '{', '}', ',', ';', '$', '*', 'Match ', 'UUID=', '\xff\xfe', '\u00e9', 'x'.repeat(5000)];

function mutateText(text: string, r: () => number): string {
  let t = text;
  const pick = (n: number) => Math.floor(r() * n);
  const n = 1 + pick(4);
  for (let i = 0; i < n; i++) {
    const at = pick(t.length + 1);
    const kind = pick(5);
    if (kind === 0) t = t.slice(0, at) + t.slice(at + 1 + pick(20));
    else if (kind === 1) t = t.slice(0, at) + TOKENS[pick(TOKENS.length)] + t.slice(at);
    else if (kind === 2) {
      const from = pick(t.length);
      t = t.slice(0, at) + t.slice(from, from + pick(80)) + t.slice(at);
    } else if (kind === 3) t = t.slice(0, at) + String.fromCharCode(pick(256)) + t.slice(at + 1);
    else t = t.slice(0, at); // cut short (no final newline)
  }
  return t;
}

async function freshAugeas(): Promise<Augeas> {
  const aug = await loadAugeas();
  for (const [p, f] of Object.entries(FILES)) aug.putFile(p, f.text);
  aug.init('/', AUG_NO_MODL_AUTOLOAD | AUG_SAVE_NOOP);
  for (const [p, f] of Object.entries(FILES)) aug.transform(f.lens, p);
  aug.load();
  return aug;
}

/** match and get on every node under /files (bounded). */
function walk(aug: Augeas): number {
  let nodes = 0;
  const queue = ['/files'];
  while (queue.length && nodes < MAX_NODES) {
    const p = queue.shift()!;
    for (const c of aug.match(`${p}/*`)) {
      if (++nodes > MAX_NODES) break;
      aug.get(c);
      queue.push(c.replace(/[[\]]/g, (m) => `\\${m}`));
    }
  }
  return nodes;
}

describe('augeas fuzz', () => {
  it(`survives ${ITERS} mutated configuration files with only typed errors`, async () => {
    let aug = await freshAugeas();
    expect(aug.errorDetails().map((e) => e.summary)).toEqual([]);
    expect(walk(aug)).toBeGreaterThan(40);

    const r = seededRandom(SEED);
    const names = Object.keys(FILES);
    const codes = new Map<string, number>();
    let parseErrors = 0, aborts = 0, slowest = 0, nodes = 0;
    const breathe = makeBreather();
    for (let iter = 0; iter < ITERS; iter++) {
      await breathe();
      const t0 = performance.now();
      const file = names[Math.floor(r() * names.length)]!;
      const text = mutateText(FILES[file]!.text, r);
      const where = `seed ${SEED} iteration ${iter} (${file}: ${JSON.stringify(text.slice(0, 120))})`;
      try {
        aug.putFile(file, text);
        aug.loadFile(file);
        parseErrors += aug.errorDetails().length;
        nodes += walk(aug);
        aug.set(`/files${file}/fuzzed`, 'value with "quotes" and = signs');
        aug.save();
      } catch (e) {
        if (aug.dead) {
          aborts++;
          aug = await freshAugeas();
        } else if (e instanceof GuestkitError) {
          expect(e.message, where).not.toContain('\n');
          codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
        } else {
          throw new Error(`${where}: untyped error ${String(e)}\n${(e as Error)?.stack}`, { cause: e });
        }
      } finally {
        // Back to the good file for the next iteration.
        try {
          aug.putFile(file, FILES[file]!.text);
          aug.loadFile(file);
        } catch (e) {
          if (!aug.dead) throw e;
          aborts++;
          aug = await freshAugeas();
        }
      }
      slowest = Math.max(slowest, performance.now() - t0);
    }
    aug.close();
    console.log(`augeas fuzz: seed ${SEED}, ${ITERS} iterations, ${nodes} nodes walked, ${parseErrors} parse errors reported, typed errors ${JSON.stringify(Object.fromEntries(codes))}, aborts ${aborts} (slowest ${slowest.toFixed(0)} ms)`);
    // No hang: each load, walk and save ends well within this budget.
    expect(slowest).toBeLessThan(FUZZ_HANG_MS);
    expect(parseErrors).toBeGreaterThan(ITERS / 20);
  }, fuzzTimeout(ITERS, 100));
});
