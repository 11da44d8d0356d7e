/** A CSV field as the virt tools write it: quoted only when it holds a space, quote, newline or comma. */
export function csvField(s: string): string {
  if (!/[ ",\n]/.test(s)) return s;
  return `"${s.replace(/"/g, '""')}"`;
}
