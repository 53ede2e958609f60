import type { FromSchema, JSONSchema } from 'json-schema-to-ts';

/**
 * What a model's training did to its data before the model saw it, as the
 * training script records it in the manifest (`preprocessing`). The service
 * applies the same steps to every record of every request format (names and
 * missing numbers as records are read, ./request.ts; text values as they are
 * encoded), so raw
 * rows (the published Telco CSV as it is) score as training saw them. Data,
 * not code: a new model states its steps, nothing here changes.
 */

/** Lower-case (optional), then each [old, new] replacement in order, as pandas' str.lower().str.replace(old, new). */
const textRuleSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    lowercase: { type: 'boolean' },
    replace: {
      type: 'array',
      items: { type: 'array', minItems: 2, maxItems: 2, items: [{ type: 'string', minLength: 1 }, { type: 'string' }] },
    },
  },
} as const satisfies JSONSchema;
export type TextRule = FromSchema<typeof textRuleSchema>;

/** The manifest's `preprocessing` block; unknown steps are refused, so a step the service does not apply is never silently skipped. */
export const preprocessingSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    /** How training spelt its column names; a sent name is matched after this rule, and case-insensitively. */
    field_names: textRuleSchema,
    /** Numeric fields whose missing values training filled: a blank text (empty or spaces only) or null becomes the number. */
    missing_numbers: { type: 'object', additionalProperties: { type: 'number' } },
    /**
     * What training did to text values. Applied where the kind matches text
     * against what training saw: a categorical value is looked up as sent,
     * then through this rule (one-hot-encoder.ts), so values already written
     * as training wrote them cost nothing more.
     */
    text_values: textRuleSchema,
  },
} as const satisfies JSONSchema;
export type Preprocessing = FromSchema<typeof preprocessingSchema>;

/** A text through a rule. */
export function applyRule(rule: TextRule, text: string): string {
  let out = rule.lowercase ? text.toLowerCase() : text;
  for (const [from, to] of rule.replace ?? []) out = out.replaceAll(from, to);
  return out;
}

/** What a field name is matched as: the manifest's name rule, then lower-cased (names always match case-insensitively). */
export function nameKey(rule: TextRule | undefined, name: string): string {
  return (rule ? applyRule(rule, name) : name).toLowerCase();
}

/** A value a missing-number fill applies to: null (pandas' NaN in JSON) or text that is empty or spaces only. */
export function isBlank(value: unknown): boolean {
  return value === null || (typeof value === 'string' && value.trim() === '');
}
