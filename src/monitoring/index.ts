export {
  initSentry,
  isSentryEnabled,
  captureError,
  captureLogRecord,
  withSentryScope,
  flushSentry,
} from './sentry.js';
export { DEFAULT_SPOTLIGHT_URL, type SentryInitOptions } from './options.js';
export { TAG_KEYS, type ErrorContext, type SentryTags, type TagKey } from './context.js';
