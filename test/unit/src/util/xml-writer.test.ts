import { describe, expect, it } from 'vitest';
import { el, xmlDocument } from '../../../../src/util/xml-writer.js';

describe('xml writer (libxml2 text-writer layout)', () => {
  it('indents by two spaces, keeps text elements on one line and self-closes empty ones', () => {
    const doc = xmlDocument(el('operatingsystems', [
      el('operatingsystem', [el('root', '/dev/sda2'), el('applications', [])]),
    ]));
    expect(doc).toBe([
      '<?xml version="1.0"?>', '<operatingsystems>', '  <operatingsystem>', '    <root>/dev/sda2</root>',
      '    <applications/>', '  </operatingsystem>', '</operatingsystems>', '',
    ].join('\n'));
  });

  it('escapes text and attributes as libxml2 does', () => {
    expect(xmlDocument(el('a', 'x<y & "z" >', [['dev', 'a"b<c\n']]))).toBe(
      '<?xml version="1.0"?>\n<a dev="a&quot;b&lt;c&#10;">x&lt;y &amp; "z" &gt;</a>\n',
    );
  });
});
