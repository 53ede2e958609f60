/** @type {import('jest').Config} */
const shared = {
  testEnvironment: '<rootDir>/tests/environment.js',
  setupFiles: ['<rootDir>/tests/setup-env.js'],
  transform: { '^.+\\.(t|j|mj)s$': '@swc/jest' },
  // middy is published as ESM only: let the transform compile it to CommonJS.
  transformIgnorePatterns: ['/node_modules/(?!(@middy)/)'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
};

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 30000,
  projects: [
    // The code itself, on the real onnxruntime and the real model files.
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/tests/*.test.ts'] },
    // What `serverless package` produces: packaged once, in globalSetup; one
    // file at a time, in jest's process (serial-runner.js).
    {
      ...shared,
      displayName: 'package',
      runner: '<rootDir>/tests/package/serial-runner.js',
      testMatch: ['<rootDir>/tests/package/*.test.ts'],
      globalSetup: '<rootDir>/tests/package/global-setup.js',
    },
  ],
};
