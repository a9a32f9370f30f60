/** Notebooks: nbformat 4 files and headless execution through tslab. */
export * from './nbformat';
export * from './runner';
export * from './kernel';
