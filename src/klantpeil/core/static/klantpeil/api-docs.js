// Swagger UI draws a choice of examples as a <select> without a label (axe: select-name).
// Label each one as it appears, so a screen reader says what the list is for.
(function () {
  function label(root) {
    root.querySelectorAll("select.examples-select-element:not([aria-label])").forEach(function (s) {
      s.setAttribute("aria-label", "Examples");
    });
  }
  new MutationObserver(function () { label(document); }).observe(document.body, { childList: true, subtree: true });
  label(document);
})();
