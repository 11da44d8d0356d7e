/**
 * The shape of a command definition. Each command is defined once: its name,
 * typed arguments and optional arguments, return kind, documentation, examples,
 * and one implementation per backend. The library methods, the fish shell,
 * `help` and the docs are all derived from these records.
 */
import type { Backend, BackendName } from '../backend/backend.js';
import type { WasmBackend } from '../backend/wasm/wasm-backend.js';
import type { ApplianceBackend } from '../backend/appliance/appliance-backend.js';
import type { AgentStep } from '../backend/appliance/agent-batch.js';
import type { HandleSettings } from '../core/handle-settings.js';

/** Argument kinds; each validates once, in the call wrapper. */
export type ArgKind =
  | 'String' // any string
  | 'Pathname' // absolute guest path
  | 'Device' // /dev/sdX or a partition of it
  | 'Mountable' // a device that may hold a filesystem
  | 'Dev_or_Path' // a device, or an absolute guest path
  | 'Int'
  | 'Int64'
  | 'Bool'
  | 'StringList'
  // Lists whose elements validate as their single kinds (libguestfs's StringList (Device|Filename|Pathname, _)):
  | 'DeviceList' // each a Device
  | 'FilenameList' // each a name in a directory: no '/'
  | 'PathnameList' // each an absolute guest path
  | 'FileIn' // host file to read ('-' = stdin)
  | 'FileOut' // host file to write ('-' = stdout)
  | 'BufferIn' // bytes (a string in fish)
  | 'OptString' // a string or null (NULL in fish)
  | 'Key' // a key or passphrase: a string, which fish reads from stdin or the terminal, never from the command line
  | 'GUID'; // a GUID, 8-4-4-4-12 hex digits

export type OptArgKind = 'String' | 'Int' | 'Int64' | 'Bool' | 'StringList';

/** The argument kinds that take a list of strings (a space-separated word in fish). */
export type ListKind = 'StringList' | 'DeviceList' | 'FilenameList' | 'PathnameList';

export type RetKind = 'void' | 'string' | 'strings' | 'bool' | 'int' | 'int64' | 'buffer' | 'struct' | 'structs' | 'hash';

export interface ArgDef {
  readonly name: string;
  readonly kind: ArgKind;
}

export interface OptArgDef {
  readonly name: string;
  readonly kind: OptArgKind;
}

type ArgType<K extends ArgKind> = K extends 'Int' | 'Int64' ? number
  : K extends 'Bool' ? boolean
  : K extends ListKind ? string[]
  : K extends 'BufferIn' ? Uint8Array | string
  : K extends 'OptString' ? string | null
  : string;

type OptArgType<K extends OptArgKind> = K extends 'Int' | 'Int64' ? number : K extends 'Bool' ? boolean : K extends 'StringList' ? string[] : string;

export type ArgTypes<A extends readonly ArgDef[]> = { -readonly [I in keyof A]: A[I] extends ArgDef ? ArgType<A[I]['kind']> : never };

export type OptArgs<O extends readonly OptArgDef[]> = { [E in O[number] as E['name']]?: OptArgType<E['kind']> };

export type RetType<R extends RetKind> = R extends 'void' ? void
  : R extends 'string' ? string
  : R extends 'strings' ? string[]
  : R extends 'bool' ? boolean
  : R extends 'int' | 'int64' ? number
  : R extends 'buffer' ? Uint8Array
  : R extends 'struct' ? Record<string, number | string>
  : R extends 'structs' ? Record<string, number | string>[]
  : Record<string, string>;

/**
 * What an implementation receives besides its arguments. B is the backend the
 * implementation was written for: the wrapper's dispatch (src/core/dispatch.ts)
 * hands the `wasm` implementation a CallContext<WasmBackend>, and so on, so no
 * implementation needs to ask which backend it runs on.
 */
export interface CallContext<B extends Backend = Backend> {
  /** The handle's backend (already launched for commands that need it). */
  readonly backend: B;
  /** Handle-level state for the commands that configure the handle itself. */
  handle: HandleState;
  /** Calls another command through the wrapper (validation included). */
  call(name: string, args: unknown[], optargs?: Record<string, unknown>): Promise<unknown>;
  /** Several calls, in order, batched where the backend can (see Guestfs.callMany); each settles on its own. */
  callMany(calls: readonly CallItem[]): Promise<CallResult[]>;
}

/** One call of a batch: a command's fish name and its arguments. */
export interface CallItem {
  name: string;
  args: unknown[];
  optargs?: Record<string, unknown>;
  /** When this call fails, the calls after it are not made (they fail with ECANCELED), as with calls awaited in turn. */
  fatal?: boolean;
  /** Who asked for the call (sysprep: the operation), for a caller that runs it later and must name it in its error. */
  label?: string;
}

