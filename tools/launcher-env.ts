/**
 * The environment guestkit's launcher (the sh lines at the top of the bin,
 * scripts/bundle.js) hands over. Node reads the whole CA bundle named by
 * NODE_EXTRA_CA_CERTS at every start, before any script runs: ~50 ms of a
 * ~85 ms start where it is set (it is, on many CI machines). guestkit makes
 * no TLS connection, so the launcher starts Node with the variable empty and
 * its value kept aside; here it goes back, for the programs guestkit starts
 * (qemu, $EDITOR, `!cmd`, `serve --run`) to see the environment they were given.
 */
const KEPT = 'GUESTKIT_NODE_EXTRA_CA_CERTS';
const CA = 'NODE_EXTRA_CA_CERTS';

/** Puts back what the launcher kept aside. Runs first, before anything can start a program. */
export function restoreLauncherEnv(env: NodeJS.ProcessEnv = process.env): void {
  const kept = env[KEPT];
  if (kept === undefined) return;
  env[CA] = kept;
  delete env[KEPT];
}

/** The environment for another guestkit Node process started directly (not through the launcher): the same hand-over. */
export function guestkitNodeEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const ca = env[CA];
  if (!ca) return env;
  return { ...env, [KEPT]: ca, [CA]: '' };
}
