/**
 * Jest runs test files in the main context (jest-environment-node-single-context: in a vm context,
 * Math.sqrt/max/min are ~100x slower under Node 20, which made JavaScript-heavy tests such as the shapes
 * generator 10x slower). Each file still gets its own tfjs: forget the engine and the globals tfjs keeps
 * on globalThis, so a file never sees another file's variables, backends or kernels.
 */
delete globalThis._tfengine;
delete globalThis._tfGlobals;
