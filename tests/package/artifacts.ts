import { readFileSync } from 'node:fs';
import path from 'node:path';

export const artifactsRoot = path.resolve(__dirname, '..', '..', '.artifacts');

export interface Resource {
  Type: string;
  Properties: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- CloudFormation properties are free-form JSON
  DependsOn?: string | string[];
}

export interface Template {
  Resources: Record<string, Resource>;
}

/** serverless.yml as the CLI resolved it for a stage (variables, params, defaults). */
export interface ResolvedService {
  provider: {
    runtime: string;
    architecture: string;
    memorySize: number;
    timeout: number;
    logRetentionInDays: number;
    apiGateway: {
      apiKeys: Record<string, { name: string; value?: string | null }[]>[];
      usagePlan: Record<string, { throttle: { rateLimit: number; burstLimit: number }; quota: { limit: number; period: string } }>[];
    };
  };
  functions: Record<string, { name: string; reservedConcurrency?: number; timeout?: number; memorySize?: number }>;
}

export function template(stage: string): Template {
  return JSON.parse(readFileSync(path.join(artifactsRoot, stage, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
}

export function resolvedService(stage: string): ResolvedService {
  const state = JSON.parse(readFileSync(path.join(artifactsRoot, stage, 'serverless-state.json'), 'utf8')) as { service: ResolvedService };
  return state.service;
}

export function resourcesOfType(t: Template, type: string): [string, Resource][] {
  return Object.entries(t.Resources).filter(([, r]) => r.Type === type);
}

/** The full path of an API Gateway resource ("/models/{name}/predict"), from its chain of parents. */
export function resourcePath(t: Template, parent: unknown): string {
  const id = (parent as { Ref?: string }).Ref;
  if (id === undefined) return ''; // Fn::GetAtt of the API's root resource
  const resource = t.Resources[id]!;
  return `${resourcePath(t, resource.Properties.ParentId)}/${resource.Properties.PathPart as string}`;
}

/** Every route of the API as "METHOD /path" with its method resource's id, CORS preflight left out. */
export function routesOf(t: Template): { id: string; route: string; keyed: boolean }[] {
  return resourcesOfType(t, 'AWS::ApiGateway::Method')
    .filter(([, m]) => m.Properties.HttpMethod !== 'OPTIONS')
    .map(([id, m]) => ({ id, route: `${m.Properties.HttpMethod as string} ${resourcePath(t, m.Properties.ResourceId) || '/'}`, keyed: m.Properties.ApiKeyRequired === true }));
}
