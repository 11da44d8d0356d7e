/** Compares strings by their UTF-8 bytes, as strcmp sorts them in the appliance (C locale). */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
