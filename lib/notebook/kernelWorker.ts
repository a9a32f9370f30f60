/**
 * The process that runs one notebook's cells for the headless runner (lib/notebook/runner.ts).
 *
 * It does what tslab's Jupyter kernel does per execute request, with IPC instead of ZMQ: cells are
 * compiled and run by tslab's own converter and executor (TypeScript 5.0, CommonJS, the same
 * options as in Jupyter); process.stdout/stderr writes become stream outputs; `tslab.display`
 * reaches `lastWriteDisplayData`, which this process sets, so pictures and HTML arrive as
 * display_data exactly as in the notebook UI. Started with the notebook's folder as cwd.
 */
import * as util from 'util';
import * as crypto from 'crypto';

type Message =
  | { type: 'init'; key: string; nonce: string }
  | { type: 'execute'; index: number; source: string }
  | { type: 'hidden'; index: number; iv: string; tag: string; data: string };

// Captured before any notebook code runs: later changes to process.send or crypto do not reach these.
const rawSend = process.send ? process.send.bind(process) : null;
const createDecipheriv = crypto.createDecipheriv;
const secure = process.env.CVKIT_KERNEL_SECURE === '1';
let nonce: string | undefined;
let key: Buffer | undefined;

function send(message: object): void {
  if (rawSend) rawSend({ ...message, nonce });
}

/** In grading mode: the channel key, then the test helpers frozen with the reporter installed. */
function waitForInit(): Promise<void> {
  if (!secure) return Promise.resolve();
  return new Promise((resolve) => {
    const onInit = (m: Message) => {
      if (m.type !== 'init') return;
      process.off('message', onInit);
      nonce = m.nonce;
      key = Buffer.from(m.key, 'base64');
      resolve();
    };
    process.on('message', onInit);
  });
}

/** Freezes what tests rely on, so that a cell cannot monkeypatch the helpers or the maths under them. */
function hardenForGrading(): void {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const testkit = require('../grader/testkit');
  testkit.installReporter((report: object) => send({ type: 'report', report }));
  Object.freeze(testkit);
  // seedEverything keeps working with Math frozen: Math.random draws from a replaceable source.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  require('../runtime/random').routeMathRandom();
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const tf = require('@tensorflow/tfjs');
  for (const target of [Math, JSON, Reflect, Number, Array.prototype, tf, tf.Tensor.prototype, tf.Variable.prototype]) Object.freeze(target);
  // The notebook reaches the same modules through dist/lib; freeze its namespaces too.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const lib = require('../index');
  for (const name of Object.keys(lib)) if (lib[name] && typeof lib[name] === 'object') Object.freeze(lib[name]);
  Object.freeze(lib);
}

let current = -1;

function capture(name: 'stdout' | 'stderr') {
  return (chunk: string | Uint8Array, encoding?: unknown, callback?: unknown): boolean => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    send({ type: 'stream', index: current, name, text });
    const cb = typeof encoding === 'function' ? encoding : callback;
    if (typeof cb === 'function') (cb as () => void)();
    return true;
  };
}

async function main(): Promise<void> {
  await waitForInit();
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { createConverter } = require('tslab/dist/converter');
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { createExecutor } = require('tslab/dist/executor');
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const jupyter = require('tslab/dist/jupyter');

  let lastError = '';
  const node = createConverter({ isJS: false, isBrowser: false });
  const convs = { node, browser: node, close: () => node.close() };
  const executor = createExecutor(process.cwd(), convs, {
    log: (...args: unknown[]) => process.stdout.write(util.format(...args) + '\n'),
    error: (...args: unknown[]) => {
      const text = util.format(...args);
      lastError = text;
      process.stderr.write(text + '\n');
    },
  });

  process.stdout.write = capture('stdout') as typeof process.stdout.write;
  process.stderr.write = capture('stderr') as typeof process.stderr.write;
  jupyter.lastWriteDisplayData = (data: { data: Record<string, unknown>; metadata: object; transient?: { display_id?: string } }, update: boolean) => {
    send({ type: 'display', index: current, data: data.data, metadata: data.metadata ?? {}, displayId: data.transient?.display_id, update });
  };
  process.on('SIGINT', () => executor.interrupt());
  // The runner or grader went away (even by kill -9): do not linger.
  process.on('disconnect', () => process.exit(1));
  process.on('uncaughtException', (err) => console.error('UncaughtException:', err));
  process.on('unhandledRejection', (reason) => console.error('UnhandledPromiseRejection:', reason));

  if (secure) hardenForGrading();

  let queue = Promise.resolve();
  process.on('message', (message: Message) => {
    if (message.type !== 'execute' && message.type !== 'hidden') return;
    queue = queue.then(async () => {
      current = message.index;
      lastError = '';
      let ok = false;
      try {
        let source: string;
        if (message.type === 'hidden') {
          if (!key) throw new Error('hidden code without a key');
          const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(message.iv, 'base64'));
          decipher.setAuthTag(Buffer.from(message.tag, 'base64'));
          source = Buffer.concat([decipher.update(Buffer.from(message.data, 'base64')), decipher.final()]).toString('utf8');
        } else {
          source = message.source;
        }
        ok = await executor.execute(source);
      } catch (err) {
        lastError = util.format(err);
      }
      send({ type: 'done', index: message.index, ok, error: ok ? undefined : lastError || 'the cell failed' });
    });
  });
  send({ type: 'ready' });
}

main().catch((err) => {
  send({ type: 'fatal', error: util.format(err) });
  process.exit(1);
});
