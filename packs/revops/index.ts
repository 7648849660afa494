export { LEAD_TABLES } from './leads/lead-tables.ts';
export { LeadIntake, LEAD_SOURCES, type IntakeOutcome, type Lead, type LeadInput, type LeadSource, type LeadStatus } from './leads/lead-intake.ts';
export { DuplicateIndex, type Match, type MatchRule } from './leads/duplicates.ts';
export { normalizeLead, type NormalizedLead } from './leads/normalize.ts';
export { ROUTING_TABLES } from './routing/routing-tables.ts';
export { LeadRouter, type ReplayedLead, type RoutableLead, type Routing } from './routing/lead-router.ts';
export { parseRoutingPolicy, type RoutingPolicy } from './routing/routing-policy.ts';
export { publishRoutingPolicy } from './routing/publish-routing-policy.ts';
