import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from './scim-directory.ts';

/** An attribute definition (RFC 7643 §7), with the defaults most attributes share. */
function attribute(name: string, more: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name, type: 'string', multiValued: false, description: '', required: false, caseExact: false,
    mutability: 'readWrite', returned: 'default', uniqueness: 'none', ...more,
  };
}

const sub = (names: string[]) => names.map((name) => attribute(name));

const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';
const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';

const schemas = [
  {
    schemas: [SCHEMA_SCHEMA], id: USER_SCHEMA, name: 'User', description: 'A person of the tenant',
    attributes: [
      attribute('userName', { required: true, uniqueness: 'server' }),
      attribute('name', { type: 'complex', subAttributes: sub(['formatted', 'familyName', 'givenName', 'middleName', 'honorificPrefix', 'honorificSuffix']) }),
      attribute('displayName'),
      attribute('nickName'),
      attribute('title'),
      attribute('preferredLanguage'),
      attribute('locale'),
      attribute('timezone'),
      attribute('active', { type: 'boolean' }),
      attribute('emails', { type: 'complex', multiValued: true, subAttributes: [...sub(['value', 'display', 'type']), attribute('primary', { type: 'boolean' })] }),
      attribute('phoneNumbers', { type: 'complex', multiValued: true, subAttributes: [...sub(['value', 'display', 'type']), attribute('primary', { type: 'boolean' })] }),
      attribute('groups', { type: 'complex', multiValued: true, mutability: 'readOnly', subAttributes: sub(['value', '$ref', 'display', 'type']) }),
    ],
    meta: { resourceType: 'Schema', location: `/Schemas/${USER_SCHEMA}` },
  },
  {
    schemas: [SCHEMA_SCHEMA], id: GROUP_SCHEMA, name: 'Group', description: 'A group of people of the tenant',
    attributes: [
      attribute('displayName', { required: true }),
      attribute('members', { type: 'complex', multiValued: true, subAttributes: [attribute('value', { mutability: 'immutable' }), attribute('$ref', { type: 'reference', referenceTypes: ['User'], mutability: 'immutable' }), attribute('display', { mutability: 'immutable' }), attribute('type', { mutability: 'immutable' })] }),
    ],
    meta: { resourceType: 'Schema', location: `/Schemas/${GROUP_SCHEMA}` },
  },
  {
    schemas: [SCHEMA_SCHEMA], id: ENTERPRISE_USER_SCHEMA, name: 'EnterpriseUser', description: 'Enterprise User',
    attributes: [
      ...sub(['employeeNumber', 'costCenter', 'organization', 'division', 'department']),
      attribute('manager', { type: 'complex', subAttributes: sub(['value', '$ref', 'displayName']) }),
    ],
    meta: { resourceType: 'Schema', location: `/Schemas/${ENTERPRISE_USER_SCHEMA}` },
  },
];

/** What `/Schemas`, `/ResourceTypes` and `/ServiceProviderConfig` answer (RFC 7643 §5–7). */
export const SCIM_DISCOVERY = {
  schemas,
  resourceTypes: (base: string) => [
    {
      schemas: [RESOURCE_TYPE_SCHEMA], id: 'User', name: 'User', endpoint: '/Users', description: 'People', schema: USER_SCHEMA,
      schemaExtensions: [{ schema: ENTERPRISE_USER_SCHEMA, required: false }], meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/User` },
    },
    {
      schemas: [RESOURCE_TYPE_SCHEMA], id: 'Group', name: 'Group', endpoint: '/Groups', description: 'Groups', schema: GROUP_SCHEMA,
      schemaExtensions: [], meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/Group` },
    },
  ],
  serviceProviderConfig: (base: string) => ({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
    documentationUri: 'https://github.com/companyos/platform/blob/main/platform/identity/README.md',
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: 200 },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: true },
    authenticationSchemes: [{ type: 'oauthbearertoken', name: 'OAuth Bearer Token', description: 'A token of the tenant with the admin or operator role', primary: true }],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
  }),
};
