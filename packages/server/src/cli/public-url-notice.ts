import type { ServerContext } from "../app/server-context.ts";

/**
 * A command that prints or e-mails a URL under publicUrl while none is configured: the URL is
 * built from this configuration's host and port (127.0.0.1:8080 by default), which is not
 * necessarily where the running server is reached. The command goes on (on one machine with the
 * defaults the URL is right) but says so on stderr, with the way to fix it.
 */
export function warnAboutDefaultPublicUrl(ctx: ServerContext, what: string): void {
  if (ctx.config.publicUrl !== undefined) return;
  process.stderr.write(
    `tessera: publicUrl is not set: ${what} uses ${ctx.publicUrl}, made of this configuration's host and port, which may not be where users reach the server; set publicUrl in the config file or TESSERA_PUBLIC_URL\n`,
  );
}
