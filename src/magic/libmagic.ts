/**
 * file(1)'s answers for guest bytes, from libmagic compiled to WebAssembly (the
 * wasmagic package: file 5.46's code and magic database, BSD-2-Clause), so guest
 * data is parsed in WASM and never by a host program. Checked against Debian 12's
 * `file -zb` 5.44 on a corpus of guest files (test/cmds-host.test.ts): text, scripts,
 * markup, images, archives and data agree. Two kinds do not, and are refused here
 * so that the caller can send them to the appliance's file(1):
 *  - ELF objects: libmagic reads their program and section headers through a file
 *    descriptor, which a buffer does not have (the interpreter, BuildID, "stripped"
 *    would be missing);
 *  - compressed data: `-z` looks inside by running the decompressor, which the
 *    WebAssembly build cannot do;
 *  - DOS/Windows executables ("MZ"): 5.46's database words PE images otherwise
 *    ("PE32 executable for Unknown subsystem 0, Intel i386" where 5.44 says
 *    "PE32 executable (Control Panel Item) Intel 80386, for MS Windows").
 */
import type { WASMagic } from 'wasmagic';

/** libmagic's FILE_BYTES_MAX: it never looks further into a file. */
export const MAGIC_BYTES_MAX = 7 * 1024 * 1024;

let instances: Promise<{ plain: WASMagic; compress: WASMagic }> | undefined;

function load(): Promise<{ plain: WASMagic; compress: WASMagic }> {
  instances ??= (async () => {
    const { WASMagic, WASMagicFlags } = await import('wasmagic');
    const [plain, compress] = await Promise.all([
      WASMagic.create({ flags: WASMagicFlags.NONE }),
      WASMagic.create({ flags: WASMagicFlags.COMPRESS }),
    ]);
    return { plain, compress };
  })();
  return instances;
}

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];
const startsWith = (bytes: Uint8Array, magic: number[]) => magic.every((b, i) => bytes[i] === b);

/** True when the first bytes already show a kind describeBytes refuses (ELF, DOS/PE), so a caller need not read more. */
export function refusedByHead(head: Uint8Array): boolean {
  return startsWith(head, ELF_MAGIC) || startsWith(head, [0x4d, 0x5a]);
}

/**
 * What `file -zb` says about these bytes (the first MAGIC_BYTES_MAX of the file),
 * or undefined for the kinds the WebAssembly build cannot describe as file(1) does.
 */
export async function describeBytes(bytes: Uint8Array): Promise<string | undefined> {
  if (refusedByHead(bytes)) return undefined;
  const { plain, compress } = await load();
  const answer = plain.detect(bytes);
  // -z changes the answer only for compressed data, and then needs a decompressor process.
  if (compress.detect(bytes) !== answer) return undefined;
  return answer;
}
