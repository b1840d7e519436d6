import type * as z from 'zod';
import type { AgentStateValue } from '../../agent/graph/state.js';
import type { StoredMessageJson } from '../../agent/graph/steps.js';
import type { FileTree, Run } from '../../orchestrator/api/schemas.js';
import type { ImportResult } from '../../workspace/import-result.js';

/** The API's shapes, from the schemas the orchestrator validates them with. */
export type ApiRun = z.infer<typeof Run>;
export type ApiFileTree = z.infer<typeof FileTree>;
export type ApiImport = z.infer<typeof ImportResult>;
/** What a `values` event carries: the whole run state after a step. */
export type RunState = Partial<AgentStateValue>;

/** A message as the stream carries it (content may be blocks; an AI turn may hold tool calls). */
export type WireMessage = z.input<typeof StoredMessageJson>;
export interface WireToolCall {
  id?: string;
  name: string;
  args?: unknown;
}

/** A page draws itself into `view` and may return what stops its streams and timers. */
export type Page = (
  view: HTMLElement,
  args: string[],
  query: URLSearchParams,
) => (() => void) | void;

export const ACTIVE_STATUSES = new Set(['pending', 'running']);

/**
 * Why a paused run stopped: the orchestrator's PAUSE_REASONS (run-control.ts), which the page
 * cannot import (that module brings LangGraph, git and the file system). A cancelled run waits
 * for nothing.
 */
export const PAUSE_REASONS = new Set(['approval', 'interrupt_before', 'interrupt_after']);
