// Admin's autocomplete boxes (select2) name their combobox by the chosen value alone, so with nothing
// chosen a screen reader announces a box without a name (axe: aria-input-field-name). Name each box by
// its field's label, then its value, as a labelled select would read. Runs after select2 has built the
// boxes: admin's autocomplete.js builds them in a jQuery ready handler, and this script, deferred, registers
// its own after that one.
"use strict";
function nameAutocompleteBoxes() {
  document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
    const label = document.querySelector('label[for="' + select.id + '"]');
    const box = select.parentElement.querySelector('.select2-selection[role="combobox"]');
    if (!label || !box) {
      return;
    }
    label.id = label.id || select.id + "-label";
    const rendered = box.querySelector('[role="textbox"]');
    const name = label.textContent.replace(/:\s*$/, "").trim();
    box.setAttribute("aria-labelledby", rendered ? label.id + " " + rendered.id : label.id);
    if (rendered) {
      rendered.setAttribute("aria-label", name);
    }
  });
}
if (window.django && window.django.jQuery) {
  window.django.jQuery(nameAutocompleteBoxes);
}
