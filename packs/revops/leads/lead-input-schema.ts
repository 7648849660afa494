import { LEAD_SOURCES } from './lead-intake.ts';

/** A lead as sent, over the API or as a `revops.lead.submitted` event's data: one JSON Schema for both. */

const ID = '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$';
const text = (maxLength: number, description: string) => ({ type: 'string', maxLength, description }) as const;

export const leadInputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['source'],
  anyOf: [{ required: ['email'] }, { required: ['phone'] }],
  properties: {
    id: { type: 'string', pattern: ID, maxLength: 128, description: "The client's id for the lead: sending it again answers the lead already taken, adding nothing." },
    source: { type: 'string', enum: [...LEAD_SOURCES], description: 'How it came in.' },
    origin: text(200, "Who submitted it (a web form's client address, a partner's id): web-form leads are rate-limited per origin."),
    email: text(320, 'Email address; the mailbox and domain are normalized for matching.'),
    phone: text(64, 'Phone number in any common format; stored as E.164 (country from `country`, else US).'),
    first_name: text(200, 'Given name.'),
    last_name: text(200, 'Family name.'),
    company: text(300, 'Company name; legal suffixes (Inc., GmbH …) are ignored for matching.'),
    website: text(500, "The company's website: its domain when the email is a free mail address."),
    country: { type: 'string', pattern: '^[A-Za-z]{2}$', description: 'ISO 3166-1 alpha-2 country code.' },
    honeypot: text(2000, 'The hidden form field: a lead that fills it is parked as spam.'),
    segment: text(64, 'What routing rules may look at: the market segment (e.g. enterprise, smb).'),
    arr_band: text(32, 'What routing rules may look at: the expected ARR band (e.g. 1m-5m).'),
    icp_score: { type: 'number', minimum: 0, maximum: 100, description: 'What routing rules may look at: the ideal-customer-profile fit, 0–100.' },
    employees: { type: 'integer', minimum: 0, description: 'What routing rules may look at: the company\'s head count.' },
  },
} as const;
