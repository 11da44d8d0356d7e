/**
 * Writes Windows-like SOFTWARE and SYSTEM hives for test fixtures:
 *   node dist/src/hive/make-hives.js OUTDIR [--computer-name NAME] [--mbr-signature 0xHEX --partition-offset BYTES]
 * The timestamp is fixed, so the files are reproducible.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildWindowsSoftwareHive, buildWindowsSystemHive } from './fixtures.js';

export function makeHives(outDir: string, opts: { computerName?: string; mbrSignature?: number; partitionOffset?: number } = {}): string[] {
  const timestamp = new Date('2024-01-01T00:00:00Z');
  mkdirSync(outDir, { recursive: true });
  const software = join(outDir, 'SOFTWARE');
  const system = join(outDir, 'SYSTEM');
  writeFileSync(software, buildWindowsSoftwareHive({ timestamp }));
  writeFileSync(
    system,
    buildWindowsSystemHive({
      timestamp,
      computerName: opts.computerName,
      drives: opts.mbrSignature === undefined ? undefined : [{ letter: 'C', mbrSignature: opts.mbrSignature, partitionOffset: opts.partitionOffset }],
    }),
  );
  return [software, system];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const out = args[0];
  if (!out || out.startsWith('--')) {
    process.stderr.write('usage: make-hives OUTDIR [--computer-name NAME] [--mbr-signature 0xHEX --partition-offset BYTES]\n');
    process.exit(2);
  }
  const sig = opt('--mbr-signature');
  const off = opt('--partition-offset');
  for (const f of makeHives(out, {
    computerName: opt('--computer-name'),
    mbrSignature: sig === undefined ? undefined : Number(sig),
    partitionOffset: off === undefined ? undefined : Number(off),
  })) {
    process.stdout.write(`${f}\n`);
  }
}
