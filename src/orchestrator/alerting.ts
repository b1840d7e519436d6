import type { AtolyeConfig } from '../config/index.js';
import { errorMessage } from '../errors.js';
import type { log } from '../logging/index.js';
import {
  AlertEvaluator,
  sumSeries,
  type ActiveAlert,
  type AlertSample,
} from '../monitoring/alerts.js';
import type { OrchestratorMetrics } from './metrics.js';
import { deliverWebhook } from './webhook.js';

export interface Alerting {
  active(): ActiveAlert[];
  /** Samples and evaluates once now (the timer does it every `alerts.intervalMs`). */
  tick(): Promise<void>;
  stop(): void;
}

type Logger = ReturnType<typeof log>;

/**
 * The embedded alerts: every `alerts.intervalMs` the orchestrator reads the host's counters from
 * its /metrics and its own run counters, and evaluates the rules of deploy/monitoring/alerts.
 * A firing alert is an error line in `system` (and so in `errors` and Sentry); it and its
 * resolution go to `alerts.webhookUrl` when set.
 */
export function startAlerting(options: {
  config: AtolyeConfig;
  hostUrl: string;
  metrics: OrchestratorMetrics;
  logger: Logger;
}): Alerting {
  const { config, logger } = options;
  const notify = (status: 'firing' | 'resolved', alert: ActiveAlert): void => {
    if (config.alerts.webhookUrl !== '') {
      void deliverWebhook(config.alerts.webhookUrl, { status, alert }, logger);
    }
  };
  const evaluator = new AlertEvaluator({
    fired: (alert) => {
      logger.error(`alert firing: ${alert.name}: ${alert.summary}`, { alert });
      notify('firing', alert);
    },
    resolved: (alert) => {
      logger.info(`alert resolved: ${alert.name}`, { alert });
      notify('resolved', alert);
    },
  });

  let unreachableLogged = false;
  async function sample(): Promise<AlertSample | undefined> {
    let hostText: string;
    try {
      const response = await fetch(`${options.hostUrl}/metrics`, {
        signal: AbortSignal.timeout(5_000),
      });
      hostText = await response.text();
    } catch (error) {
      // The host being down is the readiness check's to report; no sample, no false ratio.
      if (!unreachableLogged) {
        logger.warn(`alerts: cannot read the host's metrics: ${errorMessage(error)}`);
        unreachableLogged = true;
      }
      return undefined;
    }
    unreachableLogged = false;
    const ownText = await options.metrics.text();
    const hasLogGauge = /^atolye_log_dir_free_bytes /m.test(hostText);
    return {
      at: Date.now(),
      invocations: {
        total: sumSeries(hostText, 'atolye_invocations_total'),
        failed: sumSeries(
          hostText,
          'atolye_invocations_total',
          (labels) => !labels.includes('outcome="ok"'),
        ),
      },
      runs: {
        total: sumSeries(ownText, 'atolye_runs_total'),
        failed: sumSeries(
          ownText,
          'atolye_runs_total',
          (labels) => !/status="(success|interrupted)"/.test(labels),
        ),
      },
      ...(hasLogGauge ? { logFreeBytes: sumSeries(hostText, 'atolye_log_dir_free_bytes') } : {}),
    };
  }

  const tick = async (): Promise<void> => {
    const next = await sample();
    if (next) evaluator.evaluate(next);
  };
  const timer =
    config.alerts.intervalMs > 0
      ? setInterval(() => void tick(), config.alerts.intervalMs).unref()
      : undefined;
  return {
    active: () => evaluator.active(),
    tick,
    stop: () => clearInterval(timer),
  };
}
