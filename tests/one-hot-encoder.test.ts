import { createEncoder } from '../lib/kinds/binary-classification/one-hot-encoder';
import { churnManifest, parityFixture } from './helpers/models';

const manifest = churnManifest();
const encoder = createEncoder(manifest.features);
const customers = parityFixture().cases.map((c) => c.input);

/** DictVectorizer's rule, written from the column names alone: an independent second derivation. */
function dictVectorize(record: Record<string, string | number>): number[] {
  return manifest.columns.map((column) => {
    const [feature, value] = column.split('=', 2) as [string, string | undefined];
    if (value === undefined) return Math.fround(Number(record[feature]));
    return record[feature] === value ? 1 : 0;
  });
}

describe('createEncoder', () => {
  it('has one column per manifest column', () => {
    expect(encoder.width).toBe(manifest.columns.length);
  });

  it('encodes every fixture customer exactly as DictVectorizer lays out the columns', () => {
    const { data, unknownCategories } = encoder.encode(customers);
    expect(unknownCategories).toEqual([]);
    customers.forEach((customer, i) => {
      expect(Array.from(data.subarray(i * encoder.width, (i + 1) * encoder.width))).toEqual(dictVectorize(customer));
    });
  });

  it('sets no column for a categorical value unseen in training, and reports it', () => {
    const customer = { ...customers[0], contract: 'weekly', paymentmethod: 'bitcoin' };
    const { data, unknownCategories } = encoder.encode([customers[0]!, customer]);
    const row = Array.from(data.subarray(encoder.width));
    manifest.columns.forEach((column, i) => {
      if (column.startsWith('contract=') || column.startsWith('paymentmethod=')) expect(row[i]).toBe(0);
    });
    expect(unknownCategories).toEqual([
      { index: 1, feature: 'contract', value: 'weekly' },
      { index: 1, feature: 'paymentmethod', value: 'bitcoin' },
    ]);
  });

  it('treats seniorcitizen as one numeric column, as DictVectorizer does with numbers', () => {
    expect(manifest.columns).toContain('seniorcitizen');
    expect(manifest.columns.some((c) => c.startsWith('seniorcitizen='))).toBe(false);
    const column = manifest.columns.indexOf('seniorcitizen');
    const { data } = encoder.encode([{ ...customers[0], seniorcitizen: 1 }]);
    expect(data[column]).toBe(1);
  });

  it('does not confuse inherited object keys with known values', () => {
    const { unknownCategories } = encoder.encode([{ ...customers[0], contract: '__proto__' }]);
    expect(unknownCategories).toEqual([{ index: 0, feature: 'contract', value: '__proto__' }]);
  });

  it('encodes an empty batch as an empty tensor', () => {
    expect(encoder.encode([]).data).toHaveLength(0);
  });
});
