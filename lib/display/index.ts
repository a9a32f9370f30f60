/** Pictures, charts and progress, in the notebook and headless alike. */
export * from './kernel';
export * from './colormap';
export * from './image';
export * from './plot';
export * from './progress';
export * from './fonts';
export * from './sideBySide';
