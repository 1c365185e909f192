import { type PublicMessageKey, publicMessage, publicMessages } from "@tessera/codes";
import type { Locale } from "../locale.ts";

/**
 * The codes' generic public sentences (packages/codes/src/catalogs/public-messages.ts) in every
 * page language. English is the catalog itself; `unknown` is the sentence for a code the catalog
 * does not know (lookup.ts).
 */
type PublicTable = { readonly [key in PublicMessageKey | "unknown"]: string };

// NaN is no code of any catalog: the lookup's own sentence for an unknown code.
const en: PublicTable = { ...publicMessages, unknown: publicMessage(Number.NaN) };

const de: PublicTable = {
  ok: "Erledigt.",
  signInFailed: "Die Anmeldung ist fehlgeschlagen. Prüfen Sie Ihre Angaben und versuchen Sie es erneut.",
  tooManyAttempts: "Zu viele Versuche. Bitte warten Sie eine Weile und versuchen Sie es dann erneut.",
  tooManyFailures:
    "Zu viele fehlgeschlagene Versuche. Versuchen Sie es später erneut oder wenden Sie sich an Ihre Administration.",
  accountUnavailable: "Mit diesem Konto ist keine Anmeldung möglich. Wenden Sie sich an Ihre Administration.",
  accessDenied:
    "Der Zugriff ist zu dieser Zeit oder von diesem Ort aus nicht erlaubt. Wenden Sie sich an Ihre Administration.",
  badRequest:
    "Die Anfrage konnte nicht verarbeitet werden. Prüfen Sie Ihre Eingaben und versuchen Sie es erneut.",
  notFound: "Das Gesuchte wurde nicht gefunden.",
  conflict:
    "Das ist im aktuellen Zustand nicht möglich. Laden Sie die Seite neu und versuchen Sie es erneut.",
  deliveryFailed: "Die Nachricht konnte nicht gesendet werden. Bitte versuchen Sie es später erneut.",
  serverFault: "Bei uns ist etwas schiefgelaufen. Bitte versuchen Sie es später erneut.",
  deviceProblem:
    "Dieses Authentifizierungsgerät kann nicht verwendet werden. Wenden Sie sich an Ihre Administration.",
  recoveryLinkInvalid: "Dieser Link ist ungültig oder abgelaufen. Fordern Sie einen neuen an.",
  activationLinkInvalid:
    "Dieser Aktivierungslink ist ungültig, bereits verwendet oder abgelaufen. Bitten Sie Ihre Administration um einen neuen.",
  securityKeyFailed: "Der Sicherheitsschlüssel konnte nicht geprüft werden. Versuchen Sie es erneut.",
  passwordExpired: "Ihr Passwort ist abgelaufen. Wählen Sie ein neues.",
  unknown: "Etwas ist schiefgelaufen. Bitte versuchen Sie es später erneut.",
};

const es: PublicTable = {
  ok: "Hecho.",
  signInFailed: "No se ha podido iniciar sesión. Compruebe sus datos e inténtelo de nuevo.",
  tooManyAttempts: "Demasiados intentos. Espere un rato e inténtelo de nuevo.",
  tooManyFailures:
    "Demasiados intentos fallidos. Inténtelo más tarde o póngase en contacto con su administrador.",
  accountUnavailable: "No se puede iniciar sesión con esta cuenta. Póngase en contacto con su administrador.",
  accessDenied:
    "El acceso no está permitido en este momento o desde este lugar. Póngase en contacto con su administrador.",
  badRequest: "No se ha podido procesar la solicitud. Compruebe lo que ha introducido e inténtelo de nuevo.",
  notFound: "No se ha encontrado lo que busca.",
  conflict: "Esto no se puede hacer en el estado actual. Actualice la página e inténtelo de nuevo.",
  deliveryFailed: "No hemos podido enviar el mensaje. Inténtelo de nuevo más tarde.",
  serverFault: "Algo ha fallado por nuestra parte. Inténtelo de nuevo más tarde.",
  deviceProblem:
    "Este dispositivo de autenticación no se puede usar. Póngase en contacto con su administrador.",
  recoveryLinkInvalid: "Este enlace no es válido o ha caducado. Solicite uno nuevo.",
  activationLinkInvalid:
    "Este enlace de activación no es válido, ya se ha usado o ha caducado. Pida uno nuevo a su administrador.",
  securityKeyFailed: "No se ha podido verificar la llave de seguridad. Inténtelo de nuevo.",
  passwordExpired: "Su contraseña ha caducado. Elija una nueva.",
  unknown: "Algo ha fallado. Inténtelo de nuevo más tarde.",
};

export const publicMessageTables: { readonly [locale in Locale]: PublicTable } = { en, de, es };

/** Which generic sentence the catalog gives each English text (codes share them on purpose). */
export const publicMessageKeyOf = new Map<string, PublicMessageKey>(
  Object.entries(publicMessages).map(([key, text]) => [text, key as PublicMessageKey]),
);
