/** The autograder: authoring (assign, validate), grading (grade, gradeBatch), reports; and the test helpers. */
export * from './assignment';
export * from './metadata';
export * from './merge';
export * from './sandbox';
export * from './grade';
export * from './report';
export * from './validate';
