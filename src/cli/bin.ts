// Runs on: main thread of the `tributary` command.
import module from 'node:module';

// Node 22.1+ keeps the compiled code of the modules on disk (in its default directory under the
// temporary directory), so a restart loads the gateway faster; Node 20 has no such cache (nor
// its type).
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
// A reader that stopped early (`tributary tail … | head`) closes the pipe: a command's output is
// done, not failed, and a running gateway goes on without its stdout.
const closedPipe = (err: NodeJS.ErrnoException) => err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED';
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (!closedPipe(err)) throw err;
  if (process.argv[2] !== 'start') process.exit(process.exitCode ?? 0);
});
// Nor may the reader of stderr (a `tee`, a log shipper) going away end the gateway uncleanly: it
// goes on without its logs, and a command still ends with its own exit code.
process.stderr.on('error', (err: NodeJS.ErrnoException) => {
  if (!closedPipe(err)) throw err;
});
const { main } = await import('./main.js');

process.exitCode = await main(process.argv.slice(2));
