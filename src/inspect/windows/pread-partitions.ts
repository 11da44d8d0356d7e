/**
 * A disk's partition table parsed from sectors read with pread-device, for
 * backends whose command table has no part-* commands: the same parser the
 * wasm backend uses (src/partition), over a read-only BlockDevice whose reads
 * are pread-device calls (each under the command's 4 MiB limit).
 */
import type { BlockDevice } from '../../block/block-device.js';
import { ErrnoError } from '../../errors/index.js';
import { readPartitionTable, type PartitionTable } from '../../partition/partition-table.js';
import type { CallFn } from '../guest-reader.js';

const CHUNK = 1024 * 1024;

export function preadBlockDevice(call: CallFn, device: string, size: number): BlockDevice {
  const read = async (offset: number, length: number): Promise<Uint8Array> => {
    if (offset < 0 || offset + length > size) throw new ErrnoError('EINVAL', `${device}: read of ${length} bytes at ${offset} is past the end`);
    const out = new Uint8Array(length);
    for (let done = 0; done < length; ) {
      const n = Math.min(CHUNK, length - done);
      const b = (await call('pread-device', [device, n, offset + done])) as Uint8Array;
      if (b.length !== n) throw new ErrnoError('EIO', `${device}: short read at ${offset + done}`);
      out.set(b, done);
      done += n;
    }
    return out;
  };
  const readOnly = (): never => {
    throw new ErrnoError('EROFS', `${device}: read-only`);
  };
  return {
    name: device,
    size,
    readOnly: true,
    read,
    readInto: async (offset, into) => into.set(await read(offset, into.length)),
    write: async () => readOnly(),
    zero: async () => readOnly(),
    flush: async () => undefined,
    extents: async (offset, length) => [{ offset, length, zero: false, hole: false }],
    close: async () => undefined,
  };
}

/** The partition table of a whole disk, or null when it has none. */
export async function readPartitionTableByPread(call: CallFn, device: string): Promise<PartitionTable | null> {
  const size = Number(await call('blockdev-getsize64', [device]));
  return readPartitionTable(preadBlockDevice(call, device, size));
}
