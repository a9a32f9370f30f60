/** Backend choice, wasm training kernels, seeding, model files, paths. */
export * from './backend';
export * from './random';
export * from './modelIO';
export * from './paths';
export { registerWasmTrainingKernels, WASM_TRAINING_KERNELS, WASM_KERNELS } from './wasm';
export { registerComposedKernel } from './composedKernel';
export { registerFastGradients } from './gradients';
