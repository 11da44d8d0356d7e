/**
 * NBD URIs: nbd://host[:port][/export] and nbd+unix:///export?socket=PATH
 * (the subset of the NBD URI specification guestkit supports: no TLS).
 */
import { GuestkitError } from '../../errors/index.js';
import { DEFAULT_PORT } from './protocol.js';

export type NbdTarget =
  | { kind: 'tcp'; host: string; port: number; exportName: string }
  | { kind: 'unix'; socket: string; exportName: string };

export function isNbdUri(s: string): boolean {
  return /^nbds?(\+[a-z]+)?:\/\//i.test(s);
}

function bad(uri: string, problem: string): GuestkitError {
  return new GuestkitError('EINVAL', `${uri}: invalid NBD URI: ${problem}`, { disk: uri });
}

function decode(uri: string, s: string, what: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw bad(uri, `bad percent-encoding in the ${what}`);
  }
}

/** Parses `key=value&...` without turning '+' into a space (paths may contain '+'). */
function parseQuery(uri: string, query: string): Map<string, string> {
  const out = new Map<string, string>();
  if (query === '') return out;
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = decode(uri, eq < 0 ? part : part.slice(0, eq), 'query');
    const value = decode(uri, eq < 0 ? '' : part.slice(eq + 1), 'query');
    out.set(key, value);
  }
  return out;
}

export function parseNbdUri(uri: string): NbdTarget {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#.*)?$/.exec(uri);
  if (!m) throw bad(uri, 'expected nbd://host[:port][/export] or nbd+unix:///export?socket=PATH');
  const scheme = m[1]!.toLowerCase();
  const authority = m[2]!;
  const path = m[3]!;
  const query = parseQuery(uri, m[4] ?? '');
  // The export name is the path without its leading '/'.
  const exportName = decode(uri, path.startsWith('/') ? path.slice(1) : path, 'export name');

  if (scheme.startsWith('nbds')) throw bad(uri, 'TLS (nbds://) is not supported');
  if (scheme === 'nbd' || scheme === 'nbd+tcp') {
    if (authority === '') throw bad(uri, 'no host');
    let host: string;
    let portText: string | undefined;
    if (authority.includes('@')) throw bad(uri, 'user names are not supported');
    if (authority.startsWith('[')) {
      const close = authority.indexOf(']');
      if (close < 0) throw bad(uri, 'unterminated IPv6 address');
      host = authority.slice(1, close);
      const rest = authority.slice(close + 1);
      if (rest !== '') {
        if (!rest.startsWith(':')) throw bad(uri, 'junk after the IPv6 address');
        portText = rest.slice(1);
      }
      if (!/^[0-9a-fA-F:.]+(%25.+)?$/.test(host)) throw bad(uri, `bad IPv6 address '${host}'`);
      host = decode(uri, host, 'host'); // the zone id is written %25zone
    } else {
      const colon = authority.lastIndexOf(':');
      if (colon >= 0) {
        host = authority.slice(0, colon);
        portText = authority.slice(colon + 1);
      } else {
        host = authority;
      }
      host = decode(uri, host, 'host');
      if (host === '') throw bad(uri, 'no host');
    }
    let port = DEFAULT_PORT;
    if (portText !== undefined && portText !== '') {
      if (!/^[0-9]+$/.test(portText)) throw bad(uri, `bad port '${portText}'`);
      port = Number(portText);
      if (port < 1 || port > 65535) throw bad(uri, `port ${portText} out of range`);
    }
    if (query.has('socket')) throw bad(uri, 'socket= is only valid with nbd+unix://');
    return { kind: 'tcp', host, port, exportName };
  }
  if (scheme === 'nbd+unix') {
    if (authority !== '') throw bad(uri, `nbd+unix:// takes no host (write nbd+unix:///export?socket=PATH)`);
    const socket = query.get('socket');
    if (socket === undefined || socket === '') throw bad(uri, 'nbd+unix:// needs ?socket=PATH');
    return { kind: 'unix', socket, exportName };
  }
  throw bad(uri, `unsupported scheme '${scheme}://' (expected nbd:// or nbd+unix://)`);
}

/** A URI for a target, e.g. to name a qemu-nbd export in messages. */
export function formatNbdUri(t: NbdTarget): string {
  const exp = encodeURIComponent(t.exportName).replace(/%2F/g, '/');
  if (t.kind === 'unix') return `nbd+unix:///${exp}?socket=${encodeURI(t.socket)}`;
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  return `nbd://${host}:${t.port}/${exp}`;
}
