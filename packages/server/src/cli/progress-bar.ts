/**
 * A progress bar for long operator commands, drawn on standard error so that standard output stays
 * parseable. On a terminal it redraws in place; elsewhere (CI, pipes) it prints a line per tenth.
 */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr) {
  let lastTenth = -1;
  return {
    update(done: number, total: number): void {
      const ratio = total === 0 ? 1 : done / total;
      const percent = Math.floor(ratio * 100);
      if (stream.isTTY) {
        const width = 30;
        const filled = Math.round(ratio * width);
        stream.write(
          `\r${label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${percent}% ${done}/${total}`,
        );
        if (done >= total) stream.write("\n");
        return;
      }
      const tenth = Math.floor(ratio * 10);
      if (tenth !== lastTenth) {
        lastTenth = tenth;
        stream.write(`${label}: ${percent}% (${done}/${total})\n`);
      }
    },
  };
}
