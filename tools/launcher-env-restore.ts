// Imported first by the entry (tools/guestkit.ts): ES imports run in order, so the environment is whole before any other module runs.
import { restoreLauncherEnv } from './launcher-env.js';

restoreLauncherEnv();
