// What the package tests compile, each into .artifacts/<name>/: `local`
// (serverless-offline, the one fixed key), `dev` (the CLI's default), `prod`,
// dev again for Graviton to prove the arm64 switch, and dev with an IP
// allow-list (param allowedCidrs: the REST API's resource policy).
module.exports.stages = [
  { name: 'local', stage: 'local', architecture: 'x86_64' },
  { name: 'dev', stage: 'dev', architecture: 'x86_64' },
  { name: 'prod', stage: 'prod', architecture: 'x86_64' },
  { name: 'dev-arm64', stage: 'dev', architecture: 'arm64', args: ['--param=architecture=arm64'] },
  // With a model store of its own (README, "Large models"): no models in the zip.
  { name: 'dev-store', stage: 'dev', architecture: 'x86_64', args: ['--param=modelStore=create'] },
  { name: 'dev-cidrs', stage: 'dev', architecture: 'x86_64', args: ['--param=allowedCidrs=203.0.113.0/24,198.51.100.7,2001:db8::/32'] },
];
