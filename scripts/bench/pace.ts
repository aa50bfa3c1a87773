/** Emits `rate` messages per second for `durationMs`, evenly paced on a 5 ms timer; resolves with the count. */
export function pace(rate: number, durationMs: number, emit: (index: number) => void): Promise<number> {
  return new Promise((resolve) => {
    const total = Math.round((rate * durationMs) / 1000);
    const started = performance.now();
    let sent = 0;
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
      while (sent < due) emit(sent++);
      if (sent >= total) {
        clearInterval(timer);
        resolve(sent);
      }
    }, 5);
  });
}
