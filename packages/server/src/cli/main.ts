import { tesseraProgram } from "./tessera-program.ts";

await tesseraProgram().parseAsync(process.argv);
