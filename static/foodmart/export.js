// django-import-export's export page wires its "Select all" box with an
// inline onchange attribute, which the Content Security Policy (no inline
// script) blocks; templates/admin/import_export/export.html drops the
// attribute and this file wires the same handler.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const toggle of document.querySelectorAll("input.select-toggle")) {
    toggle.addEventListener("change", onSelectToggleChange);
  }
});
