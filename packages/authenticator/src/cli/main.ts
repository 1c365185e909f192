import { runAuthenticator } from "./program.ts";

process.exitCode = await runAuthenticator(process.argv.slice(2), process.env, {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
// A watch that got its --count leaves an event stream open: end now rather than wait for it.
process.exit();
