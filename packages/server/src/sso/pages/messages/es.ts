import type { Messages } from "./en.ts";

export const es: Messages = {
  signInTitle: "Iniciar sesión",
  signInTo: "Iniciar sesión en {app}",
  username: "Nombre de usuario",
  password: "Contraseña",
  continue: "Continuar",
  forgotPassword: "¿Ha olvidado su contraseña?",
  errorTitle: "No ha funcionado",
  requestId: "Referencia: {id}",
  activationTitle: "Active su cuenta",
  activationPasswordIntro: "Elija una contraseña para su cuenta {username}.",
  activationNewPassword: "Nueva contraseña",
  activationConfirmPassword: "La misma contraseña otra vez",
  activationPasswordMismatch: "Las dos contraseñas no coinciden.",
  activationPasswordTooShort: "La contraseña debe tener al menos {min} caracteres.",
  activationTokenTitle: "Configure su aplicación de autenticación",
  activationTokenIntro:
    "Escanee este código QR con su aplicación de autenticación o escriba en ella la clave de abajo. Después introduzca el código que muestra la aplicación.",
  activationQrAlt: "Código QR para su aplicación de autenticación",
  activationKey: "Clave",
  activationCode: "Código de la aplicación",
  activationCodeRejected: "Ese código no fue aceptado. Introduzca el código que muestra ahora la aplicación.",
  activationDoneTitle: "Su cuenta está lista",
  activationAppsIntro: "Ya puede iniciar sesión en estas aplicaciones:",
  activationNoApps:
    "Todavía no tiene aplicaciones asignadas; podrá iniciar sesión en cuanto se le asigne una.",
};
