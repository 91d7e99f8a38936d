/**
 * The flags every compiled Gatehouse process runs with: the production image sets the same as
 * NODE_OPTIONS (infra/docker/Dockerfile; test/build/production-image.test.ts holds the two equal), and
 * `pnpm start` and the bench pass them, so what is measured is what ships.
 * - A 2 MB young-generation semi-space instead of V8's 16 MB: ≈ 30 MB less RSS per process; request
 *   objects die young either way (docs/performance.md has the measurement).
 * - One V8 background thread instead of four (--v8-pool-size=1): each worker thread keeps its own malloc arena
 *   and GC/compiler buffers, ≈ 5–10 MB of RSS per process; on the few cores a process gets, more threads only
 *   contend (CPU per request measured the same). libuv's pool (argon2, fs, dns) is separate.
 * - No --enable-source-maps: it keeps every package's source maps in every heap (5–7 MB), and the compiled
 *   files are transpiled one for one, so a stack trace is readable as it is.
 */
export const PRODUCTION_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2', '--v8-pool-size=1'];
