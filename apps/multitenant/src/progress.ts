/** A text progress bar, such as `users      [#####.....] 136/272`. */
export class ProgressBar {
  private done = 0;

  constructor(
    private readonly output: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly label: string,
    private readonly total: number,
    private readonly width = 30,
  ) {}

  /** Formats the bar for `done` of `total` items. */
  render(done: number): string {
    const fraction = this.total === 0 ? 1 : Math.min(1, done / this.total);
    const filled = Math.round(fraction * this.width);
    const bar = "#".repeat(filled) + ".".repeat(this.width - filled);
    const digits = String(this.total).length;

    return `${this.label.padEnd(10)} [${bar}] ${String(done).padStart(digits)}/${this.total}`;
  }

  /**
   * Advances the bar. On a terminal the bar is redrawn in place. A pipe or a
   * file gets only the final line from `finish()`, so logs stay short.
   */
  advance(count: number): void {
    this.done = Math.min(this.total, this.done + count);

    if (this.output.isTTY) {
      this.output.write(`\r${this.render(this.done)}`);
    }
  }

  finish(): void {
    this.output.write(`${this.output.isTTY ? "\r" : ""}${this.render(this.done)}\n`);
  }
}
