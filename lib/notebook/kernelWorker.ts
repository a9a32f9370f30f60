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

type Message =
  | { type: 'execute'; index: number; source: string };

function send(message: object): void {
  if (process.send) process.send(message);
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
  process.on('uncaughtException', (err) => console.error('UncaughtException:', err));
  process.on('unhandledRejection', (reason) => console.error('UnhandledPromiseRejection:', reason));

  let queue = Promise.resolve();
  process.on('message', (message: Message) => {
    if (message.type !== 'execute') return;
    queue = queue.then(async () => {
      current = message.index;
      lastError = '';
      let ok = false;
      try {
        ok = await executor.execute(message.source);
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
