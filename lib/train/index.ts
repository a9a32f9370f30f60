/** Training loops and metrics. */
export * from './classifier';
export * from './metrics';
export * from './recipes';
export * from './dense';
export * from './losses';
