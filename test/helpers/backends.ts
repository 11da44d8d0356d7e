/** The backends the shared scenario tests run on: GUESTKIT_TEST_BACKENDS, else wasm plus the appliance when qemu is installed. */
import { spawnSync } from 'node:child_process';

export type TestBackend = 'wasm' | 'appliance';

export const haveQemu = spawnSync('qemu-system-x86_64', ['--version']).status === 0;

export const TEST_BACKENDS = (process.env.GUESTKIT_TEST_BACKENDS ?? (haveQemu ? 'wasm,appliance' : 'wasm')).split(',') as TestBackend[];
