import assert from "node:assert/strict";
import { test } from "node:test";
import { describeValue } from "../src/cli/human-output.ts";

/**
 * tessera-login prints names that come from the server (userinfo: display name, e-mail), which
 * users and administrators choose. Printed to a terminal, a control sequence in one (ESC, OSC 52
 * writes the clipboard, CSI clears the screen) would be executed by the terminal: they are shown
 * escaped instead.
 */
/** Control characters other than the line breaks the output itself is made of. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the test looks for exactly these characters
const controls = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
const hostile = "Eve\u001b]52;c;ZXZpbA==\u0007\u001b[2J\u009b31m\r\nsubject:  admin";

test("whoami: control characters in a server-supplied display name or e-mail are printed escaped", () => {
  const text = describeValue("whoami", {
    subject: "u1",
    tenant: "t1",
    displayName: hostile,
    email: "e\u001b[8m@example.com",
    claims: {},
  });
  assert.ok(text !== undefined);
  assert.doesNotMatch(text, controls);
  // The name is still recognisable, and it cannot forge a line of its own.
  assert.match(text, /Eve/);
  assert.equal(text.split("\n").filter((line) => line.startsWith("subject:")).length, 1);
});

test("status: the same for the signed-in user's name", () => {
  const text = describeValue("status", { subject: "u1", tenant: "t1", displayName: hostile });
  assert.ok(text !== undefined);
  assert.doesNotMatch(text, controls);
});
