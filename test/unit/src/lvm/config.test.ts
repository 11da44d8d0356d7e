import { describe, expect, it } from 'vitest';
import { ConfigSection, ConfigSyntaxError, formatConfig, parseConfig, sectionFrom } from '../../../../src/lvm/config.js';
import { lvmCrc } from '../../../../src/lvm/crc.js';
import { parseVgMetadata } from '../../../../src/lvm/metadata.js';

describe('LVM config text', () => {
  it('parses sections, strings, integers, floats and arrays; keeps order', () => {
    const root = parseConfig(`# leading comment
vg0 {
id = "abc-def"   # trailing comment
seqno = 12
neg = -3
f = 1.5
status = ["RESIZEABLE", "READ", "WRITE"]
flags = []
mixed = [ "pv0", 0, "pv1", 128 ]
trailing = [1, 2, ]
single = 'it\\'s'
1 { a = 1 }
0 { a = 2 }
}
contents = "Text Format Volume Group"
version = 1
`);
    const vg = root.section('vg0')!;
    expect(vg.string('id')).toBe('abc-def');
    expect(vg.number('seqno')).toBe(12);
    expect(vg.number('neg')).toBe(-3);
    expect(vg.number('f')).toBe(1.5);
    expect(vg.strings('status')).toEqual(['RESIZEABLE', 'READ', 'WRITE']);
    expect(vg.strings('flags')).toEqual([]);
    expect(vg.strings('missing')).toEqual([]);
    expect(vg.strings('mixed')).toBeUndefined();
    expect(vg.array('mixed')).toEqual(['pv0', 0, 'pv1', 128]);
    expect(vg.array('trailing')).toEqual([1, 2]);
    expect(vg.string('single')).toBe("it's");
    expect(vg.sections().map(([k]) => k)).toEqual(['1', '0']);
    expect(root.string('contents')).toBe('Text Format Volume Group');
    expect([...root.entries.keys()]).toEqual(['vg0', 'contents', 'version']);
  });

  it('handles escapes, # inside strings, NUL terminators and CRLF', () => {
    const root = parseConfig('a = "q\\"uote\\\\ # not a comment"\r\nb = "x"\0garbage {{{');
    expect(root.string('a')).toBe('q"uote\\ # not a comment');
    expect(root.string('b')).toBe('x');
  });

  it('reports syntax errors with a line number', () => {
    const cases: [string, RegExp][] = [
      ['a {\n b = 1\n', /^line 3: missing '}' at end of text$/],
      ['a = \n', /^line 2: missing value for a$/],
      ['a = "open\n\n', /^line 3: unterminated string$/],
      ['a = [1, 2\n', /unterminated array|expected ','/],
      ['}', /^line 1: unexpected '}'$/],
      ['a b', /^line 1: expected '=' or '\{' after a, found 'b'$/],
      ['a = @', /^line 1: expected a value, found '@'$/],
      ['a = [[1]]', /expected a value, found '\['/],
      ['= 1', /^line 1: expected a name, found '='$/],
      ['a = 1e999', /bad number/],
      ['x {'.repeat(100), /nested too deeply/],
    ];
    for (const [text, re] of cases) {
      let err: unknown;
      try {
        parseConfig(text);
      } catch (e) {
        err = e;
      }
      expect(err, text).toBeInstanceOf(ConfigSyntaxError);
      expect((err as Error).message, text).toMatch(re);
    }
  });

  it('formats what it parses (round trip)', () => {
    const s = sectionFrom({
      vg: { id: 'a"b\\c', n: 3, list: ['x', 1], empty: [], sub: { k: 'v' } },
      version: 1,
    });
    const text = formatConfig(s);
    expect(text).toBe('vg {\n\tid = "a\\"b\\\\c"\n\tn = 3\n\tlist = ["x", 1]\n\tempty = []\n\tsub {\n\t\tk = "v"\n\t}\n}\nversion = 1\n');
    const back = parseConfig(text);
    expect(formatConfig(back)).toBe(text);
    expect(back.section('vg')).toBeInstanceOf(ConfigSection);
  });
});

describe('LVM crc', () => {
  it('is the reflected CRC-32 started at 0xf597a6cf without final inversion', () => {
    expect(lvmCrc(new Uint8Array(0))).toBe(0xf597a6cf);
    // zlib's crc32 of "123456789" is 0xcbf43926 = ~crc(0xffffffff); LVM's start differs.
    expect((lvmCrc(new TextEncoder().encode('123456789'), 0xffffffff) ^ 0xffffffff) >>> 0).toBe(0xcbf43926);
  });
});

