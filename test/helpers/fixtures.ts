/** Paths of the fixture images and helpers for temporary copies. */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const FIXTURES = join(ROOT, 'fixtures', 'out');
export const GOLDEN = join(ROOT, 'test', 'golden');
export const fixture = (name: string) => join(FIXTURES, name);

export function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** A scratch directory removed by the returned cleanup. */
export function scratch(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'guestkit-test-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A writable copy of a fixture in DIR. */
export function copyFixture(name: string, dir: string): string {
  const dest = join(dir, name);
  copyFileSync(fixture(name), dest);
  return dest;
}

/** e2fsck -fn on an image, or on the partition at a byte offset of it: exit status and output. */
export function e2fsck(image: string, offset = 0): { status: number; output: string } {
  const target = offset ? `${image}?offset=${offset}` : image;
  try {
    const output = execFileSync('e2fsck', ['-fn', target], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { status: 0, output };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { status: err.status, output: `${err.stdout}${err.stderr}` };
  }
}
