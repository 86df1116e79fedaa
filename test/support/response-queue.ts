// The responses a test's ADS client received and has not read yet, shared by the SotW and delta
// clients: read the next one of a type (waiting for it, up to a timeout), or all after a pause.

export class ResponseQueue<R extends { typeUrl: string }> {
  private readonly unread: R[] = [];
  private readonly waiters = new Set<() => void>();

  push(response: R): void {
    this.unread.push(response);
    for (const wake of [...this.waiters]) wake();
  }

  /** The next unread response (of `typeUrl`, when given). */
  next(typeUrl?: string, timeoutMs = 2000): Promise<R> {
    const take = () => {
      const i = this.unread.findIndex((r) => typeUrl === undefined || r.typeUrl === typeUrl);
      return i < 0 ? undefined : this.unread.splice(i, 1)[0];
    };
    const now = take();
    if (now) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const wake = () => {
        const res = take();
        if (!res) return;
        this.waiters.delete(wake);
        clearTimeout(timer);
        resolve(res);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        reject(new Error(`no ${typeUrl ?? 'response'} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(wake);
    });
  }

  /** Unread responses (of `typeUrl`, when given) after waiting `ms`. */
  async unreadAfter(ms: number, typeUrl?: string): Promise<R[]> {
    await new Promise((r) => setTimeout(r, ms));
    return this.unread.filter((r) => typeUrl === undefined || r.typeUrl === typeUrl);
  }
}
