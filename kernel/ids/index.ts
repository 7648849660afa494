export { timeOrderedId } from './time-ordered-id.ts';
