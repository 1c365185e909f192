/**
 * The waiting page's only script (served at pushWaitScript, no build step): polls the status
 * of this sign-in's push and, once the phone answered (or the request ended), submits the page's
 * own "continue" form, which the server checks as if the person had pressed it. It adds no
 * capability: without it the button does the same.
 */
export const pushWaitSource = `const status = document.getElementById("push-status");
const url = status && status.dataset.statusUrl;
const button = document.querySelector("input[name=push]");
async function poll() {
  try {
    const response = await fetch(url, { credentials: "same-origin", headers: { accept: "application/json" } });
    if (response.ok) {
      const body = await response.json();
      if (body.status !== "pending") return button.form.submit();
    }
  } catch {}
  setTimeout(poll, 2000);
}
if (url && button) setTimeout(poll, 1000);
`;
