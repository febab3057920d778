/**
 * What the agent needs from a language model: a streamed chat completion with tool calls, and a
 * cheap probe that says whether the endpoint answers. Implemented by the OpenAI-compatible adapter
 * (any endpoint that speaks /v1/chat/completions) and by the offline demo model.
 */

/** One message of the model's context, in the chat-completions shape. */
export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: ToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** A tool offered to the model: a name, what it does, and a JSON Schema of its arguments. */
export interface ToolSpec {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

export interface ChatRequest {
  messages: ChatMessage[];
  tools: ToolSpec[];
  /** Aborting closes the request: the endpoint sees the connection end. */
  signal: AbortSignal;
}

/** What a streamed completion yields: text as it comes, then the tool calls it asks for. */
export type ModelChunk = { kind: 'text'; text: string } | { kind: 'tool_call'; call: ToolCall };

export interface ChatModel {
  /** Shown in the agent card and in every message the agent writes with this model. */
  readonly label: string;
  /** True for the built-in offline model. */
  readonly demo: boolean;
  stream(req: ChatRequest): AsyncIterable<ModelChunk>;
  /** Resolves when the endpoint answers; rejects with the reason it does not. */
  probe(signal: AbortSignal): Promise<void>;
}
