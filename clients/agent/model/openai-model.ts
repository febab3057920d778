/**
 * Any OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, llama.cpp's server) through the `openai`
 * package: streamed chat completions with tool calls. Tool-call fragments are assembled by index
 * and yielded whole once the stream ends, as the chat-completions stream defines them.
 */
import OpenAI from 'openai';
import type { ChatModel, ChatRequest, ModelChunk, ToolCall } from './chat-model.ts';

export interface OpenAIModelOptions {
  baseURL: string;
  model: string;
  apiKey?: string;
  /** Per-request timeout in ms (default 120 000). */
  timeoutMs?: number;
}

export class OpenAIModel implements ChatModel {
  readonly demo = false;
  readonly label: string;
  private readonly client: OpenAI;

  constructor(private readonly opts: OpenAIModelOptions) {
    this.label = `${opts.model} at ${new URL(opts.baseURL).host}`;
    // Local servers (Ollama, llama.cpp) take any key; the package insists on one being set.
    this.client = new OpenAI({ baseURL: opts.baseURL, apiKey: opts.apiKey || 'no-key', timeout: opts.timeoutMs ?? 120_000, maxRetries: 0 });
  }

  async *stream(req: ChatRequest): AsyncIterable<ModelChunk> {
    const stream = await this.client.chat.completions.create(
      {
        model: this.opts.model,
        stream: true,
        messages: req.messages as never,
        ...(req.tools.length ? { tools: req.tools.map((t) => ({ type: 'function' as const, function: t })) } : {}),
      },
      { signal: req.signal },
    );
    const calls = new Map<number, ToolCall>();
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta;
      if (!delta) continue;
      if (delta.content) yield { kind: 'text', text: delta.content };
      for (const tc of delta.tool_calls ?? []) {
        let call = calls.get(tc.index);
        if (!call)
          calls.set(tc.index, (call = { id: tc.id ?? `call_${tc.index}`, type: 'function', function: { name: '', arguments: '' } }));
        if (tc.id) call.id = tc.id;
        if (tc.function?.name) call.function.name += tc.function.name;
        if (tc.function?.arguments) call.function.arguments += tc.function.arguments;
      }
    }
    for (const call of [...calls.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => c)) yield { kind: 'tool_call', call };
  }

  async probe(signal: AbortSignal): Promise<void> {
    await this.client.models.list({ signal, timeout: 5000 });
  }
}
