// The Node host as the acceptance suite drives it: the package's `Safe` itself, in this process
// (its engine in a worker thread), so every call is the real API, options and all.
import { Safe } from '../../../dist/index.js';
import { CAPABILITIES, type Host, type HostSafe } from '../host.js';

/** The Node host; `stop()` closes the instances it opened. */
export function nodeHost(): Host {
  const opened: Safe[] = [];
  return {
    name: 'node',
    capabilities: CAPABILITIES.node,
    async open(timeoutSecs = 120): Promise<HostSafe> {
      const safe = new Safe(null, timeoutSecs);
      opened.push(safe);
      return safe;
    },
    async stop() {
      await Promise.all(opened.map((s) => s.close()));
    },
  };
}
