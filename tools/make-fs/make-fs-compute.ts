/** make-fs's flags into the library's options (--floppy, --partition's default, -v, the backend). */
import { ErrnoError } from '../../src/errors/index.js';
import type { MakeFsOptions } from '../../src/imgtools/make-fs.js';
import { parseImageFormat } from '../../src/imgtools/output-image.js';

export interface MakeFsFlags {
  blocksize?: string;
  floppy?: boolean;
  format: string;
  label?: string;
  partition?: string | true;
  size?: string;
  type: string;
  quiet?: boolean;
  verbose?: boolean;
  debug?: boolean;
  x?: boolean;
  backend?: string;
}

function backendOf(flag: string | undefined): MakeFsOptions['backend'] {
  const b = flag ?? process.env.GUESTKIT_BACKEND ?? 'auto';
  if (b === 'auto' || b === 'wasm' || b === 'appliance') return b;
  throw new ErrnoError('EINVAL', `--backend=${b}: expected auto, wasm or appliance`);
}

export function makeFsOptions(input: string, output: string, f: MakeFsFlags): MakeFsOptions {
  let blocksize = 0;
  if (f.blocksize !== undefined) {
    if (!/^\d+$/.test(f.blocksize)) throw new ErrnoError('EINVAL', '--blocksize option is not numeric');
    blocksize = Number(f.blocksize);
  }
  const floppy = !!f.floppy;
  const verbose = f.verbose || f.debug ? (line: string) => process.stderr.write(`${line}\n`) : undefined;
  return {
    input,
    output,
    type: floppy ? 'vfat' : f.type,
    size: floppy ? '1440K' : f.size,
    format: parseImageFormat(f.format),
    partition: floppy ? 'mbr' : f.partition === true || f.partition === '' ? 'mbr' : f.partition,
    label: f.label,
    blocksize,
    backend: backendOf(f.backend),
    verbose,
  };
}
