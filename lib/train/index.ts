/** Training loops, recipes (fixed seeded steps, shipped weights) and metrics. */
export * from './classifier';
export * from './metrics';
export * from './recipes';
export * from './recipe';
export * from './registry';
export * from './strategy';
export * from './dense';
export * from './losses';
