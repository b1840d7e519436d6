import { h } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 240;
const HEIGHT = 60;

/** A small line chart of `samples` (oldest first) as inline SVG, with the latest value beside it. */
export function sparkline(label: string, samples: number[]): HTMLElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `${label} over the last ${samples.length} samples`);
  const low = Math.min(...samples);
  const high = Math.max(...samples);
  const span = high - low || 1;
  const step = samples.length > 1 ? WIDTH / (samples.length - 1) : 0;
  const points = samples.map((value, index) => {
    const y = HEIGHT - 4 - ((value - low) / span) * (HEIGHT - 8);
    return `${(index * step).toFixed(1)},${y.toFixed(1)}`;
  });
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute(
    'points',
    points.length === 1 ? `0,${HEIGHT / 2} ${WIDTH},${HEIGHT / 2}` : points.join(' '),
  );
  line.setAttribute('fill', 'none');
  line.setAttribute('stroke', 'currentColor');
  line.setAttribute('stroke-width', '2');
  line.setAttribute('vector-effect', 'non-scaling-stroke');
  svg.append(line);
  const latest = samples.at(-1) ?? 0;
  return h(
    'figure',
    { class: 'chart', 'data-metric': label },
    h('figcaption', {}, h('span', {}, label), h('strong', { class: 'value' }, latest)),
    svg,
  );
}
