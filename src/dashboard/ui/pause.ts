import { pauseOf, plural, type ApprovalAnswer, type HeldCall } from '../../client/approval.js';
import { clientApi, getJson, messageOf, refusalOf, sdk } from './api.js';
import { errorBox, h, idText, route, show, when } from './dom.js';
import { cutNote, describeText, heldCallView, waitSpan, type HeldCallView } from './held-call.js';
import { PAUSE_REASONS, type ApiRun } from './types.js';

/**
 * The part of the run page that answers a paused run: the tool calls it holds for a person, with
 * Approve and Reject, or the breakpoint it stopped at, with Continue. An answer is a new run on
 * the thread (as with the CLI's approve and reject); the page then follows that run.
 */

/** `GET /dashboard/api/approval`: the server's policy, and how long a held call waits. */
export interface ApprovalSettings {
  policy: string;
  timeoutMs: number;
}

export function approvalSettings(): Promise<ApprovalSettings> {
  return getJson<ApprovalSettings>('/dashboard/api/approval');
}

/** A run request that answers a pause: a resume for held calls, `input: null` at a breakpoint. */
type Answer = { command: { resume: ApprovalAnswer } } | { input: null };

/**
 * Draws what `run` waits for into `target` (hidden when it waits for nothing). Only the thread's
 * latest run can wait: an older pause was answered, and the page says by which run.
 */
export async function drawPause(
  target: HTMLElement,
  run: ApiRun,
  signal: AbortSignal,
): Promise<void> {
  if (run.status !== 'interrupted' || !PAUSE_REASONS.has(run.stop_reason ?? '')) {
    target.hidden = true;
    return;
  }
  const runs = (await sdk().runs.list(run.thread_id, { limit: 100 })) as unknown as ApiRun[];
  const at = runs.findIndex((other) => other.run_id === run.run_id);
  if (at !== 0) {
    if (signal.aborted) return;
    // Newest first: the run after this one is the one before it in the list.
    const next = at > 0 ? runs[at - 1] : runs[0];
    target.hidden = false;
    return drawAnswered(target, run, next);
  }
  const [pause, settings] = await Promise.all([
    pauseOf(clientApi(), run.thread_id),
    // Only the note on the timeout needs these: the answer works without them.
    approvalSettings().catch(() => undefined),
  ]);
  if (signal.aborted) return;
  target.hidden = pause === undefined;
  if (pause?.kind === 'approval') drawApproval(target, run, pause.calls, settings, signal);
  else if (pause?.kind === 'breakpoint') drawBreakpoint(target, run, pause.next, signal);
}

function drawAnswered(target: HTMLElement, run: ApiRun, next: ApiRun | undefined): void {
  const what =
    run.stop_reason === 'approval'
      ? 'This run waited for approval of tool calls. It has been answered (by a person, or by the approval timeout)'
      : 'This run paused at a breakpoint. The thread has gone on';
  show(
    target,
    h('h2', {}, 'Answered'),
    next
      ? h(
          'p',
          { id: 'answered-by' },
          `${what}; run `,
          idText(next.run_id, route('run', next.thread_id, next.run_id)),
          ' carries on from here.',
        )
      : h('p', { id: 'answered-by' }, `${what}.`),
  );
}

