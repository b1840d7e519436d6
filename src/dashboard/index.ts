export { ASSET_PATHS, dashboardAsset, dashboardPage, type AssetPath } from './assets.js';
export { parseHostMetrics, type HostMetrics } from './host-metrics.js';
export { tailChannel, type TailOptions } from './log-tail.js';
