/**
 * The kit's command line (`cvkit`, or `node bin/cvkit.js`):
 *   run <notebook.ipynb...>   execute notebooks headless through tslab; writes outputs
 *   lessons                   run every lesson notebook into out/notebooks/
 *   train-shapes, train-mnist train a lesson classifier and save its weights
 *   bench                     training/inference timings vs PyTorch
 *   backend                   print which tfjs backend starts here
 *   assign, validate, grade, export, feedback   the autograder (lib/grader)
 */
import * as fs from 'fs';
import * as path from 'path';
import { executeNotebook } from './notebook/runner';
import { NotebookFormatError } from './notebook/nbformat';
import { projectPath } from './runtime/paths';

const USAGE = `usage: cvkit <command> [options]

commands:
  run <notebook.ipynb...> [--quick] [--out DIR | --inplace] [--cell-timeout SECONDS] [--check] [--keep-going]
        Execute notebooks headless with the tslab TypeScript kernel. Outputs go to DIR
        (default out/notebooks) unless --inplace. Stops at the first failing cell and
        exits 1, naming the cell (every error it printed, the first first). --keep-going runs
        every cell anyway; --check (for assignments) also lists each question's public tests
        and exits 1 when one fails.
  lessons [--quick] [--out DIR]
        Run every notebook in notebooks/ (the full lessons; --quick for the small versions).
  train <name...> [--quick] [--seed N] [--out DIR] | train --list
        Train a lesson's model by its recipe (a fixed number of seeded steps) and save its weights,
        float16, with the metrics measured on them (recipe.json), in datasets/weights/<name>/.
  train-shapes | train-mnist [--out DIR] [--budget SECONDS] [--quick]
        Train the shapes (or MNIST) classifier of lesson 01 (5 seeded epochs; --budget: for that
        many seconds instead) and save model.json + weights.bin (default
        datasets/weights/shapes-classifier, mnist-classifier).
  bench [--quick] [--profile] [--json FILE] [--only ID,...]
        Time the kit's training steps (classifiers, conditional GANs, pix2pix, Gram style loss, style transfer, hourglass, segmentation), inference and
        Grad-CAM on each backend, beside PyTorch; --profile adds each workload's top kernels;
        --quick: fewer timed steps (6 minutes on 2 idle cores with PyTorch beside it);
        --only: just these workloads, by id (a file name of lib/bench/workloads: e.g. styleTransfer,gemm).
  start [<assignment> | <notebook.ipynb> | <folder>] [--port N] [--quick]
        Start Jupyter Notebook on 127.0.0.1 with the project's TypeScript (tslab) kernel, opened on
        notebooks/ (npm start), on your own copy of an assignment (work/<id>.ipynb, made from the
        release the first time; git ignores work/), or on any notebook or folder.
        Needs Jupyter: bash scripts/setup-jupyter.sh on Debian.
  backend
        Print the tfjs backend this machine uses (CVKIT_BACKEND=gpu|node|wasm|cpu forces one).

autograder (assignments/<id>/, see docs/grading.md):
  assign <assignment>
        Lint the source, write the student notebook (release/) and the manifest of tests.
  validate <assignment...>
        The source earns full marks; the release type-checks and earns zero. Exit 1 if not.
  grade <assignment> <submission.ipynb | folder>... [--jobs N] [--out DIR] [--force]
        [--cell-timeout S] [--timeout S] [--memory MB] [--unsafe-no-sandbox]
        Grade submissions in the bubblewrap sandbox, N at a time; results, graded notebooks and
        feedback pages go to DIR (default out/grading/<assignment>). Resumable: finished results are
        kept. Without bubblewrap it refuses, unless --unsafe-no-sandbox: then the network is open to
        submissions and only Node's permission model limits their reads and writes.
  export <assignment> [--out DIR] [--csv FILE]
        Write the gradebook as CSV (default DIR/grades.csv).
  feedback <assignment> [--out DIR]
        Rewrite the feedback pages from the gradebook.

environment: CVKIT_BACKEND, CVKIT_QUICK=1, CVKIT_CELL_TIMEOUT (seconds), CVKIT_PROGRESS=0`;

