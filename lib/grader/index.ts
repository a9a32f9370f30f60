/** The autograder: authoring (assign, validate), grading (grade, gradeBatch, the gradebook), reports; and the test helpers. */
export * from './assignment';
export * from './metadata';
export * from './merge';
export * from './sandbox';
export * from './grade';
export * from './gradebook';
export * from './report';
export * from './validate';
export * from './compare';
export * from './values';
export { hiddenTests, Remote, RemoteRef, RemoteError } from './remote';
export type { HiddenCase, HiddenCases } from './remote';
