#!/usr/bin/env node
// The `workshops` CLI. It runs the compiled library in lib/ (built by `npm run build`, which `npm install` runs
// through `prepare`), so that start-up costs no TypeScript compilation.
try {
  await import('../lib/apps/workshops.js');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('lib/apps/workshops.js')) {
    process.stderr.write("workshops: lib/ is not built: run 'npm run build' in the cdk8s-workshops folder\n");
    process.exit(1);
  }
  throw error;
}
