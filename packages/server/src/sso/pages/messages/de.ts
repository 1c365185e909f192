import type { Messages } from "./en.ts";

export const de: Messages = {
  signInTitle: "Anmelden",
  signInTo: "Bei {app} anmelden",
  username: "Benutzername",
  password: "Passwort",
  continue: "Weiter",
  forgotPassword: "Passwort vergessen?",
  errorTitle: "Das hat nicht funktioniert",
  requestId: "Referenz: {id}",
};
