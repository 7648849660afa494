export { DEFAULT_POLICY_DIR, loadPolicyBundle, policyFileTexts, PolicyBundleError, proposeBundle, type BundleRevision, type PolicyBundle } from './bundle.ts';
export {
  ACTIONS, DUAL_CONTROL_ACTIONS, NAMESPACE, newDecisionId, PolicyEngine, toUid,
  type AuthorizationRequest, type CedarRequest, type Decision, type DecisionContext, type PolicyAction, type PrincipalAttributes, type ResourceAttributes,
} from './engine.ts';
export { loadCaseFiles, parseCases, PolicyCaseError, runCases, type CaseResult, type PolicyCase } from './regression.ts';
