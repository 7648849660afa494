import type { TenantScope } from '../../../platform/tenancy/index.ts';
import { DEFAULT_MAX_BILL_BYTES } from '../../../surfaces/http/kit/index.ts';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { BILL_FORMATS, BillFileError, findImportedBill, importBillFile, type BillFormat } from '../index.ts';
import type { Warehouse } from '../../../kernel/warehouse/index.ts';
import { DomainError } from '../../../kernel/errors/index.ts';
import { continueUpload } from '../../../surfaces/http/kit/index.ts';
import { receiptHeader } from '../../../surfaces/http/kit/index.ts';
import { storeUpload } from './upload-file.ts';
import { ownResource } from '../../../surfaces/http/kit/index.ts';

const BILL_TYPES = ['text/csv', 'application/gzip', 'application/octet-stream', 'application/vnd.apache.parquet'];


export interface BillUploadOptions {
  warehouse: Warehouse;
  /** A tenant's data (TenantScope): where a file imported before is found. */
  scope(tenant: string): TenantScope;
  /** Largest file accepted; larger ones answer 413 (default 2 GiB). */
  maxBytes?: number;
  /** Where uploads are stored while they are imported (default: the OS temp folder). */
  dir?: string;
}

const billImportSchema = {
  type: 'object',
  description: 'The batch the file was imported as (or, for a file imported before, the batch it was imported as then: nothing is written again).',
  required: ['batch_id', 'file_name', 'checksum', 'format', 'rows_read', 'rows_loaded', 'rows_parked', 'already_imported', 'notes', 'parked', 'seconds'],
  properties: {
    batch_id: { type: 'string' },
    file_name: { type: 'string' },
    checksum: { type: 'string', pattern: '^[0-9a-f]{64}$', description: "The file's SHA-256 (its receipt commits to it)." },
    format: { type: 'string', description: `The format it was read as: ${BILL_FORMATS.join(', ')}.` },
    rows_read: { type: 'integer' },
    rows_loaded: { type: 'integer' },
    rows_parked: { type: 'integer', description: 'Rows that could not be read, parked in bill_rows_parked with their line and column.' },
    already_imported: { type: 'boolean', description: 'True when a file with this checksum was imported before: nothing was written this time.' },
    notes: { type: 'array', items: { type: 'string' }, description: 'What the import noticed about the file.' },
    parked: {
      type: 'array',
      description: 'The first parked rows (all of them are in bill_rows_parked).',
      items: {
        type: 'object',
        required: ['line', 'column', 'code', 'reason', 'raw'],
        properties: {
          line: { type: 'integer' },
          column: { type: 'string' },
          code: { type: 'string', enum: ['BILL_VALUE_MISSING', 'BILL_VALUE_INVALID', 'BILL_ROW_MALFORMED'] },
          reason: { type: 'string' },
          raw: { type: 'string', description: 'The row as it was in the file.' },
        },
      },
    },
    seconds: { type: 'number' },
  },
} as const;

/** The request body: the file as it is, in any of BILL_TYPES (streamed to disk, never parsed by the server). */
const billFile = (description: string) => ({ schema: { description } });
const billBodies = {
  content: {
    'text/csv': billFile('A CSV bill file, as exported.'),
    'application/gzip': billFile("A CSV bill file compressed with gzip, as AWS delivers CUR (.csv.gz)."),
    'application/octet-stream': billFile('A bill file, CSV (plain or gzip-compressed) or Parquet (told apart by its first bytes), as exported.'),
    'application/vnd.apache.parquet': billFile('A Parquet bill file, as exported.'),
  },
} as const;

/** Bills belong to the tenant that imports them. */
const ownBills = ownResource('bills', 'Bills', 'confidential');

/**
 * `POST /v1/finops/bills`: the policy decision is taken on the headers, before
 * a byte of the body is read; an allowed upload is streamed to a file (hashed
 * on the way, size-capped), its receipt committed to that SHA-256, and only
 * then imported. A refused upload is answered with `Connection: close`, so its
 * body is never read (and a client that sent `Expect: 100-continue` never sends
 * it). The stream parser lives in this plugin's scope only.
 */
export function billUploadRoutes(app: FastifyInstance, options: BillUploadOptions): void {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BILL_BYTES;
  const dir = options.dir ?? tmpdir();
  void app.register(async (scope) => {
    scope.addContentTypeParser(BILL_TYPES, (_request, payload, done) => done(null, payload));

    scope.post<{ Querystring: { file_name?: string; format?: BillFormat } }>(
      '/v1/finops/bills',
      {
        schema: {
          operationId: 'uploadBill',
          summary: 'Import a cloud bill file (FOCUS 1.0–1.3, AWS CUR 2.0, GCP or Azure export; CSV or Parquet)',
          description:
            'The body is the file, streamed to disk (at most COMPANYOS_MAX_BILL_BYTES, else 413); the policy decision is taken before it is read. ' +
            'Privileged (admins and operators): its receipt, committed to the file\'s SHA-256, is written before the import. ' +
            'Re-sending a file already imported (same SHA-256) writes nothing, leaves no receipt and answers its batch.',
          tags: ['finops'],
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              file_name: { type: 'string', maxLength: 256, description: 'The file\'s name, recorded with the batch and named in messages (default bill.csv).' },
              format: { type: 'string', enum: [...BILL_FORMATS], description: 'The file\'s format (default: detected from its header).' },
            },
          },
          body: billBodies,
          response: { 200: { ...billImportSchema, headers: receiptHeader } },
        },
        config: { gate: { privileged: true, action: 'import_bills', receipt: 'before', upload: true, resource: ownBills } },
        onSend: async (request, reply, payload) => {
          // An unread body is left unread: the connection closes instead of draining it.
          if (!request.raw.complete) reply.header('connection', 'close');
          return payload;
        },
      },
      async (request, reply) => {
        const body = request.body as Readable | undefined;
        if (!body || typeof body.pipe !== 'function') {
          throw new DomainError('BAD_REQUEST', `Send the file as the body, with Content-Type ${BILL_TYPES.join(' or ')}.`);
        }
        const fileName = request.query.file_name ?? 'bill.csv';
        const declared = request.headers['content-length'];
        if (declared === undefined || Number(declared) <= maxBytes) continueUpload(request, reply);
        const upload = await storeUpload(body, {
          dir,
          maxBytes,
          suffix: fileName.toLowerCase().endsWith('.parquet') ? '.parquet' : '.csv',
          declaredBytes: declared === undefined ? undefined : Number(declared),
        });
        try {
          // A file imported before is answered as it was, writing nothing: no effect, no receipt.
          const previous = await findImportedBill(options.scope(request.principal!.tenant), upload.sha256, fileName);
          if (previous) {
            request.receipt!.unchanged = true;
            return previous;
          }
          await request.commitReceipt?.(upload.sha256);
          return await importBillFile(options.warehouse, upload.path, {
            tenant: request.principal!.tenant, format: request.query.format, fileName, checksum: upload.sha256,
          });
        } catch (error) {
          if (error instanceof BillFileError) throw new DomainError('BILL_FILE_INVALID', error.message.replaceAll(upload.path, fileName));
          throw error;
        } finally {
          await rm(upload.path, { force: true });
        }
      },
    );
  });
}