export class UsageError extends Error {}

interface Parsed { positional: string[]; flags: Record<string, string | true> }

function parse(args: string[], valued: string[]): Parsed {
  const positional: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('--')) {
      const [key, inline] = a.slice(2).split('=', 2);
      if (valued.includes(key)) {
        const value = inline ?? args[++i];
        if (value == null) throw new UsageError(`--${key} needs a value`);
        flags[key] = value;
      } else {
        if (inline != null) throw new UsageError(`--${key} takes no value`);
        flags[key] = true;
      }
    } else {
      positional.push(a);
    }
  }
  return { positional, flags };
}

function checkFlags(parsed: Parsed, allowed: string[]): void {
  for (const key of Object.keys(parsed.flags)) if (!allowed.includes(key)) throw new UsageError(`unknown option --${key}`);
}

function positiveNumber(value: string | true | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(n > 0)) throw new UsageError(`--${name} must be a positive number, got ${String(value)}`);
  return n;
}

async function runNotebooks(files: string[], flags: Parsed['flags']): Promise<number> {
  if (files.length === 0) throw new UsageError('run: name at least one .ipynb file');
  const outDir = typeof flags.out === 'string' ? flags.out : projectPath('out', 'notebooks');
  const timeout = positiveNumber(flags['cell-timeout'], 'cell-timeout');
  const env: Record<string, string> = {};
  if (flags.quick) env.CVKIT_QUICK = '1';
  let failures = 0;
  for (const file of files) {
    if (!fs.existsSync(file)) {
      console.error(`cvkit run: ${file}: no such file`);
      failures++;
      continue;
    }
    const output = flags.inplace ? file : path.join(outDir, path.basename(file));
    const check = !!flags.check;
    console.log(`▶ ${file}${flags.quick ? ' (quick)' : ''}${check ? ' (check: every cell runs, test results listed)' : ''}`);
    try {
      const result = await executeNotebook(file, {
        outputPath: output,
        env,
        cellTimeoutSeconds: timeout,
        keepGoing: check || !!flags['keep-going'],
        plugin: check ? projectPath('dist', 'lib', 'grader', 'checkPlugin.js') : undefined,
        onCell: (e) => { if (e.phase === 'end') console.log(`  In [${e.executionCount}] (cell ${e.index}) ${e.ok ? 'ok' : 'FAILED'} ${e.seconds!.toFixed(1)} s`); },
      });
      let testsFailed = 0;
      if (check) {
        if (result.feedback.length === 0) console.log('  (no test cells ran: this notebook has no grading.tests)');
        for (const { index, report } of result.feedback) {
          const passed = report.results.filter((r) => r.passed).length;
          const weight = report.results.reduce((a, r) => a + r.points, 0);
          const got = report.results.reduce((a, r) => a + (r.passed ? r.points : 0), 0);
          console.log(`  ${passed === report.results.length ? '✓' : '✗'} ${report.question} (cell ${index}): ${passed}/${report.results.length} public tests passed, ${got}/${weight} of their weight`);
          for (const r of report.results) if (!r.passed) console.log(`      ✗ ${r.name}: ${r.message}`);
          testsFailed += report.results.length - passed;
        }
      }
      for (const f of result.failures) {
        // In check mode each failure in one line (its error, not the stack); otherwise the whole message.
        const lines = f.message.split('\n');
        const text = check ? [lines.find((l) => /^(\w*Error|\w*Exception)\b|^\d+:\d+ - /.test(l.trim())) ?? lines[0]].map((l) => l.trim()) : lines;
        console.error(`✗ ${file}: cell ${f.index} (In [${f.executionCount}]) failed${f.timedOut ? ' (time limit)' : ''}:\n${text.map((l) => '    ' + l).join('\n')}`);
      }
      if (result.ok && testsFailed === 0) {
        console.log(`✓ ${file}: ${result.seconds.toFixed(1)} s, written to ${output}`);
      } else {
        failures++;
        console.error(`✗ ${file}: ${result.failures.length} cell(s) failed${check ? `, ${testsFailed} public test(s) failed` : ''}; outputs written to ${output}`);
      }
    } catch (err) {
      failures++;
      console.error(`✗ ${file}: ${err instanceof NotebookFormatError ? err.message : (err as Error).stack ?? String(err)}`);
    }
  }
  return failures === 0 ? 0 : 1;
}

