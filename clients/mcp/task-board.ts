/**
 * The MCP tasks of one `tether mcp` process (MCP 2025-11-25 tasks, experimental in the SDK). The
 * SDK's in-memory store keeps them; this board adds what the store lacks for work that waits on a
 * person: the running wait hears when the client cancels its task (tasks/cancel), so it stops
 * following the session instead of waiting out the deadline.
 */
import { InMemoryTaskStore, type CreateTaskOptions, type TaskStore } from '@modelcontextprotocol/sdk/experimental/tasks';
import type { Request, RequestId, Result, Task } from '@modelcontextprotocol/sdk/types.js';

export class TaskBoard implements TaskStore {
  private readonly store = new InMemoryTaskStore();
  private readonly cancelHooks = new Map<string, () => void>();

  /** Calls `fn` once if the task is cancelled; returns a function that forgets it. */
  onCancel(taskId: string, fn: () => void): () => void {
    this.cancelHooks.set(taskId, fn);
    return () => {
      if (this.cancelHooks.get(taskId) === fn) this.cancelHooks.delete(taskId);
    };
  }

  createTask(params: CreateTaskOptions, requestId: RequestId, request: Request, sessionId?: string): Promise<Task> {
    return this.store.createTask(params, requestId, request, sessionId);
  }

  getTask(taskId: string, sessionId?: string): Promise<Task | null> {
    return this.store.getTask(taskId, sessionId);
  }

  storeTaskResult(taskId: string, status: 'completed' | 'failed', result: Result, sessionId?: string): Promise<void> {
    return this.store.storeTaskResult(taskId, status, result, sessionId);
  }

  getTaskResult(taskId: string, sessionId?: string): Promise<Result> {
    return this.store.getTaskResult(taskId, sessionId);
  }

  async updateTaskStatus(taskId: string, status: Task['status'], statusMessage?: string, sessionId?: string): Promise<void> {
    await this.store.updateTaskStatus(taskId, status, statusMessage, sessionId);
    if (status === 'cancelled') {
      const hook = this.cancelHooks.get(taskId);
      this.cancelHooks.delete(taskId);
      hook?.();
    }
  }

  listTasks(cursor?: string, sessionId?: string): Promise<{ tasks: Task[]; nextCursor?: string }> {
    return this.store.listTasks(cursor, sessionId);
  }

  /** Stops every wait and the store's expiry timers (at shutdown). */
  close(): void {
    for (const hook of [...this.cancelHooks.values()]) hook();
    this.cancelHooks.clear();
    this.store.cleanup();
  }
}
