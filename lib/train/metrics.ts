/** Classification metrics computed from predictions (plain arrays, no tensors kept). */

/** Fraction of `predicted[i] === actual[i]`. */
export function accuracy(predicted: ArrayLike<number>, actual: ArrayLike<number>): number {
  if (predicted.length !== actual.length) throw new Error(`accuracy: ${predicted.length} predictions for ${actual.length} labels`);
  let hits = 0;
  for (let i = 0; i < actual.length; i++) if (predicted[i] === actual[i]) hits++;
  return actual.length ? hits / actual.length : 0;
}

/** counts[actual][predicted]. */
export function confusionMatrix(predicted: ArrayLike<number>, actual: ArrayLike<number>, numClasses: number): number[][] {
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < actual.length; i++) m[actual[i]][predicted[i]]++;
  return m;
}
