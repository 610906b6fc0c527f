// Installation form: add and remove hazardous chemical rows. The server reads every
// s_<part>_<n> it is sent, so new rows only need a number not used yet.
(function () {
  "use strict";
  var rows = document.getElementById("substance-rows");
  var template = document.getElementById("substance-row-template");
  var add = document.getElementById("substance-add");
  if (!rows || !template || !add) {
    return;
  }
  var next = parseInt(rows.getAttribute("data-next"), 10) || 0;
  var max = parseInt(rows.getAttribute("data-max"), 10) || 100;

  function all() {
    return rows.querySelectorAll("[data-substance-row]");
  }

  function refresh() {
    var count = all().length;
    add.disabled = count >= max;
    rows.querySelectorAll(".substance-remove").forEach(function (button) {
      button.hidden = false;
      button.disabled = count <= 1;
    });
  }

  add.addEventListener("click", function () {
    if (all().length >= max) {
      return;
    }
    rows.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__i__/g, String(next)));
    next += 1;
    refresh();
    var added = all();
    var first = added[added.length - 1].querySelector("select, input");
    if (first) {
      first.focus();
    }
  });

  rows.addEventListener("click", function (event) {
    var button = event.target.closest(".substance-remove");
    if (!button || all().length <= 1) {
      return;
    }
    button.closest("[data-substance-row]").remove();
    refresh();
    add.focus();
  });

  add.hidden = false;
  refresh();
})();
