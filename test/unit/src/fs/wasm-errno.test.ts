/**
 * The one errno table of the WASM filesystem modules (wasm/common-errno.h) and
 * the TypeScript code list agree: every name either glue.c can return is a code
 * a GuestkitError can carry, so none falls back to EIO on its way to JS.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isGuestkitCode } from '../../../../src/errors/index.js';
import { ROOT } from '../../../helpers/fixtures.js';

const read = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');

describe('the WASM modules\' errno names', () => {
  const header = read('wasm/common-errno.h');
  const list = /#define GK_ERRNO_NAMES\(X\)((?:.*\\\n)*.*)/.exec(header)?.[1] ?? '';
  const names = [...list.matchAll(/X\((E[A-Z0-9]+)\)/g)].map((m) => m[1]!);

  it('common-errno.h lists the errno names once each', () => {
    expect(names.length).toBeGreaterThan(25);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain('ENOSPC');
    expect(names).toContain('EROFS');
  });

  it('every name in common-errno.h is a listed GuestkitCode', () => {
    expect(names.filter((n) => !isGuestkitCode(n))).toEqual([]);
  });

  for (const glue of ['wasm/ext2fs/glue.c', 'wasm/ntfs/glue.c']) {
    it(`${glue} uses the shared table and returns only listed codes of its own`, () => {
      const c = read(glue);
      expect(c).toContain('#include "../common-errno.h"');
      expect(c).toContain('gk_errno_name(code)');
      const body = /gk_err_name\([^)]*\)\s*\{([\s\S]*?)\n\}/.exec(c)?.[1] ?? '';
      const own = [...body.matchAll(/return "(E[A-Z0-9]+)";/g)].map((m) => m[1]!);
      expect(own.length).toBeGreaterThan(0);
      expect(own.filter((n) => !isGuestkitCode(n))).toEqual([]);
      // No errno case of its own beside the shared table: the list lives in one place.
      expect(body).not.toMatch(/case E[A-Z0-9]+: return "E/);
    });
  }
});
