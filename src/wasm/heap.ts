const utf8d = new TextDecoder('utf-8');

/** The NUL-terminated UTF-8 string at `ptr` in a wasm heap. */
export function readCString(heap: Uint8Array, ptr: number): string {
  let end = ptr;
  while (heap[end] !== 0) end++;
  return utf8d.decode(heap.subarray(ptr, end));
}
