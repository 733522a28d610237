/**
 * The V8 flags every way of running Portcullis passes to Node: the `portcullis` shebang, `npm start`
 * and the Dockerfile (a test keeps the three in step with this list).
 *
 * A 32 MiB semi-space (young generation up to 64 MiB, against Node 20's 16 MiB semi-space): each
 * Check allocates a few kilobytes (decoded request, decision, answer, event row) that die within
 * milliseconds, but with 100 calls in flight the default young generation fills every ~30 ms and
 * each scavenge copies everything still in flight, about 5 ms a time. Measured with the end-to-end
 * Check benchmark at 10,000 rules: +50-70% requests per second, a third less CPU per request
 * (BENCHMARKS.md "End-to-end Check"). The benchmark runs its no-op baseline with the same flags.
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];
