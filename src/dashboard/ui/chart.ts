import { h } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 240;
const HEIGHT = 60;
/** Fewer samples than this draw no line: one or two points make a flat line that means nothing. */
export const MIN_SAMPLES = 3;

export interface ChartOptions {
  /** What the number counts ("since the worker host started", "now"). */
  note: string;
  /** How far apart the samples are, to say what span the line covers. */
  sampleMs: number;
}

/**
 * One number and, once there are enough samples, a small line chart of it (oldest first) as
 * inline SVG. Until then the chart's place says it is collecting, and how far it has got.
 */
export function sparkline(
  metric: string,
  label: string,
  samples: number[],
  { note, sampleMs }: ChartOptions,
): HTMLElement {
  const latest = samples.at(-1) ?? 0;
  const span = `${Math.round(((samples.length - 1) * sampleMs) / 1000)} s`;
  return h(
    'figure',
    { class: 'chart', 'data-metric': metric, 'data-samples': samples.length },
    h(
      'figcaption',
      {},
      h('span', { class: 'label' }, label),
      h('strong', { class: 'value' }, latest),
      h('span', { class: 'note' }, note),
    ),
    samples.length < MIN_SAMPLES
      ? h(
          'div',
          { class: 'collecting', role: 'status' },
          `Collecting: ${samples.length} of ${MIN_SAMPLES} samples for a chart`,
        )
      : line(`${label} over the last ${span}`, samples),
    samples.length < MIN_SAMPLES ? null : h('span', { class: 'span' }, change(span, samples)),
  );
}

/** "last 10 s, no change", "last 10 s, +3": what the line shows, in words. */
function change(span: string, samples: number[]): string {
  const moved = (samples.at(-1) ?? 0) - (samples[0] ?? 0);
  const flat = samples.every((value) => value === samples[0]);
  if (flat) return `last ${span}, no change`;
  return `last ${span}, ${moved > 0 ? '+' : ''}${moved}`;
}

function line(description: string, samples: number[]): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', description);
  const low = Math.min(...samples);
  const high = Math.max(...samples);
  const step = WIDTH / (samples.length - 1);
  const points = samples.map((value, index) => {
    // An unchanged series runs through the middle, not along the edge where it looks like a border.
    const y =
      high === low ? HEIGHT / 2 : HEIGHT - 4 - ((value - low) / (high - low)) * (HEIGHT - 8);
    return `${(index * step).toFixed(1)},${y.toFixed(1)}`;
  });
  const polyline = document.createElementNS(SVG, 'polyline');
  polyline.setAttribute('points', points.join(' '));
  polyline.setAttribute('fill', 'none');
  polyline.setAttribute('stroke', 'currentColor');
  polyline.setAttribute('stroke-width', '2');
  polyline.setAttribute('vector-effect', 'non-scaling-stroke');
  svg.append(polyline);
  return svg;
}