function drawApproval(
  target: HTMLElement,
  run: ApiRun,
  calls: HeldCall[],
  settings: ApprovalSettings | undefined,
  signal: AbortSignal,
): void {
  const approve = h('button', { type: 'button', id: 'approve' }, 'Approve');
  const reject = h('button', { type: 'button', id: 'reject', class: 'secondary' }, 'Reject…');
  const reason = h('textarea', {
    id: 'reject-reason',
    rows: 3,
    maxlength: 2000,
    placeholder: 'for example: do not touch the CI files',
  });
  const confirm = h('button', { type: 'button', id: 'reject-confirm', class: 'danger' }, 'Reject');
  const back = h('button', { type: 'button', class: 'secondary' }, 'Back');
  const rejecting = h(
    'div',
    { class: 'reject-form', hidden: true },
    h(
      'label',
      { for: 'reject-reason' },
      'Why? (optional: the agent reads it and may try another way)',
    ),
    reason,
    h('div', { class: 'buttons' }, confirm, back),
  );
  const choice = h('div', { class: 'buttons' }, approve, reject);
  const status = h('p', { class: 'muted', role: 'status' });
  const problem = h('div', { class: 'problem' });
  const send = answerer(target, run, [approve, reject, confirm, back], status, problem, signal);

  approve.addEventListener('click', () => {
    void send({ command: { resume: { approved: true } } }, 'The approval was not sent:');
  });
  reject.addEventListener('click', () => {
    choice.hidden = true;
    rejecting.hidden = false;
    reason.focus();
  });
  back.addEventListener('click', () => {
    rejecting.hidden = true;
    choice.hidden = false;
  });
  confirm.addEventListener('click', () => {
    const why = reason.value.trim();
    const resume = { approved: false, ...(why === '' ? {} : { reason: why }) };
    void send({ command: { resume } }, 'The rejection was not sent:');
  });

  const deadline =
    settings && settings.timeoutMs > 0
      ? ` Unanswered, they are rejected after ${waitSpan(settings.timeoutMs)} (around ${when(new Date(Date.parse(run.updated_at) + settings.timeoutMs).toISOString())}).`
      : '';
  show(
    target,
    h('h2', {}, `Waiting for your approval: ${plural(calls.length, 'tool call')}`),
    h(
      'p',
      {},
      `Nothing of this has run. Approve runs ${calls.length === 1 ? 'it' : 'them'} as proposed; Reject runs none, and the agent is told why.${deadline}`,
    ),
    h('ol', { class: 'held-calls' }, ...calls.map((held) => drawHeldCall(heldCallView(held)))),
    choice,
    rejecting,
    status,
    problem,
  );
}

function drawHeldCall(call: HeldCallView): HTMLElement {
  const { target } = call;
  return h(
    'li',
    { class: 'held-call', 'data-call-id': call.id, 'data-tool': call.tool },
    h(
      'div',
      { class: 'held-head' },
      h('strong', { class: 'tool' }, call.tool),
      target?.kind === 'path' ? h('code', { class: 'held-path' }, target.text) : null,
    ),
    target?.kind === 'command' ? h('pre', { class: 'held-command' }, target.text) : null,
    ...call.texts.map((text) =>
      h(
        'details',
        { class: 'held-text', 'data-arg': text.name },
        h('summary', {}, describeText(text)),
        h('pre', {}, text.shown),
        text.cut ? h('p', { class: 'muted cut' }, cutNote(text)) : null,
      ),
    ),
    call.rest === null ? null : h('pre', { class: 'held-rest' }, call.rest),
    h('p', { class: 'why' }, h('span', { class: 'muted' }, 'Why it waits: '), call.reason),
  );
}

function drawBreakpoint(
  target: HTMLElement,
  run: ApiRun,
  next: string[],
  signal: AbortSignal,
): void {
  const go = h('button', { type: 'button', id: 'continue' }, 'Continue');
  const status = h('p', { class: 'muted', role: 'status' });
  const problem = h('div', { class: 'problem' });
  const send = answerer(target, run, [go], status, problem, signal);
  go.addEventListener('click', () => {
    void send({ input: null }, 'The run did not continue:');
  });
  const where =
    run.stop_reason === 'interrupt_after' ? 'a breakpoint after a step' : 'a breakpoint';
  show(
    target,
    h('h2', {}, 'Paused at a breakpoint'),
    h(
      'p',
      {},
      `The run stopped at ${where} it was started with; the next step is ${next.join(', ')}. Continue runs the thread on from there.`,
    ),
    h('div', { class: 'buttons' }, go),
    status,
    problem,
  );
}

/**
 * Sends an answer and opens the run it starts. When someone else answered first, the section is
 * drawn again (it now names the run that carried on) with the refusal in words above it.
 */
function answerer(
  target: HTMLElement,
  run: ApiRun,
  buttons: HTMLButtonElement[],
  status: HTMLElement,
  problem: HTMLElement,
  signal: AbortSignal,
): (answer: Answer, title: string) => Promise<void> {
  return async (answer, title) => {
    for (const button of buttons) button.disabled = true;
    show(problem);
    show(status, 'Sending your answer…');
    try {
      const started = await sdk().runs.create(run.thread_id, run.assistant_id, answer);
      location.hash = route('run', run.thread_id, started.run_id);
    } catch (error) {
      if (signal.aborted) return;
      const box = errorBox(title, messageOf(error));
      if (refusalOf(error)?.code !== 'THREAD_NOT_INTERRUPTED') {
        for (const button of buttons) button.disabled = false;
        show(status);
        show(problem, box);
        return;
      }
      await drawPause(target, run, signal).catch(() => undefined);
      target.hidden = false;
      const heading = target.querySelector('h2');
      if (heading) heading.after(box);
      else show(target, box);
    }
  };
}
