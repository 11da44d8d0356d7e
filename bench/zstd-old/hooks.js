// node --import ./bench/zstd-old/register.js: dist/src/compress/zstd.js resolves to fzstd-zstd.js.
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  return r.url.endsWith('/dist/src/compress/zstd.js') ? { ...r, url: new URL('./fzstd-zstd.js', import.meta.url).href } : r;
}
