'use strict';
// A Serverless Framework plugin (serverless.yml, plugins): makes every
// AWS::WAFv2::WebACLAssociation of the template (resources/waf.js) wait for
// the API stage it names. The framework creates the stage with its
// AWS::ApiGateway::Deployment, whose logical id changes with every
// packaging (ApiGatewayDeployment<timestamp>), so resources/ cannot name it;
// without the dependency CloudFormation may associate the web ACL before the
// stage exists, and a new stack fails. It runs once the template's own
// resources are merged, before the template is written.

class StageDependencyPlugin {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'before:aws:package:finalize:saveServiceState': () => this.addDependencies() };
  }

  addDependencies() {
    const resources = this.serverless.service.provider.compiledCloudFormationTemplate.Resources;
    const deployments = Object.keys(resources).filter((id) => resources[id].Type === 'AWS::ApiGateway::Deployment');
    const associations = Object.values(resources).filter((r) => r.Type === 'AWS::WAFv2::WebACLAssociation');
    if (associations.length === 0) return;
    if (deployments.length !== 1) {
      throw new this.serverless.classes.Error(`a web ACL association needs the API stage: expected one AWS::ApiGateway::Deployment in the template, found ${deployments.length}`);
    }
    for (const association of associations) {
      const dependsOn = association.DependsOn === undefined ? [] : [].concat(association.DependsOn);
      association.DependsOn = [...new Set([...dependsOn, deployments[0]])];
    }
  }
}

module.exports = StageDependencyPlugin;
