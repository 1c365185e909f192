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
  activationTitle: "Konto aktivieren",
  activationPasswordIntro: "Wählen Sie ein Passwort für Ihr Konto {username}.",
  activationNewPassword: "Neues Passwort",
  activationConfirmPassword: "Dasselbe Passwort noch einmal",
  activationPasswordMismatch: "Die beiden Passwörter stimmen nicht überein.",
  activationPasswordTooShort: "Das Passwort muss mindestens {min} Zeichen haben.",
  activationTokenTitle: "Authenticator-App einrichten",
  activationTokenIntro:
    "Scannen Sie diesen QR-Code mit Ihrer Authenticator-App oder geben Sie den Schlüssel unten ein. Geben Sie dann den Code ein, den die App anzeigt.",
  activationQrAlt: "QR-Code für Ihre Authenticator-App",
  activationKey: "Schlüssel",
  activationCode: "Code aus der App",
  activationCodeRejected:
    "Dieser Code wurde nicht akzeptiert. Geben Sie den Code ein, den die App jetzt anzeigt.",
  activationDoneTitle: "Ihr Konto ist bereit",
  activationAppsIntro: "Sie können sich jetzt bei diesen Apps anmelden:",
  activationNoApps:
    "Ihnen ist noch keine App zugewiesen; Sie können sich anmelden, sobald eine zugewiesen ist.",
};
