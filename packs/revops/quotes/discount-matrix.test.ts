import { describe, expect, it } from 'vitest';
import { discountOf, parseMoney } from './discount-matrix.ts';

const discount = (list: string, final: string) => discountOf(parseMoney(list, 'list_price'), parseMoney(final, 'final_price'));

describe('the discount matrix', () => {
  it('puts a discount in its band exactly at the edges, in decimals', () => {
    expect(discount('1000', '1000')).toMatchObject({ percent: '0.0000000000', band: { name: 'automatic' } });
    expect(discount('1000', '900')).toMatchObject({ percent: '10.0000000000', band: { name: 'automatic' } });
    expect(discount('1000', '899.99')).toMatchObject({ percent: '10.0010000000', band: { name: 'sales-lead' } });
    expect(discount('1000', '800')).toMatchObject({ percent: '20.0000000000', band: { name: 'sales-lead' } });
    expect(discount('1000', '799.9999999999')).toMatchObject({ band: { name: 'finance-and-ceo' } });
    // 0.1 + 0.2 style: a float would put 10% of 0.3 a hair above or below the edge.
    expect(discount('0.3', '0.27')).toMatchObject({ percent: '10.0000000000', band: { name: 'automatic' } });
    expect(discount('99999999999999999999.99', '89999999999999999999.991')).toMatchObject({ percent: '10.0000000000', band: { name: 'automatic' } });
    expect(discount('3', '2')).toMatchObject({ percent: '33.3333333333', band: { name: 'finance-and-ceo', approval: { combine: 'all' } } });
  });

  it('refuses prices that are not decimal strings, a zero list price and a markup', () => {
    for (const bad of [1000, '1e3', '-5', '12.', '1.00000000001', '', null, '1,000.00']) {
      expect(() => parseMoney(bad, 'list_price'), String(bad)).toThrow(expect.objectContaining({ code: 'QUOTE_INVALID' }));
    }
    expect(() => discount('0', '0')).toThrow(expect.objectContaining({ code: 'QUOTE_INVALID' }));
    expect(() => discount('100', '100.01')).toThrow(expect.objectContaining({ code: 'QUOTE_INVALID' }));
  });
});
