import { spawnSync } from 'node:child_process';

/**
 * Whether this machine lets a test do something privileged (a PID or mount namespace, a tmpfs
 * mount, changing a process's file limit), found by trying `probe`. Where it cannot, the test is
 * skipped with a printed reason; under CI=true (CI runs the tests as root) it fails instead.
 */
export function capability(what: string, probe: string[]): boolean {
  const result = spawnSync(probe[0], probe.slice(1), { encoding: 'utf8', timeout: 10_000 });
  const problem = result.error ? result.error.message : result.status !== 0 ? (result.stderr || `exit status ${result.status}`).trim() : undefined;
  if (!problem) return true;
  const reason = `${what} is not possible here (${probe.join(' ')}: ${problem})`;
  if (process.env.CI === 'true') throw new Error(`${reason}; it is required under CI`);
  console.warn(`skipping: ${reason}`);
  return false;
}
