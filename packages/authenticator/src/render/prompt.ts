import { createInterface } from "node:readline/promises";

/** Whether the command may ask the person at the terminal. */
export const interactive = () => process.stdin.isTTY === true && process.stderr.isTTY === true;

/** One line typed at the terminal (prompt on stderr, so stdout stays the command's output). */
export async function ask(question: string): Promise<string> {
  const reader = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return (await reader.question(question)).trim();
  } finally {
    reader.close();
  }
}
