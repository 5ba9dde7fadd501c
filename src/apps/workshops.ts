// The `workshops` command line (bin/workshops.js runs the compiled copy of this file).
import { main } from '../cli/main.js';

process.exitCode = await main(process.argv);
// A forgotten socket or timer must not keep a finished command hanging; an unref'd timer lets a clean exit happen first.
setTimeout(() => process.exit(), 3_000).unref();
