/**
 * One tenant's slice of the benchmark graph, deterministic per tenant index:
 * node 0 is the Tenant; the rest, per 100 nodes, 30 Person, 5 Company, 30 Asset,
 * 10 Workflow, 3 Policy, 10 Invoice, 4 Runbook, 8 Incident, with ~1.9 edges a node
 * (people belong to companies and own or are entitled to assets, policies govern
 * assets and workflows, invoices bill companies, runbooks answer incidents, ...).
 */
type NodeType = 'Tenant' | 'Person' | 'Company' | 'Asset' | 'Workflow' | 'Policy' | 'Invoice' | 'Runbook' | 'Incident';

const SHAPE: [NodeType, number][] = [['Person', 30], ['Company', 5], ['Asset', 30], ['Workflow', 10], ['Policy', 3], ['Invoice', 10], ['Runbook', 4], ['Incident', 8]];
const BUCKETS: NodeType[] = SHAPE.flatMap(([type, n]) => Array<NodeType>(n).fill(type));

export interface GraphEntity {
  id: string;
  type: NodeType;
  name: string;
  data_class?: string;
  attributes?: Record<string, unknown>;
}

export interface TenantGraph {
  entities: GraphEntity[];
  edges: { type: string; from: string; to: string }[];
  /** Ids of one type, in index order. */
  ids: Record<NodeType, string[]>;
}

export const entityId = (tenant: number, i: number) => `t${String(tenant).padStart(2, '0')}-e${String(i).padStart(5, '0')}`;

export function tenantGraph(tenant: number, nodes: number): TenantGraph {
  const ids = Object.fromEntries([['Tenant', []], ...SHAPE.map(([type]) => [type, []])]) as unknown as Record<NodeType, string[]>;
  const entities: GraphEntity[] = [];
  for (let i = 0; i < nodes; i++) {
    const type = i === 0 ? 'Tenant' : BUCKETS[(i - 1) % BUCKETS.length]!;
    const id = entityId(tenant, i);
    ids[type].push(id);
    entities.push({ id, type, name: `${type} ${i} of tenant ${tenant}`, ...details(type, i) });
  }
  // The k-th pick of a type: spread over all of its ids, never the node itself.
  const pick = (type: NodeType, k: number, not?: string) => {
    const list = ids[type];
    const id = list[(k * 7919 + 13) % list.length]!;
    return id === not ? list[(k * 7919 + 14) % list.length]! : id;
  };
  const edges: TenantGraph['edges'] = [];
  const edge = (type: string, from: string, to: string) => edges.push({ type, from, to });
  entities.forEach(({ id, type }, i) => {
    switch (type) {
      case 'Person':
        edge('MEMBER_OF', id, pick('Company', i));
        edge(i % 2 ? 'OWNS' : 'ENTITLED_TO', id, pick('Asset', i));
        if (i % 3 === 0) edge('ENTITLED_TO', id, pick('Asset', i + 1));
        break;
      case 'Company':
        edge('MEMBER_OF', id, ids.Tenant[0]!);
        edge('OWNS', id, pick('Asset', i));
        break;
      case 'Asset':
        edge('TRIGGERS', id, pick('Workflow', i));
        edge('EMITS', id, pick('Incident', i));
        break;
      case 'Workflow':
        edge('TRIGGERS', id, pick('Workflow', i, id));
        edge('EMITS', id, pick('Invoice', i));
        break;
      case 'Policy':
        edge('GOVERNS', id, pick('Asset', i));
        edge('GOVERNS', id, pick('Workflow', i));
        break;
      case 'Invoice':
        edge('BILLS_TO', id, pick('Company', i));
        break;
      case 'Runbook':
        edge('GOVERNS', id, pick('Incident', i));
        edge('TRIGGERS', id, pick('Workflow', i));
        break;
      case 'Incident':
        edge('TRIGGERS', id, pick('Runbook', i));
        break;
    }
  });
  return { entities, edges, ids };
}

function details(type: NodeType, i: number): Pick<GraphEntity, 'data_class' | 'attributes'> {
  switch (type) {
    case 'Person':
      return { data_class: 'confidential', attributes: { email: `person${i}@example.com`, title: i % 10 ? 'engineer' : 'manager' } };
    case 'Asset':
      return { attributes: { sku: `sku-${i % 40}`, monthlyCost: (i % 500) + 0.5 } };
    case 'Invoice':
      return { data_class: 'confidential', attributes: { amountCents: (i * 137) % 1_000_000, currency: 'USD' } };
    case 'Incident':
      return { attributes: { severity: ['sev1', 'sev2', 'sev3'][i % 3] } };
    case 'Policy':
      return { data_class: 'public' };
    default:
      return {};
  }
}
