/**
 * One registry of what must be undone when this process ends: helper processes
 * to kill, private directories to remove. Tasks run synchronously on exit and on
 * SIGINT, SIGTERM and SIGHUP; the handlers are installed only while a task is
 * registered, so a process that never starts a helper never installs any.
 *
 * After a signal the tasks have run and the handlers are gone; the signal is then
 * raised again for its default action (exit with 128+signo), unless another
 * listener (a tool's own signal handling) takes it.
 */
type Task = () => void;

const tasks = new Set<Task>();
const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let installed = false;

function runAll(): void {
  const all = [...tasks];
  tasks.clear();
  for (const t of all) {
    try {
      t();
    } catch {
      // best effort: the other tasks still run
    }
  }
}

function onSignal(sig: NodeJS.Signals): void {
  runAll();
  uninstall();
  if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runAll);
  for (const sig of SIGNALS) process.on(sig, onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off('exit', runAll);
  for (const sig of SIGNALS) process.off(sig, onSignal);
}

/** Runs `task` when the process exits or is signalled (once; adding it again is harmless). */
export function addExitCleanup(task: Task): void {
  tasks.add(task);
  install();
}

/** Withdraws `task` (nothing left to clean up); the last one out removes the handlers. */
export function removeExitCleanup(task: Task): void {
  tasks.delete(task);
  if (tasks.size === 0) uninstall();
}
