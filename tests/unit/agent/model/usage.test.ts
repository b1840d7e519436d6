import { AIMessage } from '@langchain/core/messages';
import { costOf, usageOf, type PriceTable } from '../../../../src/agent/model/index.js';

const prices: PriceTable = [
  { model: 'gpt-4o-mini', inputPerMTok: 0.15, outputPerMTok: 0.6 },
  { model: 'mock', inputPerMTok: 0, outputPerMTok: 0 },
];

describe('usageOf', () => {
  it('reads the token counts the server reported', () => {
    const message = new AIMessage({
      content: 'hi',
      usage_metadata: { input_tokens: 12, output_tokens: 9, total_tokens: 21 },
    });

    expect(usageOf(message)).toEqual({ inputTokens: 12, outputTokens: 9, totalTokens: 21 });
  });

  it('gives zeros when the server reported no usage', () => {
    expect(usageOf(new AIMessage('hi'))).toEqual({
      inputTokens: 0,
      outputTokens: 0,
      totalTokens: 0,
    });
  });

  it('adds up the total when the server left it out', () => {
    const message = {
      usage_metadata: { input_tokens: 5, output_tokens: 2 } as AIMessage['usage_metadata'],
    };

    expect(usageOf(message).totalTokens).toBe(7);
  });
});

describe('costOf', () => {
  it('prices input and output tokens per million', () => {
    const cost = costOf(
      { inputTokens: 2_000_000, outputTokens: 500_000, totalTokens: 2_500_000 },
      'gpt-4o-mini',
      prices,
    );

    expect(cost.priced).toBe(true);
    expect(cost.usd).toBeCloseTo(0.3 + 0.3, 10);
  });

  it('prices the mock model at zero, as priced', () => {
    expect(costOf({ inputTokens: 10, outputTokens: 10, totalTokens: 20 }, 'mock', prices)).toEqual({
      usd: 0,
      priced: true,
    });
  });

  it('reports a model missing from the table as unpriced, at zero', () => {
    expect(
      costOf({ inputTokens: 10, outputTokens: 10, totalTokens: 20 }, 'llama3.1', prices),
    ).toEqual({ usd: 0, priced: false });
  });
});
