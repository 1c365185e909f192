/**
 * The WebAuthn pages' only script (served at webauthnScript, an ES module, no build step). For
 * each form carrying a `credential` field (the security-key factor, the passkey button, the key
 * at enrolment) it asks the server for a fresh ceremony (a same-origin POST with the form's CSRF
 * token: never a GET), hands the options to the browser's authenticator, and posts the answer in
 * the form, which the server checks as it checks everything else. On the first page it also
 * offers passkeys in the username field's autofill (conditional mediation) where the browser
 * can. Base64url <-> ArrayBuffer by hand: a few lines, no library.
 */
export const webauthnSource = `const toBytes = (text) =>
  Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)).buffer;
const toText = (buffer) => {
  let binary = "";
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
};
const withIds = (list) => (list || []).map((c) => ({ ...c, id: toBytes(c.id) }));

function publicKeyOf(kind, o) {
  if (kind === "create")
    return { ...o, challenge: toBytes(o.challenge), user: { ...o.user, id: toBytes(o.user.id) }, excludeCredentials: withIds(o.excludeCredentials) };
  return { ...o, challenge: toBytes(o.challenge), allowCredentials: withIds(o.allowCredentials) };
}

function answerOf(credential) {
  const r = credential.response;
  const response = { clientDataJSON: toText(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = toText(r.attestationObject);
    response.transports = r.getTransports ? r.getTransports() : [];
  } else {
    response.authenticatorData = toText(r.authenticatorData);
    response.signature = toText(r.signature);
    if (r.userHandle) response.userHandle = toText(r.userHandle);
  }
  const answer = { id: credential.id, rawId: toText(credential.rawId), type: credential.type, response,
    clientExtensionResults: credential.getClientExtensionResults() };
  if (credential.authenticatorAttachment) answer.authenticatorAttachment = credential.authenticatorAttachment;
  return JSON.stringify(answer);
}

async function ceremony(form) {
  const base = form.action.slice(0, form.action.lastIndexOf("/"));
  const body = new URLSearchParams({ csrf: form.elements.csrf.value });
  const response = await fetch(base + "/webauthn-options", { method: "POST", body, credentials: "same-origin",
    headers: { accept: "application/json" } });
  if (!response.ok) throw new Error("no ceremony: " + response.status);
  return response.json();
}

function post(form, started, credential) {
  form.elements.ceremony.value = started.ceremonyId;
  form.elements.binding.value = started.binding;
  form.elements.credential.value = answerOf(credential);
  form.submit();
}

function say(form, failed) {
  const status = form.querySelector("[data-failed]");
  if (status && failed) status.textContent = status.dataset.failed;
}

let conditional;
async function run(form, mediation) {
  const started = await ceremony(form);
  const publicKey = publicKeyOf(started.kind, started.options);
  if (started.kind === "create") return post(form, started, await navigator.credentials.create({ publicKey }));
  if (mediation) {
    conditional = new AbortController();
    const credential = await navigator.credentials.get({ publicKey, mediation, signal: conditional.signal });
    return post(form, started, credential);
  }
  if (conditional) conditional.abort();
  return post(form, started, await navigator.credentials.get({ publicKey }));
}

for (const input of document.querySelectorAll("input[name=credential]")) {
  const form = input.form;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    say(form, false);
    run(form).catch(() => say(form, true));
  });
  if (form.dataset.conditional !== undefined && window.PublicKeyCredential &&
      PublicKeyCredential.isConditionalMediationAvailable)
    PublicKeyCredential.isConditionalMediationAvailable().then((yes) => {
      if (yes) run(form, "conditional").catch(() => {});
    });
}
`;
