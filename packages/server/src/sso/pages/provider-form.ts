/**
 * What oidc-provider's `form` argument carries, taken apart so that Tessera's pages render their
 * own forms. The provider's markup is not embedded as is: its user-code input has an inline
 * `onfocus` handler (script, which the pages' CSP forbids and which must not be needed) and no
 * label. Only the form's action and its hidden fields (the `xsrf` token, the user code being
 * confirmed, `confirm=yes`) are kept; the visible controls are Tessera's.
 */
export interface ProviderForm {
  readonly action: string;
  readonly hidden: Readonly<Record<string, string>>;
}

const entities: Record<string, string> = {
  "&amp;": "&",
  "&lt;": "<",
  "&gt;": ">",
  "&quot;": '"',
  "&#39;": "'",
  "&#x27;": "'",
};
const decodeEntities = (value: string): string =>
  value.replace(/&(?:amp|lt|gt|quot|#39|#x27);/g, (e) => entities[e] ?? e);

const attributeOf = (tag: string, name: string): string | undefined => {
  const match = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return match?.[1] === undefined ? undefined : decodeEntities(match[1]);
};

export function parseProviderForm(form: string): ProviderForm {
  const formTag = /<form\b[^>]*>/.exec(form)?.[0] ?? "";
  const action = attributeOf(formTag, "action");
  if (action === undefined) throw new Error("oidc-provider form without an action");
  const hidden: Record<string, string> = {};
  for (const [tag] of form.matchAll(/<input\b[^>]*>/g)) {
    if (attributeOf(tag, "type") !== "hidden") continue;
    const name = attributeOf(tag, "name");
    if (name !== undefined) hidden[name] = attributeOf(tag, "value") ?? "";
  }
  return { action, hidden };
}
