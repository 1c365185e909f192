import { runTesseraLogin } from "./tessera-login.ts";

process.exitCode = await runTesseraLogin(process.argv.slice(2), process.env, {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
