import { secretValues } from '../config/mask.js';
import { resolveFromRoot } from '../config/paths.js';
import { resolveRelease } from '../config/release.js';
import type { AtolyeConfig } from '../config/schema.js';
import { errorMessage } from '../errors.js';
import { Pipeline, type Logging } from './pipeline.js';
import { createRedactor } from './redact.js';
import {
  ChannelFilesSink,
  ConsoleSink,
  ForwardSink,
  fanOut,
  stderrSink,
  type Sink,
} from './sinks.js';
import type { Channel, ChannelLogger, LogRecord } from './record.js';

export interface LoggingOptions {
  /** This process's name in every line; defaults to `config.service`. */
  service?: string;
  /** Defaults to `config.release`, else package version + git sha. */
  release?: string;
  /**
   * Send each finished record here instead of writing files. Workers forward to the host, the
   * only process that writes the channel files.
   */
  forward?: (record: LogRecord) => void;
}

/**
 * A process's logging from its configuration: the four channel files under `logging.dir` (plus
 * human lines on stderr when `logging.console` is on), or, with `forward`, no files at all.
 */
export function createLogging(config: AtolyeConfig, options: LoggingOptions = {}): Logging {
  const settings = {
    service: options.service ?? config.service,
    env: config.env,
    release: options.release ?? resolveRelease(config),
    level: config.logging.level,
    redact: createRedactor(secretValues(config)),
  };
  let sink: Sink;
  if (options.forward) {
    sink = new ForwardSink(options.forward);
  } else {
    const files = new ChannelFilesSink(
      resolveFromRoot(config.logging.dir),
      config.logging,
      fileErrorReporter(),
    );
    sink = config.logging.console ? fanOut([files, new ConsoleSink()]) : files;
  }
  return new Pipeline(settings, sink);
}

/** Before initLogging (and for code that never calls it): warnings and errors as JSON on stderr. */
const fallback = new Pipeline(
  {
    service: process.env.ATOLYE_SERVICE ?? 'atolye',
    env: process.env.ATOLYE_ENV ?? 'development',
    release: process.env.ATOLYE_RELEASE ?? '',
    level: 'warn',
    redact: createRedactor([]),
  },
  stderrSink,
);

let current: Logging = fallback;

/**
 * Sets up the process's logging once, at its entry point, and makes it the default behind
 * `log()`. The caller owns it: `await logging.close()` before exit.
 */
export function initLogging(config: AtolyeConfig, options: LoggingOptions = {}): Logging {
  current = createLogging(config, options);
  return current;
}

const defaults = new Map<Channel, ChannelLogger>();

/** The logger of `channel` in the process's default logging; safe to keep in a module constant. */
export function log(channel: Channel): ChannelLogger {
  let logger = defaults.get(channel);
  if (!logger) {
    logger = {
      error: (msg, meta) => current.log(channel).error(msg, meta),
      warn: (msg, meta) => current.log(channel).warn(msg, meta),
      info: (msg, meta) => current.log(channel).info(msg, meta),
      debug: (msg, meta) => current.log(channel).debug(msg, meta),
    };
    defaults.set(channel, logger);
  }
  return logger;
}

/**
 * A log file failed (disk full, permissions): say so on stderr, where an operator looks when the
 * files stop growing, once per kind of failure rather than once per line.
 */
function fileErrorReporter(): (error: Error) => void {
  const reported = new Set<string>();
  return (error) => {
    const kind = (error as NodeJS.ErrnoException).code ?? error.name;
    if (reported.has(kind)) return;
    reported.add(kind);
    fallback.log('system').error(`log file error: ${errorMessage(error)}`, { err: error });
  };
}
