// Shared by the benchmarks: statistics, the machine line, deterministic payloads.
import { createHash } from 'node:crypto';
import { cpus, freemem, release, totalmem, type as osType } from 'node:os';

/**
 * min / p50 / p90 / p99 / max of samples in ms.
 * @param {number[]} samples
 * @returns {Stats}
 */
export function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (/** @type {number} */ q) => /** @type {number} */ (s[Math.min(s.length - 1, Math.floor(q * s.length))]);
  return { n: s.length, min: at(0), p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) };
}

/** @typedef {{ n: number, min: number, p50: number, p90: number, p99: number, max: number }} Stats */

export const fmt = (/** @type {Stats} */ { n, min, p50, p90, p99, max }) =>
  `p50 ${p50.toFixed(1)} ms, p90 ${p90.toFixed(1)}, p99 ${p99.toFixed(1)}, min ${min.toFixed(1)}, max ${max.toFixed(1)} (n=${n})`;

export function machine() {
  const cpu = cpus();
  return `${cpu.length} x ${cpu[0]?.model ?? 'unknown cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB (${(freemem() / 2 ** 30).toFixed(1)} free), ${osType()} ${release()}, node ${process.version}`;
}

/**
 * `n` pseudo-random bytes, different for each `seed`.
 * @param {number} n
 * @param {string | number} seed
 */
export function randomBytes(n, seed) {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 32) out.set(createHash('sha256').update(`${seed}:${i}`).digest().subarray(0, Math.min(32, n - i)), i);
  return out;
}

/**
 * Runs `tasks` (functions returning promises) with at most `limit` at once.
 * @template T
 * @param {Array<() => Promise<T>>} tasks
 * @param {number} limit
 * @returns {Promise<T[]>}
 */
export async function pool(tasks, limit) {
  /** @type {T[]} */
  const results = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, tasks.length) }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await /** @type {() => Promise<T>} */ (tasks[i])();
      }
    }),
  );
  return results;
}