async function graderCommand(command: string, rest: string[]): Promise<number> {
  const g = await import('./grader');
  const p = parse(rest, ['jobs', 'out', 'cell-timeout', 'timeout', 'memory', 'csv']);
  const [name, ...files] = p.positional;
  if (!name) throw new UsageError(`${command}: name an assignment (a folder under assignments/)`);
  let a: ReturnType<typeof g.loadAssignment>;
  const load = (n: string) => {
    try { return g.loadAssignment(n); } catch (err) { throw new UsageError((err as Error).message); }
  };
  switch (command) {
    case 'assign':
      checkFlags(p, []);
      if (files.length) throw new UsageError('assign takes one assignment');
      load(name);
      try {
        await g.assign(name);
      } catch (err) {
        console.error(`cvkit assign: ${(err as Error).message}`);
        return 1;
      }
      return 0;
    case 'validate': {
      checkFlags(p, []);
      let failed = 0;
      for (const n of [name, ...files]) { load(n); if (!(await g.validate(n)).ok) failed++; }
      return failed ? 1 : 0;
    }
    case 'grade': {
      checkFlags(p, ['jobs', 'out', 'cell-timeout', 'timeout', 'memory', 'force', 'unsafe-no-sandbox']);
      a = load(name);
      if (files.length === 0) throw new UsageError('grade: name submission files or folders');
      let subs: ReturnType<typeof g.collectSubmissions>;
      try { subs = g.collectSubmissions(files, a.config.id); } catch (err) { throw new UsageError((err as Error).message); }
      if (subs.length === 0) throw new UsageError('grade: no .ipynb files found');
      const unsafe = !!p.flags['unsafe-no-sandbox'];
      if (!g.bwrapAvailable() && !unsafe) { console.error(`cvkit grade: ${new g.SandboxUnavailableError().message}`); return 1; }
      const jobs = positiveNumber(p.flags.jobs, 'jobs') ?? 1;
      console.log(`grading ${subs.length} submission(s) of ${a.config.id} with ${jobs} job(s) ${g.bwrapAvailable() ? 'in the bubblewrap sandbox' : 'WITHOUT the sandbox (--unsafe-no-sandbox)'}`);
      const refused = subs.filter((s) => s.problem).length;
      if (refused) console.log(`${refused} entr${refused === 1 ? 'y is' : 'ies are'} refused (links, not regular files, unreadable folders): each gets a result that says why`);
      const results = await g.gradeBatch(a, subs, {
        jobs, out: typeof p.flags.out === 'string' ? p.flags.out : undefined, force: !!p.flags.force, allowUnsandboxed: unsafe,
        cellTimeoutSeconds: positiveNumber(p.flags['cell-timeout'], 'cell-timeout'), submissionTimeoutSeconds: positiveNumber(p.flags.timeout, 'timeout'),
        memoryMB: positiveNumber(p.flags.memory, 'memory'),
      });
      const out = g.gradebookDir(a, typeof p.flags.out === 'string' ? p.flags.out : undefined);
      if (results.length > 0) {
        const graded = results.filter((r) => r.status === 'graded');
        const mean = graded.length ? graded.reduce((s, r) => s + r.score, 0) / graded.length : 0;
        console.log(`mean ${mean.toFixed(2)} of ${results[0].autograded_max_score} autograded points over ${graded.length} graded; ${results.length - graded.length} rejected; grades.csv and feedback/ in ${out}`);
      }
      return results.length === subs.length ? 0 : 1;
    }
    case 'export': {
      checkFlags(p, ['out', 'csv']);
      a = load(name);
      const out = g.gradebookDir(a, typeof p.flags.out === 'string' ? p.flags.out : undefined);
      const csvPath = typeof p.flags.csv === 'string' ? p.flags.csv : path.join(out, 'grades.csv');
      if (!fs.existsSync(path.join(out, 'results'))) throw new UsageError(`no results in ${out} (grade first)`);
      fs.writeFileSync(csvPath, g.exportCsv(out));
      console.log(`wrote ${csvPath}`);
      return 0;
    }
    case 'feedback': {
      checkFlags(p, ['out']);
      a = load(name);
      const out = g.gradebookDir(a, typeof p.flags.out === 'string' ? p.flags.out : undefined);
      if (!fs.existsSync(path.join(out, 'results'))) throw new UsageError(`no results in ${out} (grade first)`);
      const { readNotebook } = await import('./notebook/nbformat');
      const n = g.rewriteFeedback(a, out, (file) => (fs.existsSync(file) ? readNotebook(file) : null));
      console.log(`wrote ${n} feedback page(s) to ${path.join(out, 'feedback')}`);
      return 0;
    }
  }
  throw new UsageError(`unknown command '${command}'`);
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(USAGE);
        return command === undefined ? 2 : 0;
      case 'run': {
        const p = parse(rest, ['out', 'cell-timeout']);
        checkFlags(p, ['out', 'cell-timeout', 'quick', 'inplace', 'check', 'keep-going']);
        return await runNotebooks(p.positional, p.flags);
      }
      case 'lessons': {
        const p = parse(rest, ['out', 'cell-timeout']);
        checkFlags(p, ['out', 'cell-timeout', 'quick']);
        if (p.positional.length) throw new UsageError('lessons takes no file names (use run)');
        const dir = projectPath('notebooks');
        const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ipynb')).sort().map((f) => path.join(dir, f));
        return await runNotebooks(files, p.flags);
      }
      case 'train': {
        const p = parse(rest, ['out', 'seed']);
        checkFlags(p, ['out', 'seed', 'quick', 'list']);
        const { RECIPES, findRecipe, runRecipe, describeRecipe } = await import('./train');
        if (p.flags.list || p.positional.length === 0) {
          for (const r of RECIPES) console.log(`${r.name.padEnd(24)} ${r.lesson}\n${' '.repeat(25)}${r.summary}`);
          if (!p.flags.list) console.log('\ncvkit train <name> [--quick] [--seed N] [--out DIR]: train one and save its weights (default datasets/weights/<name>)');
          return p.flags.list ? 0 : 2;
        }
        let recipes;
        try { recipes = p.positional.map(findRecipe); } catch (err) { throw new UsageError((err as Error).message); }
        const seed = p.flags.seed === undefined ? 0 : Number(p.flags.seed);
        if (!Number.isInteger(seed)) throw new UsageError(`--seed must be an integer, got ${String(p.flags.seed)}`);
        if (typeof p.flags.out === 'string' && recipes.length > 1) throw new UsageError('--out takes one recipe');
        const { initRuntime } = await import('./runtime/backend');
        await initRuntime();
        for (const recipe of recipes) {
          console.log(`training ${recipe.name}${p.flags.quick ? ' (quick)' : ''}: ${recipe.summary}`);
          const { info, models } = await runRecipe(recipe, { quick: !!p.flags.quick, seed, out: typeof p.flags.out === 'string' ? p.flags.out : undefined });
          for (const m of Object.values(models)) m.dispose();
          console.log(`${describeRecipe(info)}\nfloat32 before saving: ${JSON.stringify(info.metricsFloat32)}; saved ${Object.entries(info.bytes).map(([k, b]) => `${k} ${(b / 1024).toFixed(0)} KB`).join(', ')}`);
        }
        return 0;
      }
      case 'train-shapes':
      case 'train-mnist': {
        const p = parse(rest, ['out', 'budget']);
        checkFlags(p, ['out', 'budget', 'quick']);
        const { trainFromRecipe, SHAPES_RECIPE, MNIST_RECIPE } = await import('./train/recipes');
        const { initRuntime } = await import('./runtime/backend');
        const { saveModel } = await import('./runtime/modelIO');
        await initRuntime();
        const recipe = command === 'train-shapes' ? SHAPES_RECIPE : MNIST_RECIPE;
        const out = typeof p.flags.out === 'string' ? p.flags.out : projectPath(recipe.weightsDir);
        const run = await trainFromRecipe(recipe, { quick: !!p.flags.quick, timeBudgetSeconds: positiveNumber(p.flags.budget, 'budget') });
        const last = run.result.history[run.result.history.length - 1];
        console.log(`trained ${run.result.steps} steps in ${run.result.seconds.toFixed(1)} s on ${run.result.threads} thread(s) (${run.result.stoppedBecause}); ` +
          `validation accuracy ${(100 * (last?.valAccuracy ?? 0)).toFixed(1)}%, test accuracy ${(100 * run.test.accuracy).toFixed(1)}% on ${run.data.test.count} images`);
        await saveModel(run.model, out);
        console.log(`saved to ${out}`);
        run.dispose();
        return 0;
      }
      case 'bench': {
        const p = parse(rest, ['json', 'only']);
        checkFlags(p, ['json', 'quick', 'profile', 'only']);
        if (p.flags.json === true) throw new UsageError('--json needs a file name');
        if (p.flags.only === true) throw new UsageError('--only needs workload ids, e.g. --only styleTransfer,gemm');
        const { runBenchmark, formatReport, reportJson, benchWorkloadIds } = await import('./bench/benchmark');
        const only = typeof p.flags.only === 'string' ? p.flags.only.split(',').map((id) => id.trim()).filter((id) => id !== '') : undefined;
        const unknown = (only ?? []).filter((id) => !benchWorkloadIds().includes(id));
        if (unknown.length > 0) throw new UsageError(`--only: no workload ${unknown.map((u) => `'${u}'`).join(', ')} (known: ${benchWorkloadIds().join(', ')})`);
        const report = await runBenchmark({ quick: !!p.flags.quick, profile: !!p.flags.profile, only });
        console.log('\n' + formatReport(report));
        if (typeof p.flags.json === 'string') {
          fs.writeFileSync(p.flags.json, JSON.stringify(reportJson(report), null, 2));
          console.log(`written to ${p.flags.json}`);
        }
        return 0;
      }
      case 'start': {
        const p = parse(rest, ['port']);
        checkFlags(p, ['port', 'quick']);
        if (p.positional.length > 1) throw new UsageError('start takes at most one notebook, folder or assignment');
        const { startJupyter, resolveStartTarget } = await import('./jupyter/server');
        let target: ReturnType<typeof resolveStartTarget>;
        try { target = resolveStartTarget(p.positional[0]); } catch (err) { throw new UsageError((err as Error).message); }
        if (target.created) console.log(`your copy of the assignment: ${target.created} (yours: git ignores work/; submit this file)`);
        let server: Awaited<ReturnType<typeof startJupyter>>;
        try {
          server = await startJupyter({ port: positiveNumber(p.flags.port, 'port') ?? 8888, env: p.flags.quick ? { CVKIT_QUICK: '1' } : {}, notebookDir: target.notebookDir, open: target.open });
        } catch (err) {
          console.error(`cvkit start: ${(err as Error).message}`);
          return 1;
        }
        console.log(`\nOpen (ready in ${server.startupSeconds.toFixed(1)} s):\n  ${server.lessonsUrl}\nCtrl+C stops the server.`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
          server.process.once('exit', () => resolve());
        });
        await server.stop();
        return 0;
      }
      case 'backend': {
        const { initRuntime } = await import('./runtime/backend');
        const info = await initRuntime({ quiet: true });
        console.log(`${info.choice} (${info.detail})`);
        for (const s of info.skipped) console.log(`  skipped ${s}`);
        return 0;
      }
      case 'assign':
      case 'validate':
      case 'grade':
      case 'export':
      case 'feedback':
        return await graderCommand(command, rest);
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`cvkit: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
}
