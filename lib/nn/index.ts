/** Models. */
export * from './vgg';
