import { html, type SafeHtml } from "../../pages/html.ts";

/**
 * Form pieces for SSO pages, accessible by construction: every input has a visible label, an
 * autocomplete hint (password managers and assistive tech rely on it), and its error text is tied
 * to it by aria-describedby with aria-invalid set, so a screen reader reads the error on focus.
 */
export interface FieldOptions {
  /** The form field name; also the element id. */
  readonly name: string;
  readonly label: string;
  readonly type?: "text" | "password" | "email";
  /** An HTML autocomplete token: "username", "current-password", "new-password", "one-time-code", "off". */
  readonly autocomplete: string;
  readonly value?: string;
  readonly error?: string;
  readonly inputmode?: "text" | "numeric";
  readonly autofocus?: boolean;
  readonly required?: boolean;
}

const attribute = (name: string, value: string | undefined): SafeHtml =>
  value === undefined ? html`` : html` ${{ safe: name }}="${value}"`;

const flag = (name: string, on: boolean | undefined): SafeHtml => (on ? { safe: ` ${name}` } : html``);

export function field(options: FieldOptions): SafeHtml {
  const errorId = `${options.name}-error`;
  const error =
    options.error === undefined ? html`` : html`<p class="error" id="${errorId}">${options.error}</p>`;
  return html`<label for="${options.name}">${options.label}</label>
<input id="${options.name}" name="${options.name}" type="${options.type ?? "text"}" autocomplete="${options.autocomplete}"${attribute("value", options.value)}${attribute("inputmode", options.inputmode)}${attribute("aria-describedby", options.error === undefined ? undefined : errorId)}${attribute("aria-invalid", options.error === undefined ? undefined : "true")}${flag("required", options.required ?? true)}${flag("autofocus", options.autofocus)}>
${error}`;
}

/** Values the form posts back unseen (interaction and CSRF ids). */
export function hiddenFields(fields: Readonly<Record<string, string>>): SafeHtml {
  return html`${Object.entries(fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}`;
}

/** A message about the whole form rather than one field (announced at once, no script needed). */
export function formError(message: string | undefined): SafeHtml {
  return message === undefined ? html`` : html`<p class="error" role="alert">${message}</p>`;
}

export interface ButtonOptions {
  readonly label: string;
  readonly name?: string;
  readonly value?: string;
  readonly secondary?: boolean;
}

export function button(options: ButtonOptions): SafeHtml {
  return html`<button type="submit"${attribute("name", options.name)}${attribute("value", options.value)}${options.secondary ? html` class="secondary"` : html``}>${options.label}</button>`;
}

/** The buttons of a form, in a row, in reading (and Tab) order. */
export function actions(...buttons: SafeHtml[]): SafeHtml {
  return html`<div class="actions">${buttons}</div>`;
}

/**
 * Ties every visible input of `fields` to the error text with id `errorId`: for a problem with
 * the whole form (a failed sign-in names no field, on purpose), each input is described by it.
 */
export function describedBy(fields: SafeHtml, errorId: string): SafeHtml {
  const attributes = html` aria-describedby="${errorId}" aria-invalid="true"`.safe;
  return { safe: fields.safe.replace(/<input\b(?![^>]*\btype="hidden")/g, (tag) => tag + attributes) };
}
