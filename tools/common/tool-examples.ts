/**
 * A tool's examples, printed at the end of its --help; guestkit-TOOL(1)'s
 * EXAMPLES section is read from the same text (scripts/man/tool-pages.ts).
 */
export function examplesHelp(...examples: string[]): string {
  return `\nExample${examples.length > 1 ? 's' : ''}:\n${examples.map((e) => `  ${e}`).join('\n')}`;
}
