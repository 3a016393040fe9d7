/**
 * An `exit` listener for a process whose work is a promise: when the event
 * loop empties while that promise is still pending, Node would exit 0 without
 * a word. The listener turns that into exit code 70 (EX_SOFTWARE) and says so,
 * so `--exit-when-idle` never exits 0 without its summary line.
 */
export function exitGuard(
  isSettled: () => boolean,
  report: (text: string) => void,
  setExitCode: (code: number) => void,
): (code: number) => void {
  return (code) => {
    if (isSettled() || code !== 0) return;
    report('worker: exited with work still pending (nothing left to wait on); no summary');
    setExitCode(70);
  };
}
