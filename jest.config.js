// Jest in ESM mode: @kubernetes/client-node 1.x is ESM-only (run with NODE_OPTIONS=--experimental-vm-modules).
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: ['TS151001'] } }] },
  testEnvironment: 'node',
};

/** @type {import('jest').Config} */
export default {
  // integration tests wait for a real control plane (deployments becoming Available, garbage collection)
  testTimeout: 180_000,
  // On two cores Jest runs the test files in its own process (in band): one handle a test leaves open (a stuck child
  // process, a socket) would keep it alive after the summary, and CI would wait out its limit instead of reporting.
  // The failure that left the handle is already in the summary; exit after it.
  forceExit: true,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.mjs',
      globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
    },
  ],
};
