/**
 * The WASI interfaces the component's preview1 adapter imports, from preview2-shim, with the
 * sandbox closed: no environment variables, no arguments, no preopened directories. The
 * component uses clocks, randomness and stderr; it gets no filesystem capability.
 */
import { cli, clocks, filesystem, io, random } from '@bytecodealliance/preview2-shim';

/** The WASI part of the component's import object. */
export function wasiImports() {
  cli._setEnv({});
  cli._setArgs([]);
  return {
    'wasi:cli/environment': cli.environment,
    'wasi:cli/exit': cli.exit,
    'wasi:cli/stderr': cli.stderr,
    'wasi:cli/stdin': cli.stdin,
    'wasi:cli/stdout': cli.stdout,
    'wasi:clocks/monotonic-clock': clocks.monotonicClock,
    'wasi:clocks/wall-clock': clocks.wallClock,
    'wasi:filesystem/preopens': { getDirectories: () => [] },
    'wasi:filesystem/types': filesystem.types,
    'wasi:io/error': io.error,
    'wasi:io/streams': io.streams,
    'wasi:random/random': random.random,
  };
}
