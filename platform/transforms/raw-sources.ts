/** The raw tables the warehouse migrations create, as sources models read with `{{ source('raw', …) }}`. */
export const RAW_SOURCES = { raw: ['events', 'events_quarantine', 'bill_rows', 'bill_batches'] } as const;
export const PROJECT_NAME = 'companyos';
