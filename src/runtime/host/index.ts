export { FunctionPool, type PoolDeps } from './pool.js';
export { WorkerFleet, type FleetDeps } from './worker-fleet.js';
export { RestartGate } from './restart-gate.js';
export { describeExit } from './worker-exit.js';
export {
  WorkerProcess,
  type WorkerExit,
  type WorkerState,
  type ExitReason,
} from './worker-process.js';
export { Registry } from './registry.js';
export {
  createGateway,
  DEFAULT_BODY_LIMIT,
  type Gateway,
  type GatewayAddress,
  type GatewayOptions,
  type RouteContext,
  type RouteHandler,
  type RouteMatcher,
} from './gateway.js';
export { HttpError } from './http.js';
export { HostMetrics, outcomeOf, DURATION_BUCKETS, type Outcome } from './metrics.js';
export {
  IdempotencyCache,
  type StoredReply,
  type IdempotencyOptions,
  type SharedReplies,
  type SharedReply,
} from './idempotency.js';
export {
  postgresReplies,
  type PostgresReplies,
  type PostgresRepliesOptions,
} from './postgres-replies.js';
export {
  ServiceSupervisor,
  type ServiceSpec,
  type ServiceStatus,
  type ServiceState,
} from './services.js';
export {
  hostLogger,
  silentLogger,
  outsideRequest,
  type HostLogger,
  type RecordStamp,
} from './log.js';
export { workerEnv } from './worker-env.js';
export { restartDelay, DEFAULT_RESTART_BACKOFF, type RestartBackoff } from './backoff.js';
export type * from './types.js';
