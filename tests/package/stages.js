// The stages the package tests compile: `local` (serverless-offline, the one
// fixed key), `dev` (the CLI's default) and `prod`.
module.exports.stages = [{ stage: 'local' }, { stage: 'dev' }, { stage: 'prod' }];
