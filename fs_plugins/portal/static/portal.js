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

// Tabs (the IVR editor): without JavaScript every part shows one after another; with it, one part at a
// time, arrow keys move between tabs, and the part holding an error opens first.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[role='tablist']").forEach((list) => {
    const tabs = Array.from(list.querySelectorAll("[role='tab']"));
    const panelOf = (tab) => document.getElementById(tab.getAttribute("aria-controls"));
    const select = (chosen, focus) => {
      tabs.forEach((tab) => {
        const on = tab === chosen;
        tab.setAttribute("aria-selected", on ? "true" : "false");
        tab.tabIndex = on ? 0 : -1;
        panelOf(tab).hidden = !on;
      });
      if (focus) chosen.focus();
    };
    list.hidden = false;
    tabs.forEach((tab, index) => {
      tab.addEventListener("click", () => select(tab, true));
      tab.addEventListener("keydown", (event) => {
        const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
        if (step) select(tabs[(index + step + tabs.length) % tabs.length], true);
      });
    });
    const withError = tabs.find((tab) => panelOf(tab).querySelector("[aria-invalid='true']"));
    select(withError || tabs[0], false);
    if (withError) panelOf(withError).querySelector("[aria-invalid='true']").focus();
  });
});

// Dialogs (the "Grabación de voz" pop-up): a button names the <dialog> it opens or closes.
document.addEventListener("click", (event) => {
  const opener = event.target.closest("[data-opens]");
  if (opener) document.getElementById(opener.dataset.opens).showModal();
  const closer = event.target.closest("[data-closes]");
  if (closer) document.getElementById(closer.dataset.closes).close();
});

// A group's members (admin/group_edit.html): dragged into a new order, the list posts that order
// (every member's key, as groups.app.order_members takes it). Without JavaScript the arrows do it.
document.addEventListener("DOMContentLoaded", () => {
  const list = document.querySelector("ol[data-order-form]");
  if (!list) return;
  const form = document.getElementById(list.dataset.orderForm);
  let dragged = null;
  list.addEventListener("dragstart", (event) => {
    dragged = event.target.closest("li");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.dataset.key);
  });
  list.addEventListener("dragover", (event) => {
    const over = event.target.closest("li");
    if (!dragged || !over || over === dragged) return;
    event.preventDefault();
    const after = event.clientY > over.getBoundingClientRect().top + over.offsetHeight / 2;
    list.insertBefore(dragged, after ? over.nextSibling : over);
  });
  list.addEventListener("drop", (event) => {
    if (!dragged) return;
    event.preventDefault();
    dragged = null;
    list.querySelectorAll("li").forEach((item) => {
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = "order";
      input.value = item.dataset.key;
      form.appendChild(input);
    });
    form.submit();
  });
});

// A plain form (no hx-post) that should ask first: htmx's hx-confirm asks only before htmx requests,
// so the same question is put here before an ordinary submit (revoke a key, suspend a customer, …).
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.getAttribute("hx-confirm");
  if (!question || form.matches("[hx-post], [hx-put], [hx-delete], [hx-get]")) return;
  if (!window.confirm(question)) event.preventDefault();
}, true);

// A part of a form that applies to one choice only (a call group's queue, for an advanced group):
// data-shown-with="name=value" shows it while the form's `name` has that value, or while it holds
// an error. Without JavaScript the server shows it for the saved choice.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-shown-with]").forEach((part) => {
    const [name, wanted] = part.dataset.shownWith.split("=");
    const control = part.closest("form").elements.namedItem(name);
    if (!control) return;
    const sync = () => {
      part.hidden = control.value !== wanted && !part.querySelector("[aria-invalid='true']");
    };
    control.addEventListener("change", sync);
    sync();
  });
});
