/**
 * A small indenting XML writer producing what libxml2's text writer prints with
 * indent "  " (as virt-inspector uses it): one element per line, text-only
 * elements on one line, empty elements self-closed, the same escaping.
 */
function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

function escapeAttr(s: string): string {
  return escapeText(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
}

export interface XmlNode {
  name: string;
  attrs?: [string, string][];
  /** Text content, or child elements. */
  text?: string;
  children?: XmlNode[];
}

export function el(name: string, content?: string | XmlNode[], attrs?: [string, string][]): XmlNode {
  return typeof content === 'string' ? { name, text: content, attrs } : { name, children: content, attrs };
}

function render(node: XmlNode, depth: number, out: string[]): void {
  const pad = '  '.repeat(depth);
  const attrs = (node.attrs ?? []).map(([k, v]) => ` ${k}="${escapeAttr(v)}"`).join('');
  if (node.text !== undefined) {
    out.push(node.text === '' ? `${pad}<${node.name}${attrs}/>` : `${pad}<${node.name}${attrs}>${escapeText(node.text)}</${node.name}>`);
    return;
  }
  const children = node.children ?? [];
  if (children.length === 0) {
    out.push(`${pad}<${node.name}${attrs}/>`);
    return;
  }
  out.push(`${pad}<${node.name}${attrs}>`);
  for (const c of children) render(c, depth + 1, out);
  out.push(`${pad}</${node.name}>`);
}

/** The whole document, with the XML declaration libxml2 writes and a final newline. */
export function xmlDocument(root: XmlNode): string {
  const out = ['<?xml version="1.0"?>'];
  render(root, 0, out);
  return `${out.join('\n')}\n`;
}
