/**
 * The one interface every block source implements: raw files, the NBD client,
 * partition slices and copy-on-write overlays. Offsets and lengths are bytes.
 * All methods are async because the sources behind them (sockets, files) are.
 */
export interface Extent {
  /** Byte offset of the extent. */
  offset: number;
  /** Length in bytes. */
  length: number;
  /** True when the range reads as zeroes (a hole or a zeroed area). */
  zero: boolean;
  /** True when no storage is allocated for the range. */
  hole: boolean;
}

export interface BlockDevice {
  /** Human name for error messages, e.g. the file path or NBD URI. */
  readonly name: string;
  /** Size in bytes. */
  readonly size: number;
  /** True when writes are refused. */
  readonly readOnly: boolean;
  /** Reads exactly `length` bytes at `offset` (reads past the end fail). */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Reads into `into` (its whole length) at `offset`. */
  readInto(offset: number, into: Uint8Array): Promise<void>;
  write(offset: number, data: Uint8Array): Promise<void>;
  /** Makes the range read as zeroes; `trim` allows deallocation. */
  zero(offset: number, length: number, trim?: boolean): Promise<void>;
  flush(): Promise<void>;
  /** Allocation map of [offset, offset+length). Sources without one report a single allocated extent. */
  extents(offset: number, length: number): Promise<Extent[]>;
  close(): Promise<void>;
  /**
   * Optional fast paths for a server whose reads are page-cache hits (NBD serving): extents() and
   * readInto() answered on this thread without awaiting, or null / false when the answer needs more
   * (metadata not loaded yet, a backing file, decompression); the caller then uses the async method.
   */
  extentsIfReady?(offset: number, length: number): Extent[] | null;
  readIntoIfReady?(offset: number, into: Uint8Array): boolean;
}

/** read() by way of readInto(): a new buffer of `length` bytes, filled from `offset`. */
export async function readIntoNew(device: Pick<BlockDevice, 'readInto'>, offset: number, length: number): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  await device.readInto(offset, buf);
  return buf;
}
