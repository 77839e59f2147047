/**
 * `SAFE_WASI_CPU_PROFILE=DIR`: each Node engine worker records a V8 CPU profile of its own thread
 * (the client component's wasm functions by name, the driver, the sockets) and writes it to
 * `DIR/engine-<pid>-<thread id>.cpuprofile` when its `Safe` closes. Open it in Chrome DevTools,
 * or let the benchmarks sort it into stages (bench/breakdown.mjs). Unset, nothing is loaded.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';

/** Sampling interval in microseconds (V8's default is 1000). */
const INTERVAL_US = 250;

/**
 * Starts profiling this thread when `dir` is set; returns the function that stops and writes the
 * profile, or undefined when profiling is off.
 */
export async function startProfile(dir: string | undefined): Promise<(() => Promise<void>) | undefined> {
  if (!dir) return undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: INTERVAL_US });
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `engine-${process.pid}-${threadId}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  };
}
