export { LEAD_TABLES } from './leads/lead-tables.ts';
export { LeadIntake, LEAD_SOURCES, type IntakeOutcome, type Lead, type LeadInput, type LeadSource, type LeadStatus } from './leads/lead-intake.ts';
export { DuplicateIndex, type Match, type MatchRule } from './leads/duplicates.ts';
export { normalizeLead, type NormalizedLead } from './leads/normalize.ts';
