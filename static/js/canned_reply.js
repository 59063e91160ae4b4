// Canned replies in admin's action forms (incidents/admin_actions.py, CannedReplyMixin): without this
// file, "Insert" sends the form back to the server, which returns it with the reply filled in; with it,
// the reply (filled in on the server, in each option's data-text) goes straight into the text box. The
// NHS-number guard still checks the text when the form is sent.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-canned-insert]") : null;
    if (!button || !button.form) {
      return;
    }
    var select = button.form.querySelector("select[data-canned-target]");
    var option = select && select.options[select.selectedIndex];
    var box = select && document.getElementById(select.getAttribute("data-canned-target"));
    if (!option || !option.hasAttribute("data-text") || !box) {
      return; // nothing chosen: let the server say so
    }
    event.preventDefault();
    box.value = option.getAttribute("data-text");
    box.dispatchEvent(new Event("input", { bubbles: true }));
    box.focus();
  });
})();
