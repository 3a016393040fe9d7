/**
 * Whatever was thrown, as an `Error`: an `Error` as it is; any other value
 * wrapped, named in the message (JSON where it can be) and kept as `cause`,
 * so a thrown string or object is never lost. The one place in the project
 * that turns `unknown` into `Error`.
 *
 * @example
 * toError('boom', 'task threw') // Error: task threw a non-Error value: boom
 */
export function toError(thrown: unknown, who = 'threw'): Error {
  if (thrown instanceof Error) return thrown;
  let text: string;
  try {
    text = typeof thrown === 'string' ? thrown : String(JSON.stringify(thrown));
  } catch {
    text = String(thrown);
  }
  return new Error(`${who} a non-Error value: ${text}`, { cause: thrown });
}
