// A dependency far over the 350 KiB budget of a function that calls no model: LangChain's messages
// (with langsmith behind them), for the budget test.
export { AIMessage } from '@langchain/core/messages';
