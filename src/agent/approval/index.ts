export * from './policy.js';
export * from './signature.js';
export * from './resume.js';
