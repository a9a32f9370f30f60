/**
 * The clock of a training loop, and its optional time budget. Training time starts at the first step:
 * setting up (starting the data-parallel worker threads, reading the labels) is not training, and on
 * a busy machine it took longer than a short budget. The clock is read once when training starts,
 * once after every step, and once after each validation, so a budget stops training at the first
 * step that ends past it, and a fake clock (tests) decides exactly when that is.
 */

/** Seconds on a monotonic clock. */
export type Clock = () => number;

export const monotonicSeconds: Clock = () => performance.now() / 1000;

export class TrainingClock {
  private start = 0;
  private last = 0;

  /** `budgetSeconds` (optional): how long training may take. Nothing is counted before begin(). */
  constructor(private readonly budgetSeconds: number | undefined, private readonly now: Clock = monotonicSeconds) {
    if (budgetSeconds != null && !(budgetSeconds > 0)) throw new Error(`timeBudgetSeconds must be a positive number of seconds, got ${budgetSeconds}`);
  }

  /** Training starts now (call it right before the first step). */
  begin(): void {
    this.start = this.now();
    this.last = this.start;
  }

  /** Reads the clock (after a step or a validation); true when the budget is spent. */
  tick(): boolean {
    this.last = this.now();
    return this.spent();
  }

  /** True when there is a budget and the last reading is at or past it. */
  spent(): boolean {
    return this.budgetSeconds != null && this.seconds >= this.budgetSeconds;
  }

  /** Seconds of training at the last reading. */
  get seconds(): number {
    return this.last - this.start;
  }

  /** How much of the budget the last reading used, in [0, 1]; null without a budget. */
  budgetFraction(): number | null {
    return this.budgetSeconds == null ? null : Math.min(1, this.seconds / this.budgetSeconds);
  }
}
