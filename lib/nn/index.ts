/** Models. */
export * from './vgg';
export * from './hourglass';
