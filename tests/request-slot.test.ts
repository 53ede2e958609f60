import { requestSlot } from '../lib/observability/request-slot';

describe('requestSlot', () => {
  it('carries a value on the object itself, unseen by keys, spreads and JSON', () => {
    const slot = requestSlot<{ model: string }>('facts');
    const event = { httpMethod: 'POST', body: '{}' };
    expect(slot.has(event)).toBe(false);
    expect(slot.get(event)).toBeUndefined();
    slot.set(event, { model: 'churn' });
    expect(slot.has(event)).toBe(true);
    expect(slot.get(event)).toEqual({ model: 'churn' });
    expect(Object.keys(event)).toEqual(['httpMethod', 'body']);
    expect(JSON.stringify(event)).toBe('{"httpMethod":"POST","body":"{}"}');
    expect(slot.has({ ...event })).toBe(false);
  });

  it('keeps two slots apart, and a later value replaces an earlier one', () => {
    const a = requestSlot<number>('a');
    const b = requestSlot<number>('b');
    const owner = {};
    a.set(owner, 1);
    b.set(owner, 2);
    a.set(owner, 3);
    expect([a.get(owner), b.get(owner)]).toEqual([3, 2]);
  });

  it('works on an object that cannot take a property (frozen)', () => {
    const slot = requestSlot<string>('id');
    const frozen = Object.freeze({ httpMethod: 'GET' });
    slot.set(frozen, 'x');
    expect(slot.get(frozen)).toBe('x');
    expect(slot.has(frozen)).toBe(true);
  });
});
