/** A benchmark that could not produce its figure (a timeout, a failed build, a missing tool). */
export class BenchError extends Error {
  override readonly name = 'BenchError';
}
