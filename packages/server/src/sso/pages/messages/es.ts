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
};
