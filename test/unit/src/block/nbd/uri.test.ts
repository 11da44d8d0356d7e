import { describe, expect, it } from 'vitest';
import { isNbdUri, parseNbdUri, type NbdTarget } from '../../../../../src/block/nbd/uri.js';

describe('parseNbdUri', () => {
  const good: Array<[string, NbdTarget]> = [
    ['nbd://example.com', { kind: 'tcp', host: 'example.com', port: 10809, exportName: '' }],
    ['nbd://example.com/', { kind: 'tcp', host: 'example.com', port: 10809, exportName: '' }],
    ['nbd://127.0.0.1:1234', { kind: 'tcp', host: '127.0.0.1', port: 1234, exportName: '' }],
    ['nbd://127.0.0.1:1234/disk', { kind: 'tcp', host: '127.0.0.1', port: 1234, exportName: 'disk' }],
    ['nbd://host/a/b%20c', { kind: 'tcp', host: 'host', port: 10809, exportName: 'a/b c' }],
    ['nbd://host//abs', { kind: 'tcp', host: 'host', port: 10809, exportName: '/abs' }],
    ['nbd://[::1]', { kind: 'tcp', host: '::1', port: 10809, exportName: '' }],
    ['nbd://[::1]:10810/x', { kind: 'tcp', host: '::1', port: 10810, exportName: 'x' }],
    ['nbd://[fe80::1%25eth0]:7/x', { kind: 'tcp', host: 'fe80::1%eth0', port: 7, exportName: 'x' }],
    ['NBD://Host:1/e', { kind: 'tcp', host: 'Host', port: 1, exportName: 'e' }],
    ['nbd+unix:///?socket=/tmp/s.sock', { kind: 'unix', socket: '/tmp/s.sock', exportName: '' }],
    ['nbd+unix:///exp?socket=/tmp/a+b%20c.sock', { kind: 'unix', socket: '/tmp/a+b c.sock', exportName: 'exp' }],
    ['nbd+unix://?socket=rel.sock', { kind: 'unix', socket: 'rel.sock', exportName: '' }],
  ];
  for (const [uri, want] of good) {
    it(`parses ${uri}`, () => {
      expect(parseNbdUri(uri)).toEqual(want);
      expect(isNbdUri(uri)).toBe(true);
    });
  }

  const bad: Array<[string, RegExp]> = [
    ['nbd://', /no host/],
    ['nbd://host:99999', /port 99999 out of range/],
    ['nbd://host:abc/', /bad port 'abc'/],
    ['nbd://[::1/x', /unterminated IPv6/],
    ['nbd://[::1]x/', /junk after the IPv6/],
    ['nbd+unix:///exp', /needs \?socket=PATH/],
    ['nbd+unix://host/exp?socket=/s', /takes no host/],
    ['nbd://host/x?socket=/s', /only valid with nbd\+unix/],
    ['nbds://host/x', /TLS/],
    ['nbds+unix:///x?socket=/s', /TLS/],
    ['nbd+vsock://1/x', /unsupported scheme 'nbd\+vsock:\/\/'/],
    ['http://host/x', /unsupported scheme/],
    ['nbd:host', /expected nbd:\/\/host/],
    ['nbd://host/%zz', /percent-encoding/],
    ['nbd://user@host/', /user names/],
  ];
  for (const [uri, re] of bad) {
    it(`rejects ${uri}`, () => {
      let err: unknown;
      try {
        parseNbdUri(uri);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(Error);
      const msg = (err as Error).message;
      expect(msg).toMatch(re);
      expect(msg.startsWith(`${uri}: invalid NBD URI: `)).toBe(true);
      expect(msg).not.toContain('\n');
    });
  }

  it('tells files from URIs', () => {
    expect(isNbdUri('disk.img')).toBe(false);
    expect(isNbdUri('/tmp/nbd://x')).toBe(false);
  });
});
