// Risk point form: show only the factor selects of the chosen assessment method.
(function () {
  "use strict";
  var method = document.getElementById("f-method");
  if (!method) {
    return;
  }
  var sets = document.querySelectorAll("fieldset.risk-method");
  function show() {
    sets.forEach(function (set) {
      var on = set.getAttribute("data-method") === method.value;
      set.hidden = !on;
      set.disabled = !on;
    });
  }
  method.addEventListener("change", show);
  show();
})();
