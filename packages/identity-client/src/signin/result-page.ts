import type { PageKind } from "./helper-protocol.ts";

/**
 * The page the browser shows after the redirect, in the program's language (en, de, es; others
 * fall back to English). It carries no token, code or state: only what happened and that the
 * person should return to the program.
 */
const texts: Record<string, Record<PageKind, { title: string; body: string }>> = {
  en: {
    success: {
      title: "Signed in",
      body: "You are signed in. You can close this tab and return to the program.",
    },
    cancelled: {
      title: "Sign-in cancelled",
      body: "The sign-in was cancelled. Return to the program to try again.",
    },
    failure: {
      title: "Sign-in failed",
      body: "The sign-in could not be completed. Return to the program to try again.",
    },
  },
  de: {
    success: {
      title: "Angemeldet",
      body: "Sie sind angemeldet. Sie können diesen Tab schließen und zum Programm zurückkehren.",
    },
    cancelled: {
      title: "Anmeldung abgebrochen",
      body: "Die Anmeldung wurde abgebrochen. Kehren Sie zum Programm zurück, um es erneut zu versuchen.",
    },
    failure: {
      title: "Anmeldung fehlgeschlagen",
      body: "Die Anmeldung konnte nicht abgeschlossen werden. Kehren Sie zum Programm zurück, um es erneut zu versuchen.",
    },
  },
  es: {
    success: {
      title: "Sesión iniciada",
      body: "Ha iniciado sesión. Puede cerrar esta pestaña y volver al programa.",
    },
    cancelled: {
      title: "Inicio de sesión cancelado",
      body: "Se canceló el inicio de sesión. Vuelva al programa para intentarlo de nuevo.",
    },
    failure: {
      title: "Error al iniciar sesión",
      body: "No se pudo completar el inicio de sesión. Vuelva al programa para intentarlo de nuevo.",
    },
  },
};

/** The primary language subtag of `locale` when a page exists for it, else English. */
export function pageLanguage(locale: string): string {
  const language = locale.split(/[-_]/)[0]?.toLowerCase() ?? "en";
  return language in texts ? language : "en";
}

export function resultPage(kind: PageKind, locale: string): string {
  const language = pageLanguage(locale);
  const text = texts[language]?.[kind] ?? { title: "", body: "" };
  return `<!doctype html>
<html lang="${language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${text.title}</title></head>
<body><main><h1 id="result" data-result="${kind}">${text.title}</h1><p>${text.body}</p></main></body></html>
`;
}

/** Headers of every helper answer: nothing cached, nothing referred, no script, no framing. */
export const pageHeaders = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
} as const;
