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
  signInFailed:
    "El nombre de usuario o la contraseña no son correctos, o esta cuenta no puede iniciar sesión ahora.",
  tooManyAttempts: "Demasiados intentos. Espere un minuto y vuelva a intentarlo.",
  signInExpired: "Este inicio de sesión ya no es válido. Vuelva a la aplicación y empiece de nuevo.",
  secondFactorTitle: "Confirme que es usted",
  codeFromApp: "Código de su aplicación de autenticación",
  codeFromToken: "Código de su token de seguridad",
  codeRejected: "El código no fue aceptado. Inténtelo de nuevo con un código nuevo.",
  accessDenied: "No puede iniciar sesión en esta aplicación ahora. Póngase en contacto con su administrador.",
  noSecondFactor:
    "Su cuenta no tiene configurado un segundo factor, que esta aplicación exige. Póngase en contacto con su administrador.",
  changePasswordTitle: "Elija una contraseña nueva",
  passwordExpired: "Su contraseña ha caducado. Elija una nueva.",
  newPassword: "Contraseña nueva",
  confirmPassword: "Repita la contraseña nueva",
  passwordsDiffer: "Las dos contraseñas no coinciden.",
  passwordRejected: "Esta contraseña no se puede usar. Elija una más larga que no haya usado aquí antes.",
  enrolTitle: "Configure su aplicación de autenticación",
  enrolIntro:
    "Escanee el código QR con su aplicación de autenticación o escriba la clave de abajo, y después introduzca el código que muestra la aplicación.",
  qrAlt: "Código QR para su aplicación de autenticación",
  secretKey: "Clave",
  consentTitle: "Permitir el acceso",
  consentIntro: "{app} solicita acceso a su cuenta:",
  allow: "Permitir",
  deny: "Denegar",
  scopeOpenid: "Su identificador de usuario",
  scopeProfile: "Su nombre y nombre de usuario",
  scopeEmail: "Su dirección de correo electrónico",
  scopeOfflineAccess: "Acceso mientras no ha iniciado sesión",
  forgotTitle: "Restablecer la contraseña",
  forgotIntro:
    "Introduzca su nombre de usuario. Si existe una cuenta con él, le enviaremos un correo electrónico con un enlace para elegir una contraseña nueva.",
  sendLink: "Enviar el enlace",
  forgotSent:
    "Si existe una cuenta con este nombre de usuario, se le ha enviado un correo electrónico con un enlace para elegir una contraseña nueva.",
  backToSignIn: "Volver al inicio de sesión",
};
