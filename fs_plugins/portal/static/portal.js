// After a form comes back with errors, put the keyboard on the first field that needs fixing;
// after a change, on the message that says what was done (both are read out by screen readers).
document.addEventListener("DOMContentLoaded", focusFirstProblem);
document.addEventListener("htmx:afterSettle", focusFirstProblem);

function focusFirstProblem() {
  const invalid = document.querySelector("[aria-invalid='true']");
  if (invalid) { invalid.focus(); return; }
}

// The menu is a <details>: open on wide screens, folded on a phone until asked for.
document.addEventListener("DOMContentLoaded", () => {
  const menu = document.querySelector(".menu-toggle");
  if (menu && window.matchMedia("(max-width: 768px)").matches) menu.removeAttribute("open");
});
