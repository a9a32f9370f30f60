/**
 * What a test cell becomes under the grader: the same cell with every case's `expect` removed, so the
 * expected values of public tests are not in the kernel while student code runs (a cell that copied
 * each `expect` into its `value` would otherwise pass every public test of a blank notebook).
 *
 * Test cells are written as `grading.tests("q1", { "name": { value: ..., expect: ... }, ... })` with the
 * cases as an object literal of object literals; `testCellProblems` says where a cell is not (lint).
 */
// eslint-disable-next-line @typescript-eslint/no-var-requires
const ts = require('@tslab/typescript-for-tslab') as typeof import('typescript');

interface Found { removals: [number, number][]; problems: string[]; calls: number }

function scan(source: string): Found {
  const file = ts.createSourceFile('cell.ts', source, ts.ScriptTarget.ES2020, true, ts.ScriptKind.TS);
  const found: Found = { removals: [], problems: [], calls: 0 };
  const visit = (node: import('typescript').Node) => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const name = ts.isPropertyAccessExpression(callee) ? callee.name.text : ts.isIdentifier(callee) ? callee.text : '';
      if (name === 'tests') {
        found.calls++;
        const cases = node.arguments[1];
        if (!cases || !ts.isObjectLiteralExpression(cases)) found.problems.push('the second argument of tests() must be an object literal of cases');
        else {
          for (const prop of cases.properties) {
            const label = prop.name && (ts.isStringLiteral(prop.name) || ts.isIdentifier(prop.name)) ? prop.name.text : '?';
            if (!ts.isPropertyAssignment(prop) || !ts.isObjectLiteralExpression(prop.initializer)) {
              found.problems.push(`the case '${label}' must be an object literal { value: () => ..., expect: ... } (an assertion function cannot be graded)`);
              continue;
            }
            for (const field of prop.initializer.properties) {
              const fieldName = field.name && (ts.isIdentifier(field.name) || ts.isStringLiteral(field.name)) ? field.name.text : '';
              if (fieldName !== 'expect') continue;
              let end = field.getEnd();
              const after = source.slice(end).match(/^\s*,/);
              if (after) end += after[0].length;
              found.removals.push([field.getFullStart(), end]);
            }
          }
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** The cell with the `expect` of every case removed (other text unchanged). */
export function stripExpectations(source: string): string {
  const { removals } = scan(source);
  let out = source;
  for (const [start, end] of removals.sort((a, b) => b[0] - a[0])) out = out.slice(0, start) + out.slice(end);
  return out;
}

/** Why a test cell cannot be graded this way (empty when it can). */
export function testCellProblems(source: string): string[] {
  const found = scan(source);
  if (found.calls === 0) return ['the test cell does not call grading.tests(...)'];
  return found.problems;
}
