/**
 * What a grading kernel adds to the plain notebook kernel (lib/notebook/kernelWorker.ts loads this
 * module when the grader names it in CVKIT_KERNEL_PLUGIN): the test helpers report the values their
 * cases compute, the grader's inputs reach them, and the grader's calls are evaluated
 * (lib/grader/evaluate.ts). Nothing here decides a score (docs/grading.md, "Trust model").
 */
import { installReporter, setGradingInputs } from './testkit';
import { createEvaluator } from './evaluate';

/** What the kernel worker gives a plugin. */
export interface KernelPluginContext {
  /** The notebook's top-level names (tslab's executor.locals). */
  locals: Record<string, unknown>;
  /** Sends a message to the driver. */
  send(message: object): void;
}

/** A plugin's answers: `inputs` messages, and `rpc` requests (the reply is sent by the worker). */
export interface KernelPlugin {
  onInputs(question: string, inputs: Record<string, unknown>): void;
  rpc(request: unknown): Promise<{ ok: boolean; value?: unknown; error?: string }>;
}

export function install(ctx: KernelPluginContext): KernelPlugin {
  installReporter((report) => ctx.send({ type: 'values', report }));
  const evaluate = createEvaluator(ctx.locals);
  return { onInputs: setGradingInputs, rpc: evaluate };
}
