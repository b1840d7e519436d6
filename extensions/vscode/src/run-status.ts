import * as vscode from 'vscode';
import type { StreamPart } from '../../../src/client/follow-run.js';
import { RunProgress } from '../../../src/cli/run-progress.js';

/**
 * How a run shows while it goes: the CLI's progress lines (a line per step with its time and
 * tokens, a line per tool call) in the `Atölye` output channel, the current step in a
 * notification and in a status-bar item, which stays after the run with its outcome.
 */

export class RunStatus implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  /** What the item shows: a run going, or the changes left to review after a successful one. */
  private showing: 'nothing' | 'working' | 'changes' | 'failed' = 'nothing';

  constructor() {
    this.item = vscode.window.createStatusBarItem('atolye.run', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'Atölye run';
  }

  working(text: string): void {
    this.showing = 'working';
    this.show(`$(sync~spin) Atölye: ${text}`, 'Atölye is working: click for its output', {
      command: 'atolye.showOutput',
      title: 'Show Output',
    });
  }

  finished(status: string, changes: number): void {
    if (status === 'success') {
      this.showing = 'changes';
      this.changesLeft(changes);
    } else {
      this.showing = 'failed';
      this.show(`$(error) Atölye: ${status}`, `The run ended with status ${status}`, {
        command: 'atolye.showOutput',
        title: 'Show Output',
      });
    }
  }

  /** The changes still to review, after each review, apply or discard; a run going wins. */
  changesLeft(changes: number): void {
    if (this.showing !== 'changes') return;
    const files =
      changes === 0 ? 'nothing to review' : changes === 1 ? '1 change' : `${changes} changes`;
    this.show(`$(check) Atölye: ${files}`, 'The last run succeeded: click to review its changes', {
      command: 'atolye.reviewChanges',
      title: 'Review Changes',
    });
  }

  dispose(): void {
    this.item.dispose();
  }

  private show(text: string, tooltip: string, command: vscode.Command): void {
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.command = command;
    this.item.show();
  }
}

/** The CLI's run progress written to the output channel, telling `onStep` of each step. */
export class ChannelProgress extends RunProgress {
  constructor(
    output: vscode.OutputChannel,
    private readonly onStep: (step: string) => void,
  ) {
    super(
      { out: (line) => output.appendLine(line), err: (line) => output.appendLine(line) },
      {
        quiet: false,
      },
    );
  }

  override event(part: StreamPart): void {
    super.event(part);
    if (part.event === 'metadata' && this.runId !== undefined) this.onStep('started');
    if (part.event === 'updates' && part.data !== null && typeof part.data === 'object') {
      for (const step of Object.keys(part.data)) this.onStep(step);
    }
  }
}
