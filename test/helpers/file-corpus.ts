/**
 * A small corpus of typical guest files, made byte for byte the same on every run:
 * the goldens in test/golden/cmds-host/ are what guestfish's `file` and
 * `file-architecture` said about these bytes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import { elfHeader as elf, peHeader as pe } from '../../fixtures/foreign-binaries.js';

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** A w x h RGB PNG, all black. */
export function png(w = 2, h = 3): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2;
  const raw = Buffer.alloc(h * (1 + w * 3));
  return Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** name → bytes: text of several kinds, scripts, markup, data, compressed data, images, ELF and PE headers. */
export function fileCorpus(): Record<string, Buffer> {
  const passwd = 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n';
  return {
    'empty': Buffer.alloc(0),
    'known-1': Buffer.from('abc\n'),
    'passwd': Buffer.from(passwd),
    'utf8.txt': Buffer.from('h\u00e9llo w\u00f6rld\n'),
    'crlf.txt': Buffer.from('one\r\ntwo\r\n'),
    'noeol.txt': Buffer.from('no newline at the end'),
    'script.sh': Buffer.from('#!/bin/sh\necho hello\n'),
    'script.py': Buffer.from('#!/usr/bin/python3\nprint("hello")\n'),
    'page.html': Buffer.from('<!DOCTYPE html>\n<html><head><title>x</title></head><body>x</body></html>\n'),
    'doc.xml': Buffer.from('<?xml version="1.0"?>\n<a><b/></a>\n'),
    'zeros': Buffer.alloc(4096),
    'binary': Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7919 + 13) & 0xff)),
    'passwd.gz': gzipSync(Buffer.from(passwd)),
    'image.png': png(),
    'x86_64.bin': elf(64, true, 62),
    'i386.so': elf(32, true, 3, 3),
    'aarch64.bin': elf(64, true, 183),
    'ppc64.bin': elf(64, false, 21),
    'ppc64le.bin': elf(64, true, 21),
    's390x.bin': elf(64, false, 22),
    'riscv64.bin': elf(64, true, 243),
    'arm.bin': elf(32, true, 40),
    'x86_64.bin.gz': gzipSync(elf(64, true, 62)),
    'win32.exe': pe(0x14c, 0x10b),
    'win64.exe': pe(0x8664, 0x20b),
  };
}

export function writeFileCorpus(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const files = fileCorpus();
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
  return Object.keys(files);
}

if (process.argv[1]?.endsWith('file-corpus.ts') && process.argv[2]) console.log(writeFileCorpus(process.argv[2]).join('\n'));
