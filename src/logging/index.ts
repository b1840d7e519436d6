export { createLogging, initLogging, log, type LoggingOptions } from './logging.js';
export type { Logging } from './pipeline.js';
export { withLogContext, currentLogContext } from './context.js';
export { setErrorReporter } from './reporter.js';
export { createRedactor, REDACTED, type Redactor } from './redact.js';
export {
  CHANNELS,
  LOG_LEVELS,
  type Channel,
  type ChannelLogger,
  type ErrorReporter,
  type LogContext,
  type LogLevel,
  type LogMeta,
  type LogRecord,
} from './record.js';
