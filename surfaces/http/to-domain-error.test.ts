import { httpStatusOf } from './kit/errors.ts';
import type { FastifyError } from 'fastify';
import { describe, expect, it } from 'vitest';
import { WarehouseError } from '../../kernel/warehouse/index.ts';
import { DomainError } from '../../kernel/errors/index.ts';
import { toDomainError } from './to-domain-error.ts';

function fastifyError(code: string, statusCode?: number, extra: Partial<FastifyError> = {}): FastifyError {
  return Object.assign(new Error(`fastify said ${code}`), { code, statusCode, ...extra }) as FastifyError;
}

describe('toDomainError', () => {
  it.each([
    [fastifyError('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415), 'UNSUPPORTED_MEDIA_TYPE', 415],
    [fastifyError('FST_ERR_CTP_BODY_TOO_LARGE', 413), 'BODY_TOO_LARGE', 413],
    [fastifyError('FST_ERR_CTP_EMPTY_JSON_BODY', 400), 'BODY_NOT_JSON', 400],
    [fastifyError('FST_ERR_CTP_INVALID_CONTENT_LENGTH', 400), 'BAD_REQUEST', 400],
    [fastifyError('FST_ERR_VALIDATION', 400, { validation: [] }), 'QUERY_INVALID', 400],
    [Object.assign(new SyntaxError('Unexpected token'), { code: undefined }) as unknown as FastifyError, 'BODY_NOT_JSON', 400],
    [new WarehouseError('disk gone') as unknown as FastifyError, 'WAREHOUSE_UNAVAILABLE', 503],
    [new Error('bug') as FastifyError, 'INTERNAL', 500],
  ])('maps %s onto the catalogue', (error, code, status) => {
    const mapped = toDomainError(error);
    expect(mapped).toBeInstanceOf(DomainError);
    expect([mapped.code, httpStatusOf(mapped)]).toEqual([code, status]);
  });

  it('keeps an DomainError as it is', () => {
    const original = new DomainError('TENANT_FORBIDDEN', 'detail');
    expect(toDomainError(original as unknown as FastifyError)).toBe(original);
  });

  it('never leaks an internal message into a 500', () => {
    expect(toDomainError(new Error('password=hunter2') as FastifyError).message).not.toContain('hunter2');
  });
});
