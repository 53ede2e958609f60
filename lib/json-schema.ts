import * as Type from '@sinclair/typebox';

/**
 * JSON schemas written once, with TypeBox: each schema's TypeScript type is
 * derived from it (Type.Static), so a type and the schema that checks it
 * cannot drift apart. TypeBox's schemas are plain JSON Schema objects (its
 * own marks are symbol keys, which JSON.stringify and Ajv do not see), so
 * lib/ajv.ts keys and compiles them as before. Imported as a namespace of
 * named builders: esbuild keeps only the builders used (~5 KB of the
 * bundles), where TypeBox's `Type` builder object would bring all of them.
 *
 * The builders below write the few schemas TypeBox's own would write
 * differently from what the service has always checked, so that the same
 * documents pass and fail with the same errors.
 */

/** One of these strings, as `enum` (a union of Type.Literal would be an anyOf of consts, with other errors). */
export function StringEnum<const T extends string>(values: readonly T[]): Type.TUnsafe<T> {
  return Type.Unsafe<T>({ enum: values });
}

/** An object of any keys, each holding `value`, as `additionalProperties` (Type.Record writes patternProperties). */
export function Dictionary<V extends Type.TSchema>(value: V, options: Type.ObjectOptions = {}): Type.TUnsafe<Record<string, Type.Static<V>>> {
  return Type.Unsafe<Record<string, Type.Static<V>>>({ ...options, type: 'object', additionalProperties: value });
}

/** Any JSON object, its keys unchecked (Type.Object({}) would add `properties`). */
export function AnyObject(options: Type.SchemaOptions = {}): Type.TUnsafe<Record<string, unknown>> {
  return Type.Unsafe<Record<string, unknown>>({ ...options, type: 'object' });
}

/** Any JSON array, its items unchecked (Type.Array(Type.Unknown()) would add `items`). */
export function AnyArray(options: Type.SchemaOptions = {}): Type.TUnsafe<unknown[]> {
  return Type.Unsafe<unknown[]>({ ...options, type: 'array' });
}

/** [a, b], in draft 7's tuple form bounded by minItems and maxItems (Type.Tuple also writes additionalItems, a second error for a third item). */
export function Pair<A extends Type.TSchema, B extends Type.TSchema>(a: A, b: B): Type.TUnsafe<[Type.Static<A>, Type.Static<B>]> {
  return Type.Unsafe<[Type.Static<A>, Type.Static<B>]>({ type: 'array', minItems: 2, maxItems: 2, items: [a, b] });
}