/** What one call of a batch gave: its value, or the error it would have thrown alone. */
export type CallResult = { ok: true; value: unknown } | { ok: false; error: unknown };

export interface HandleState {
  readonly state: 'config' | 'launched' | 'closed';
  readonly drives: readonly { file: string; format?: string; readonly: boolean }[];
  addDrive(file: string, opts: { format?: string; readonly?: boolean }): void;
  launch(): Promise<void>;
  shutdown(): Promise<void>;
  readonly backendName: BackendName;
  /** Where output for FileOut '-' goes (the fish shell's stdout). */
  stdout: NodeJS.WritableStream;
  /** get-/set- settings; the appliance takes its options from them at launch. */
  readonly settings: HandleSettings;
  /** State of stateful command families (an open hive, an augeas handle), by family. */
  readonly sessions: Map<string, unknown>;
  /** The handle's verbose log (GuestfsOptions.log), if it has one. */
  readonly log?: (line: string) => void;
  /** Runs fn when the handle is closed (scratch drives are removed so). */
  onClose(fn: () => void | Promise<void>): void;
  /** user-cancel: the upload or download in progress stops at its next chunk. */
  cancelTransfer(): void;
  /** A long command's progress (libguestfs's progress event): `done` of `total` bytes, total 0 when unknown. */
  progress(done: number, total: number): void;
  /** For transfers: true once user-cancel was called since `begin` was last true. */
  transferCancelled(begin?: boolean): boolean;
}

export type Impl<B extends Backend = Backend> = (ctx: CallContext<B>, args: any[], optargs: Record<string, any>) => Promise<unknown>;

/**
 * An appliance implementation that may also give its call as a step (one agent
 * script with its parser, see agent-batch.ts), so that Guestfs.callMany can send
 * many calls in one request. `step` resolves to undefined when there is none.
 */
export type ApplianceImpl = Impl<ApplianceBackend> & {
  step?: (args: unknown[], optargs: Record<string, unknown>) => Promise<AgentStep | undefined>;
};

/** A command's implementations: one per backend, or `any` built on other commands or the handle. */
export interface Impls {
  readonly wasm?: Impl<WasmBackend>;
  readonly appliance?: ApplianceImpl;
  readonly any?: Impl<Backend>;
}

export interface CommandDef<
  N extends string = string,
  A extends readonly ArgDef[] = readonly ArgDef[],
  O extends readonly OptArgDef[] = readonly OptArgDef[],
  R extends RetKind = RetKind,
> {
  /** guestfish name, with dashes: 'mount-ro'. */
  readonly name: N;
  readonly args: A;
  readonly optargs?: O;
  readonly ret: R;
  /** Other fish names for the same command ('run' for 'launch'). */
  readonly aliases?: readonly string[];
  readonly shortdesc: string;
  readonly longdesc: string;
  readonly examples?: readonly string[];
  /** Deprecated in libguestfs: the command to use instead, or null when there is none (help and the man page say which). */
  readonly deprecatedBy?: string | null;
  /** 'config' commands run before launch; the rest need a launched handle. */
  readonly phase?: 'config' | 'launched' | 'any';
  /** How fish prints an int result: guestfish shows some in hex (part-get-mbr-id, "0x83") or octal (umask, "022"). */
  readonly fishOutput?: 'hex' | 'octal';
  /** For struct and structs returns: field order for printing. */
  readonly fields?: readonly string[];
  /** Implementations: `any` serves every backend (built on other commands or the handle). */
  readonly impl: Impls;
}

/** Identity helper that keeps literal types for the method signatures. */
export function defineCommand<const N extends string, const A extends readonly ArgDef[], const O extends readonly OptArgDef[] = readonly [], const R extends RetKind = RetKind>(
  def: CommandDef<N, A, O, R>,
): CommandDef<N, A, O, R> {
  return def;
}

/** 'mount-ro' → 'mountRo' */
export type CamelCase<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<CamelCase<T>>}` : S;

export function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** A method's trailing object: its optional arguments, and `signal` to cancel the call (Guestfs.call). */
type CallSignal = { signal?: AbortSignal };

export type MethodOf<C> = C extends CommandDef<string, infer A, infer O, infer R>
  ? (O extends readonly []
    ? (...args: [...ArgTypes<A>, CallSignal?]) => Promise<RetType<R>>
    : (...args: [...ArgTypes<A>, (OptArgs<O> & CallSignal)?]) => Promise<RetType<R>>)
  : never;

export type MethodsOf<T extends readonly CommandDef<any, any, any, any>[]> = {
  [C in T[number] as CamelCase<C['name']>]: MethodOf<C>;
};
