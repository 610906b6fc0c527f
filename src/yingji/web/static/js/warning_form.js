// Author form: choosing a hazard type fills in its standard texts, unless the author has
// already written their own (a text still equal to the previous type's default is replaced).
(function () {
  "use strict";
  var select = document.getElementById("f-hazard_type");
  var node = document.getElementById("warning-templates");
  if (!select || !node) {
    return;
  }
  var templates = JSON.parse(node.textContent);
  var FIELDS = ["description", "instruction", "event_en", "description_en", "instruction_en"];
  var previous = select.value;

  select.addEventListener("change", function () {
    var before = templates[previous] || {};
    var after = templates[select.value] || {};
    FIELDS.forEach(function (name) {
      var input = document.getElementById("f-" + name);
      if (!input || after[name] === undefined) {
        return;
      }
      var current = input.value.trim();
      if (current === "" || current === (before[name] || "").trim()) {
        input.value = after[name];
      }
    });
    previous = select.value;
  });
})();
