// Canned replies in admin's action forms (incidents/admin_actions.py, CannedReplyMixin): without this
// file, "Insert" sends the form back to the server, which returns it with the reply filled in; with it,
// the reply (filled in on the server, in each option's data-text) goes straight into the text box. The
// NHS-number guard still checks the text when the form is sent. With this file "Insert" is an ordinary
// button, no longer the form's first submit button, so Enter in the form sends it (triage, note, resolve)
// rather than asking the server for a reply.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-canned-insert]").forEach(function (button) {
      button.type = "button";
    });
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-canned-insert]") : null;
    if (!button || !button.form) {
      return;
    }
    var select = button.form.querySelector("select[data-canned-target]");
    var option = select && select.options[select.selectedIndex];
    var box = select && document.getElementById(select.getAttribute("data-canned-target"));
    if (!option || !option.hasAttribute("data-text") || !box) {
      if (select) {
        select.focus(); // nothing chosen yet: the choice is the next step
      }
      return;
    }
    event.preventDefault();
    box.value = option.getAttribute("data-text");
    box.dispatchEvent(new Event("input", { bubbles: true }));
    box.focus();
  });
})();
