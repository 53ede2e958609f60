'use strict';
// A Serverless Framework plugin (serverless.yml, plugins): when the `image`
// param makes every function a container image function (lib/http/routes.js,
// README "Large models"), there is nothing to bundle or zip, since the image
// carries the bundles (Dockerfile); serverless-esbuild would still try to
// move a zip it never built and fail packaging. Its packaging hooks are
// skipped then, and only then; with the zip, nothing changes.

const PACKAGING = ['before:package:createDeploymentArtifacts', 'after:package:createDeploymentArtifacts'];

class ImageFunctionsPlugin {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { initialize: () => this.skipBundlingForImages() };
  }

  skipBundlingForImages() {
    const functions = Object.values(this.serverless.service.functions ?? {});
    if (functions.length === 0 || !functions.every((fn) => fn.image)) return;
    const hooks = this.serverless.pluginManager.hooks;
    for (const event of PACKAGING) hooks[event] = (hooks[event] ?? []).filter((h) => h.pluginName !== 'EsbuildServerlessPlugin');
  }
}

module.exports = ImageFunctionsPlugin;