describe('VG metadata model', () => {
  const text = (lv: string) => `vg {
id = "VVVVVV-VVVV-VVVV-VVVV-VVVV-VVVV-VVVVVV"
seqno = 4
status = ["READ", "WRITE"]
extent_size = 8192
physical_volumes { pv0 { id = "PPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPP" device = "/dev/sda" status = ["ALLOCATABLE"] pe_start = 2048 pe_count = 10 } }
logical_volumes { ${lv} }
}`;
  it('reads segments in order and checks them', () => {
    const vg = parseVgMetadata(
      text(`lv { id = "LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL" status = ["READ", "VISIBLE"] segment_count = 2
        segment2 { start_extent = 1 extent_count = 2 type = "striped" stripe_count = 2 stripe_size = 128 stripes = ["pv0", 5, "pv0", 7] }
        segment1 { start_extent = 0 extent_count = 1 type = "striped" stripe_count = 1 stripes = ["pv0", 0] } }`),
      '/dev/sda',
    );
    expect(vg.seqno).toBe(4);
    expect(vg.lvs[0]!.segments.map((s) => [s.key, s.startExtent, s.stripeCount, s.stripeSize])).toEqual([
      ['segment1', 0, 1, 0],
      ['segment2', 1, 2, 128],
    ]);
    expect(vg.lvs[0]!.extents).toBe(3);
  });

  it('refuses inconsistent metadata with one line naming the device', () => {
    const bad: [string, string][] = [
      ['lv { id = "LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL" status = [] segment1 { start_extent = 1 extent_count = 1 type = "striped" stripe_count = 1 stripes = ["pv0", 0] } }', 'segment1 starts at extent 1, expected 0'],
      ['lv { id = "LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL" status = [] segment1 { start_extent = 0 extent_count = 1 type = "striped" stripe_count = 1 stripes = ["pv9", 0] } }', 'unknown PV "pv9"'],
      ['lv { id = "LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL" status = [] segment1 { start_extent = 0 extent_count = 3 type = "striped" stripe_count = 2 stripe_size = 128 stripes = ["pv0", 0, "pv0", 1] } }', 'not a multiple'],
      ['lv { id = "LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL" status = [] segment1 { start_extent = 0 extent_count = 2 type = "striped" stripe_count = 2 stripe_size = 100 stripes = ["pv0", 0, "pv0", 1] } }', 'not a power of 2'],
      ['lv { id = "LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL" status = [] segment1 { start_extent = 0 extent_count = 1 type = "striped" stripe_count = 1 stripes = ["pv0"] } }', 'stripes has'],
      ['lv { id = "LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL" status = "READ" }', 'status is not a list of strings'],
      ['lv { status = [] }', 'id is missing'],
      ['lv { id = "LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL" status = [] segment_count = 2 }', 'segment_count is 2 but 0 segments are listed'],
    ];
    for (const [lv, msg] of bad) {
      expect(() => parseVgMetadata(text(lv), '/dev/sda'), lv).toThrow(new RegExp(`^/dev/sda: LVM metadata: .*${msg}`));
    }
    expect(() => parseVgMetadata('a = 1', '/dev/sda')).toThrow('/dev/sda: LVM metadata: expected one volume group section, found 0');
    expect(() => parseVgMetadata('vg {', '/dev/sda')).toThrow("/dev/sda: LVM metadata: syntax error at line 1: missing '}' at end of text");
  });
});

describe('VG metadata names and ids', () => {
  it('refuses bad names and UUIDs', () => {
    const mk = (vg: string, lv: string, id: string) =>
      `${vg} { id = "${id}" seqno = 1 status = [] extent_size = 8 logical_volumes { ${lv} { id = "${id}" status = [] } } }`;
    const good = 'abcdef-ABCD-0123-4567-89ab-cdef-ghijkl';
    expect(parseVgMetadata(mk('vg', 'lv', good), 'd').lvs[0]!.name).toBe('lv');
    expect(() => parseVgMetadata(mk('vg', 'lv', 'short'), 'd')).toThrow('d: LVM metadata: VG vg: id is not a valid LVM UUID');
    expect(() => parseVgMetadata(mk('-vg', 'lv', good), 'd')).toThrow('d: LVM metadata: VG name "-vg" is not valid');
    expect(() => parseVgMetadata(mk('vg', '-lv', good), 'd')).toThrow('d: LVM metadata: LV name "-lv" is not valid');
  });
});
