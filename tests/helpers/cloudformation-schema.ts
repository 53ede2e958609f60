import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/**
 * AWS's published CloudFormation resource schemas
 * (@aws-cdk/aws-service-spec's db.json.gz), for checking a template's
 * resources: known property names, required properties present, values of
 * the declared types. A misspelt alarm property or a string where a number
 * belongs would otherwise surface only when CloudFormation deploys.
 */

interface PropertyType {
  type: string;
  element?: PropertyType;
  reference?: { $ref: string };
  types?: PropertyType[];
}
interface Property {
  type: PropertyType;
  required?: boolean;
  previousTypes?: PropertyType[];
}
interface Shape {
  $id: string;
  cloudFormationType?: string;
  properties: Record<string, Property>;
}

const db = JSON.parse(gunzipSync(readFileSync(require.resolve('@aws-cdk/aws-service-spec/db.json.gz'))).toString()) as {
  schema: { resource: { entities: Record<string, Shape> }; typeDefinition: { entities: Record<string, Shape> } };
};
export const resourceTypes = new Map(Object.values(db.schema.resource.entities).map((r) => [r.cloudFormationType!, r]));
// References name a type definition by its $id, not by its key in the table.
const typeDefinitions = new Map(Object.values(db.schema.typeDefinition.entities).map((t) => [t.$id, t]));

/** Ref, Fn::GetAtt, Fn::Sub, ...: resolved by CloudFormation, so any declared type may hold one. */
function isIntrinsic(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'));
}

function problems(value: unknown, type: PropertyType, at: string): string[] {
  if (isIntrinsic(value)) return [];
  const numeric = (v: unknown) => typeof v === 'number' || (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)));
  switch (type.type) {
    case 'string':
      // CloudFormation turns numbers and booleans into their text.
      return ['string', 'number', 'boolean'].includes(typeof value) ? [] : [`${at}: expected a string`];
    case 'integer':
      return numeric(value) && Number.isInteger(Number(value)) ? [] : [`${at}: expected an integer, got ${JSON.stringify(value)}`];
    case 'number':
      return numeric(value) ? [] : [`${at}: expected a number, got ${JSON.stringify(value)}`];
    case 'boolean':
      return typeof value === 'boolean' || value === 'true' || value === 'false' ? [] : [`${at}: expected a boolean`];
    case 'json':
      return [];
    case 'date-time':
      return typeof value === 'string' ? [] : [`${at}: expected a date-time string`];
    case 'array':
      return Array.isArray(value) ? value.flatMap((v, i) => problems(v, type.element!, `${at}[${i}]`)) : [`${at}: expected an array`];
    case 'map':
      return typeof value === 'object' && value !== null ? Object.entries(value).flatMap(([k, v]) => problems(v, type.element!, `${at}.${k}`)) : [`${at}: expected a map`];
    case 'ref': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${at}: expected an object`];
      return objectProblems(value as Record<string, unknown>, typeDefinitions.get(type.reference!.$ref)!, at);
    }
    case 'union':
      return type.types!.some((t) => problems(value, t, at).length === 0) ? [] : [`${at}: matches none of its types`];
    default:
      return [`${at}: unknown schema type ${type.type}`];
  }
}

export function objectProblems(value: Record<string, unknown>, shape: Shape, at: string): string[] {
  const found: string[] = [];
  for (const [name, property] of Object.entries(shape.properties)) {
    if (property.required && !(name in value)) found.push(`${at}.${name}: required`);
  }
  for (const [name, v] of Object.entries(value)) {
    const property = shape.properties[name];
    if (!property) {
      found.push(`${at}.${name}: no such property`);
      continue;
    }
    const candidates = [property.type, ...(property.previousTypes ?? [])];
    const each = candidates.map((t) => problems(v, t, `${at}.${name}`));
    if (each.every((p) => p.length > 0)) found.push(...each[0]!);
  }
  return found;
}
