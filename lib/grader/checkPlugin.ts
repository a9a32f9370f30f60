/**
 * `cvkit run --check`: the kernel plugin (lib/notebook/kernelWorker.ts loads it when the runner names
 * it) that passes each `grading.tests` result, as the notebook prints it, to the runner, so the command
 * line can list every question's public tests and exit non-zero when one fails. Feedback only: scores
 * come from the grader (docs/grading.md).
 */
import { onFeedback } from './testkit';

export function install(ctx: { send(message: object): void }): { onInputs(): void; rpc(): Promise<{ ok: boolean; error: string }> } {
  onFeedback((report) => ctx.send({ type: 'feedback', report }));
  return { onInputs: () => undefined, rpc: async () => ({ ok: false, error: 'no rpc in check mode' }) };
}
