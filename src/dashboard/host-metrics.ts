/** The few numbers of the worker host's Prometheus text that the system page charts. */
export interface HostMetrics {
  /** Function invocations since the host started, every outcome. */
  invocations: number;
  /**
   * Of those, the ones that did not succeed (every outcome but `ok`): what the invocation
   * error-ratio alert counts as failed, so the page and the alert count the same calls.
   */
  errors: number;
  /** Worker processes now, all functions and states. */
  workers: number;
  /** Worker processes by function. */
  workersByFunction: Record<string, number>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseHostMetrics(text: string): HostMetrics {
  const metrics: HostMetrics = { invocations: 0, errors: 0, workers: 0, workersByFunction: {} };
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) continue;
    const [, name, labelText = '', rawValue = ''] = match;
    const value = Number(rawValue);
    if (!Number.isFinite(value)) continue;
    const labels = Object.fromEntries(
      [...labelText.matchAll(LABEL)].map(([, key, text]) => [key, text]),
    );
    if (name === 'atolye_invocations_total') {
      metrics.invocations += value;
      if (labels.outcome !== 'ok') metrics.errors += value;
    } else if (name === 'atolye_workers') {
      metrics.workers += value;
      const fn = labels.function ?? 'unknown';
      metrics.workersByFunction[fn] = (metrics.workersByFunction[fn] ?? 0) + value;
    }
  }
  return metrics;
}
