export { startMockLlm, type MockLlm, type MockLlmOptions, type RecordedRequest } from './server.js';
export { loadScript, parseScript, type Script, type ScriptInput } from './script.js';
