/** The shape of test/upstream/cases.json (written by convert.ts) and its loader. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A command's upstream signature: kinds and names, in order (String kinds by their subkind: Pathname, Device…). */
export interface UpstreamSignature {
  ret: string;
  args: [kind: string, name: string][];
  optargs: [kind: string, name: string][];
}

export interface UpstreamCase {
  /** command_index, as libguestfs numbers them (test_command_index in tests/c-api). */
  id: string;
  command: string;
  /** InitNone, InitEmpty, InitPartition, InitGPT, InitBasicFS, InitBasicFSonLVM, InitISOFS, InitScratchFS. */
  init: string;
  /** Always, Disabled, IfNotCrossAppliance, or "IfAvailable GROUP". */
  prereq: string;
  /** TestRun, TestResult, TestResultString, TestResultDevice, TestResultTrue, TestResultFalse, TestLastFail, TestRunOrUnsupported. */
  test: string;
  /** Command lines: upstream name, then one word per argument (required, then optional in order). */
  seq: string[][];
  /** TestResultString / TestResultDevice: the last command's result. */
  expected?: string;
  /** TestResult: the C condition over ret (the last result), ret1… (earlier ones) and size. */
  expr?: string;
  cleanup?: string[][];
  /** Why the check could not be carried over as data (the runner skips the test). */
  unconverted?: string;
}

export interface UpstreamData {
  source: { repo: string; commit: string };
  signatures: Record<string, UpstreamSignature>;
  cases: UpstreamCase[];
}

export function loadUpstreamCases(): UpstreamData {
  return JSON.parse(readFileSync(fileURLToPath(new URL('./cases.json', import.meta.url)), 'utf8')) as UpstreamData;
}
