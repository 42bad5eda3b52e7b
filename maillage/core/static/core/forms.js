// Double-submit guard (progressive enhancement: the server already makes a second identical
// POST harmless, see docs/security.md "Idempotency"). While a plain POST form is being sent,
// a second click or Enter does nothing. The button is not disabled: a disabled submit button
// would drop its own name/value from the request.
(() => {
  // Forms that start a download leave the page in place: they accept a new click after this.
  const RELEASE_AFTER_MS = 8000;

  const release = (form) => {
    form.removeAttribute("data-submitting");
    form.removeAttribute("aria-busy");
  };

  const guarded = (form) =>
    form.method.toLowerCase() === "post" &&
    !form.hasAttribute("data-allow-resubmit") &&
    !(form.target && form.target !== "_self") &&
    // htmx forms have their own request queue (hx-sync) and are not navigations.
    !Array.from(form.attributes).some((attr) => /^(data-)?hx-/.test(attr.name));

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || event.defaultPrevented || !guarded(form)) return;
    if (form.hasAttribute("data-submitting")) {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-submitting", "");
    form.setAttribute("aria-busy", "true");
    window.setTimeout(() => release(form), RELEASE_AFTER_MS);
  });

  // Back to a page kept in the browser's cache: its forms may be sent again.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) document.querySelectorAll("form[data-submitting]").forEach(release);
  });
})();
