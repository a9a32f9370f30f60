/**
 * Authoring commands: `assign` (lint, write the student notebook, and record the manifest by running
 * the source as the reference: every test's weight, how it is judged and the solution's value) and
 * `validate` (the source, graded like a submission against that manifest, earns full marks — so the
 * reference values are reproducible here; the released notebook type-checks everywhere and earns zero
 * on every graded test; release and manifest are up to date). CI runs validate for every assignment.
 * Both run only the author's notebooks, so they may run without bubblewrap.
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadAssignment, lintAssignment, releaseText, sourceHash, Manifest } from './assignment';
import { gradeNotebook } from './grade';
import { writeAtomic } from './gradebook';
import { parseNotebook } from '../notebook/nbformat';

export async function assign(name: string, log: (line: string) => void = console.log): Promise<{ releasePath: string; manifestPath: string; manifest: Manifest }> {
  const a = loadAssignment(name);
  const problems = lintAssignment(a);
  if (problems.length) throw new Error(`${a.config.id} has problems:\n  ${problems.join('\n  ')}`);
  fs.mkdirSync(path.dirname(a.releasePath), { recursive: true });
  writeAtomic(a.releasePath, releaseText(a));
  log(`wrote ${path.relative(process.cwd(), a.releasePath)}`);
  log('running the source notebook as the reference (public and hidden tests) to record the manifest...');
  const { manifest, result } = await gradeNotebook(a, a.source, { reference: true, allowUnsandboxed: true });
  writeAtomic(a.manifestPath, JSON.stringify(manifest, null, 1) + '\n');
  const n = Object.values(manifest!.questions).reduce((s, q) => s + q.tests.length, 0);
  log(`wrote ${path.relative(process.cwd(), a.manifestPath)}: ${Object.keys(manifest!.questions).length} autograded questions, ${n} tests (${result.execution_time} s)`);
  return { releasePath: a.releasePath, manifestPath: a.manifestPath, manifest: manifest! };
}

export interface ValidationReport {
  ok: boolean;
  problems: string[];
  sourceScore: number;
  releaseScore: number;
  autogradedMax: number;
  seconds: number;
}

export async function validate(name: string, log: (line: string) => void = console.log): Promise<ValidationReport> {
  const started = Date.now();
  const a = loadAssignment(name);
  const problems = lintAssignment(a);
  if (!fs.existsSync(a.releasePath)) problems.push(`no released notebook at ${a.releasePath}: run \`cvkit assign ${a.config.id}\``);
  else if (fs.readFileSync(a.releasePath, 'utf8') !== releaseText(a)) problems.push(`the released notebook is older than the source: run \`cvkit assign ${a.config.id}\``);
  if (!a.manifest || a.manifest.sourceHash !== sourceHash(a)) problems.push(`the manifest is missing or older than the source: run \`cvkit assign ${a.config.id}\``);
  let sourceScore = 0;
  let releaseScore = 0;
  let autogradedMax = 0;
  if (problems.length === 0) {
    log(`${a.config.id}: grading the source notebook (must earn full marks)...`);
    const src = await gradeNotebook(a, a.source, { allowUnsandboxed: true });
    sourceScore = src.result.score;
    autogradedMax = src.result.autograded_max_score;
    for (const t of src.result.tests) if (t.status === 'failed') problems.push(`source: ${t.name} fails: ${t.output}`);
    for (const p of src.phases) if (!p.ok) problems.push(`source: the ${p.hidden ? 'hidden tests' : 'test cell'} of ${p.question} failed: ${p.error?.split('\n')[0]}`);
    log(`  source: ${sourceScore}/${autogradedMax} in ${src.result.execution_time} s`);

    log(`${a.config.id}: grading the released notebook (must compile and earn zero)...`);
    const release = parseNotebook(fs.readFileSync(a.releasePath, 'utf8'));
    const rel = await gradeNotebook(a, release, { allowUnsandboxed: true });
    releaseScore = rel.result.score;
    for (const t of rel.result.tests) if (t.status === 'passed') problems.push(`release: ${t.name} passes on the blank notebook`);
    rel.notebook.cells.forEach((cell, i) => {
      if (cell.cell_type !== 'code') return;
      for (const o of cell.outputs) if (o.output_type === 'error' && o.ename === 'CompileError') problems.push(`release: cell ${i} does not type-check: ${o.evalue.split('\n')[0]}`);
    });
    for (const p of rel.phases) if (!p.hidden && p.cases.size === 0) problems.push(`release: the test cell of ${p.question} reported nothing on the blank notebook (${p.error?.split('\n')[0] ?? 'no error'})`);
    log(`  release: ${releaseScore}/${autogradedMax} in ${rel.result.execution_time} s`);
  }
  const ok = problems.length === 0;
  log(ok ? `✓ ${a.config.id} validates` : `✗ ${a.config.id}:\n  ${problems.join('\n  ')}`);
  return { ok, problems, sourceScore, releaseScore, autogradedMax, seconds: (Date.now() - started) / 1000 };
}
