/**
 * Where an overlay keeps its dirty chunks: in memory up to a bound (256 MiB,
 * or GUESTKIT_OVERLAY_MEMORY_MIB), then in a temporary file that is unlinked
 * as soon as it is opened (so nothing is left behind, whatever happens to the
 * process). A chunk is its bytes, or null when it reads as zeroes (zeroes take
 * no space anywhere).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ErrnoError, codeOfError } from '../errors/index.js';
import { nodeCrypto } from '../util/lazy-builtins.js';

export type Chunk = Uint8Array | null;

const DEFAULT_MEMORY_LIMIT = 256 * 1024 * 1024;

function memoryLimitFromEnv(): number {
  const mib = Number(process.env.GUESTKIT_OVERLAY_MEMORY_MIB);
  return Number.isFinite(mib) && mib >= 0 && process.env.GUESTKIT_OVERLAY_MEMORY_MIB !== '' ? mib * 1024 * 1024 : DEFAULT_MEMORY_LIMIT;
}

export class ChunkStore {
  private readonly inMemory = new Map<number, Chunk>();
  /** Chunk index → its slot in the spill file and its length (the disk's last chunk may be short). */
  private readonly spilled = new Map<number, { slot: number; length: number }>();
  private readonly freeSlots: number[] = [];
  private nextSlot = 0;
  private fd: number | null = null;
  private memoryUsed = 0;

  constructor(
    private readonly chunkSize: number,
    private readonly memoryLimit = memoryLimitFromEnv(),
  ) {}

  get size(): number {
    return this.inMemory.size + this.spilled.size;
  }

  /** Bytes of chunk data held in memory. */
  get memoryBytes(): number {
    return this.memoryUsed;
  }

  /** Bytes of chunk data held in the spill file. */
  get spilledBytes(): number {
    return this.spilled.size * this.chunkSize;
  }

  has(index: number): boolean {
    return this.inMemory.has(index) || this.spilled.has(index);
  }

  /** undefined when clean, else whether the chunk reads as zeroes or holds data (without reading it). */
  state(index: number): 'zero' | 'data' | undefined {
    if (this.spilled.has(index)) return 'data';
    const c = this.inMemory.get(index);
    return c === undefined ? undefined : c === null ? 'zero' : 'data';
  }

  keys(): number[] {
    return [...this.inMemory.keys(), ...this.spilled.keys()];
  }

  /**
   * The chunk (undefined when clean). A chunk from the spill file is a copy:
   * after changing it, set() it again.
   */
  get(index: number): Chunk | undefined {
    const c = this.inMemory.get(index);
    if (c !== undefined) return c;
    const at = this.spilled.get(index);
    if (at === undefined) return undefined;
    const buf = new Uint8Array(at.length);
    let done = 0;
    while (done < buf.length) {
      const n = fs.readSync(this.fd!, buf, done, buf.length - done, at.slot * this.chunkSize + done);
      if (n <= 0) break;
      done += n;
    }
    return buf;
  }

  /** Stores a chunk (the same object stays live when it is kept in memory). */
  set(index: number, chunk: Chunk): void {
    const old = this.inMemory.get(index);
    if (old) this.memoryUsed -= old.length;
    if (chunk === null || (this.inMemory.has(index) && old === chunk) || this.memoryUsed + chunk.length <= this.memoryLimit) {
      this.dropSpilled(index);
      this.inMemory.set(index, chunk);
      if (chunk) this.memoryUsed += chunk.length;
      return;
    }
    this.inMemory.delete(index);
    const slot = this.spilled.get(index)?.slot ?? this.freeSlots.pop() ?? this.nextSlot++;
    this.spilled.set(index, { slot, length: chunk.length });
    const fd = this.spillFile();
    let done = 0;
    while (done < chunk.length) done += fs.writeSync(fd, chunk, done, chunk.length - done, slot * this.chunkSize + done);
  }

  clear(): void {
    this.inMemory.clear();
    this.memoryUsed = 0;
    this.spilled.clear();
    this.freeSlots.length = 0;
    this.nextSlot = 0;
    if (this.fd !== null) fs.ftruncateSync(this.fd, 0);
  }

  close(): void {
    this.inMemory.clear();
    this.spilled.clear();
    this.memoryUsed = 0;
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }

  private dropSpilled(index: number): void {
    const at = this.spilled.get(index);
    if (at === undefined) return;
    this.spilled.delete(index);
    this.freeSlots.push(at.slot);
  }

  private spillFile(): number {
    if (this.fd !== null) return this.fd;
    const file = path.join(os.tmpdir(), `guestkit-overlay-${process.pid}-${nodeCrypto().randomBytes(6).toString('hex')}`);
    try {
      this.fd = fs.openSync(file, 'wx+', 0o600);
      fs.unlinkSync(file);
    } catch (e) {
      throw new ErrnoError(codeOfError(e), `cannot make the overlay's spill file in ${os.tmpdir()}: ${(e as Error).message}`, { cause: e });
    }
    return this.fd;
  }
}
