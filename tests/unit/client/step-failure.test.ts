import { describeFailure, isErrorHandler, stepName } from '../../../src/client/step-failure.js';

// A failed step in a person's words, from the run's error as the graph writes it
// ("step plan failed: function plan failed: why (after 3 attempts)").

test('the step, the attempts and the code lead; the repeated prefixes go', () => {
  expect(
    describeFailure({
      code: 'MODEL_TIMEOUT',
      message:
        'step plan failed: function plan failed: the model did not answer (after 3 attempts)',
    }),
  ).toBe('plan failed after 3 attempts: MODEL_TIMEOUT: the model did not answer');
  expect(
    describeFailure({
      code: 'PLAN_REFUSED',
      message: 'step plan failed: function plan failed: the planner refuses this task',
    }),
  ).toBe('plan failed: PLAN_REFUSED: the planner refuses this task');
});

test('a step named by the caller wins, without its error-handler prefix', () => {
  expect(
    describeFailure(
      { code: 'TOOLS_FAILED', message: 'the sandbox is missing' },
      '__error_handler__tools',
    ),
  ).toBe('tools failed: TOOLS_FAILED: the sandbox is missing');
  expect(describeFailure({ code: 'BUDGET_EXCEEDED', message: 'the run used 10 000 tokens' })).toBe(
    'failed: BUDGET_EXCEEDED: the run used 10 000 tokens',
  );
});

test('a long message is put on one line and cut at the length asked for', () => {
  const message = `first line\nsecond line ${'x'.repeat(400)}`;
  const short = describeFailure({ code: 'E', message }, 'act');
  expect(short).toHaveLength('act failed: E: '.length + 300);
  expect(short).not.toContain('\n');
  expect(describeFailure({ code: 'E', message }, 'act', 2_000)).toBe(
    `act failed: E: first line second line ${'x'.repeat(400)}`,
  );
});

test('LangGraph error-handler nodes are recognised and named after their step', () => {
  expect(isErrorHandler('__error_handler__plan')).toBe(true);
  expect(isErrorHandler('plan')).toBe(false);
  expect(stepName('__error_handler__plan')).toBe('plan');
  expect(stepName('review')).toBe('review');
});
