// Runs on: main thread of the `tributary` command.
import module from 'node:module';

// Node 22.1+ keeps the compiled code of the modules on disk (in its default directory under the
// temporary directory), so a restart loads the gateway faster; Node 20 has no such cache (nor
// its type).
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
const { main } = await import('./main.js');

process.exitCode = await main(process.argv.slice(2));
