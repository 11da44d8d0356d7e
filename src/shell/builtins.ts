/** Shell commands that are not API calls: they act on the shell itself. */
export interface Builtin {
  name: string;
  usage: string;
  shortdesc: string;
}

export const BUILTINS: Builtin[] = [
  { name: 'echo', usage: 'echo [params ...]', shortdesc: 'display a line of text' },
  { name: 'help', usage: 'help [-l|cmd]', shortdesc: 'display a list of commands or help on a command' },
  { name: 'quit', usage: 'quit', shortdesc: 'quit guestfish' },
  { name: 'exit', usage: 'exit', shortdesc: 'quit guestfish' },
];
