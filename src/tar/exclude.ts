/**
 * GNU tar's --exclude matching, as tar-out's excludes use it: shell wildcards
 * where '*' and '?' also match '/', leading dots included, and not anchored:
 * a pattern matches the whole member name or any of its trailing components
 * ("*.cache" leaves out ./home/u/x.cache, "tmp" leaves out ./var/tmp).
 */

function wildcardRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '\\' && i + 1 < pattern.length) re += pattern[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    else if (c === '[' && pattern.indexOf(']', i + 2) > 0) {
      const end = pattern.indexOf(']', i + 2);
      let body = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      re += `[${body}]`;
      i = end;
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

/** A test for member names ("./a/b" or "./a/b/") against the patterns. */
export function excludeMatcher(patterns: string[]): (member: string) => boolean {
  if (patterns.length === 0) return () => false;
  const res = patterns.map((p) => wildcardRegExp(p.replace(/\/+$/, '')));
  return (member) => {
    const name = member.replace(/\/+$/, '');
    const parts = name.replace(/^\.\//, '').split('/');
    const candidates = [name, ...parts.map((_, i) => parts.slice(i).join('/'))];
    return candidates.some((c) => res.some((re) => re.test(c)));
  };
}
