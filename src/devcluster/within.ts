/** Waits for p, at most ms (stopping must not hang on a Docker engine that does not answer). Never rejects. */
export function within(ms: number, p: Promise<unknown>): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    p.then(
      () => (clearTimeout(timer), resolve()),
      () => (clearTimeout(timer), resolve()),
    );
  });
}
