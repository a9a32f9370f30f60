/**
 * Everything notebooks import compiles under tslab's fixed compiler: its TypeScript 5.0 fork,
 * CommonJS output, non-strict, lib es2022 (the options tslab's converter uses).
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

test('lib/ and datasets/ compile with tslab\'s TypeScript 5.0 and its options', () => {
  const root = path.join(__dirname, '..');
  const tsc = path.join(root, 'node_modules', '@tslab', 'typescript-for-tslab', 'bin', 'tsc');
  const r = spawnSync('node', [tsc, '--noEmit', '--module', 'commonjs', '--target', 'es2022', '--lib', 'es2022', '--types', 'node',
    '--esModuleInterop', '--resolveJsonModule', '--skipLibCheck', '--experimentalDecorators', 'lib/index.ts'], { cwd: root, encoding: 'utf8' });
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
});
