/** A tool of the command line: its name and how to load its Command (on demand: a tool's modules load only when it runs). */
import type { Command } from 'commander';

export type ToolEntry = readonly [name: string, load: () => Promise<Command>];
