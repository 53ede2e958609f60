// What the package tests compile, each into .artifacts/<name>/: `local`
// (serverless-offline, the one fixed key), `dev` (the CLI's default), `prod`,
// and dev again for Graviton to prove the arm64 switch.
module.exports.stages = [
  { name: 'local', stage: 'local', architecture: 'x86_64' },
  { name: 'dev', stage: 'dev', architecture: 'x86_64' },
  { name: 'prod', stage: 'prod', architecture: 'x86_64' },
  { name: 'dev-arm64', stage: 'dev', architecture: 'arm64', args: ['--param=architecture=arm64'] },
];
