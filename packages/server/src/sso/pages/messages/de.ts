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
  signInFailed:
    "Benutzername oder Passwort ist nicht korrekt, oder dieses Konto kann sich derzeit nicht anmelden.",
  tooManyAttempts: "Zu viele Versuche. Bitte warten Sie eine Minute und versuchen Sie es erneut.",
  signInExpired:
    "Diese Anmeldung ist nicht mehr gültig. Bitte kehren Sie zur App zurück und beginnen Sie von vorn.",
  secondFactorTitle: "Bestätigen Sie, dass Sie es sind",
  codeFromApp: "Code aus Ihrer Authenticator-App",
  codeFromToken: "Code von Ihrem Sicherheitstoken",
  codeRejected: "Der Code wurde nicht akzeptiert. Bitte versuchen Sie es mit einem neuen Code.",
  accessDenied:
    "Sie können sich derzeit nicht bei dieser App anmelden. Bitte wenden Sie sich an Ihre Administration.",
  noSecondFactor:
    "Für Ihr Konto ist kein zweiter Faktor eingerichtet, den diese App verlangt. Bitte wenden Sie sich an Ihre Administration.",
  changePasswordTitle: "Neues Passwort wählen",
  passwordExpired: "Ihr Passwort ist abgelaufen. Bitte wählen Sie ein neues.",
  newPassword: "Neues Passwort",
  confirmPassword: "Neues Passwort wiederholen",
  passwordsDiffer: "Die beiden Passwörter stimmen nicht überein.",
  passwordRejected:
    "Dieses Passwort kann nicht verwendet werden. Bitte wählen Sie ein längeres, das Sie hier noch nicht verwendet haben.",
  enrolTitle: "Authenticator-App einrichten",
  enrolIntro:
    "Scannen Sie den QR-Code mit Ihrer Authenticator-App oder geben Sie den Schlüssel unten ein, und tragen Sie dann den Code ein, den die App anzeigt.",
  qrAlt: "QR-Code für Ihre Authenticator-App",
  secretKey: "Schlüssel",
  consentTitle: "Zugriff erlauben",
  consentIntro: "{app} bittet um Zugriff auf Ihr Konto:",
  allow: "Erlauben",
  deny: "Ablehnen",
  scopeOpenid: "Ihre Benutzerkennung",
  scopeProfile: "Ihr Name und Benutzername",
  scopeEmail: "Ihre E-Mail-Adresse",
  scopeOfflineAccess: "Zugriff, während Sie nicht angemeldet sind",
  forgotTitle: "Passwort zurücksetzen",
  forgotIntro:
    "Geben Sie Ihren Benutzernamen ein. Wenn ein Konto dazu existiert, senden wir ihm eine E-Mail mit einem Link, über den Sie ein neues Passwort wählen können.",
  sendLink: "Link senden",
  forgotSent:
    "Wenn ein Konto mit diesem Benutzernamen existiert, ist eine E-Mail mit einem Link zum Wählen eines neuen Passworts unterwegs.",
  backToSignIn: "Zurück zur Anmeldung",
};
