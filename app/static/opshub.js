/* Date fields keep what was typed: the server says what is wrong with it (a picker that "fixes"
   2026-13-45 into another date, or clears it, would change or lose the input silently). Set
   before FAB's ab.js initialises its pickers on document ready. */
if ($.fn.datepicker) { $.fn.datepicker.defaults.forceParse = false; }

/* Remote selects: search the server as the user types (see app/core/fields.py). A picker that
   depends on another (a deal's contact on its client) sends the other's value and is cleared
   when it changes. Pickers added later (a filter row of the search form) get the same. */
function opshubRemoteSelect(el) {
  el = $(el);
  if (el.data("select2")) { return; }
  var form = el.closest("form");
  var dependsOn = el.data("depends-on");
  el.select2({
    theme: "bootstrap",
    allowClear: !el.prop("required"),
    placeholder: el.data("placeholder") || "",
    minimumInputLength: 0,
    ajax: {
      url: el.data("endpoint"),
      dataType: "json",
      delay: 200,
      data: function (params) {
        var args = { term: params.term || "", page: params.page || 1 };
        if (dependsOn) { args[dependsOn] = form.find("[name='" + dependsOn + "']").val() || ""; }
        return args;
      },
      processResults: function (data) { return data; }
    }
  });
  if (dependsOn) {
    form.on("change", "[name='" + dependsOn + "']", function () { el.val(null).trigger("change"); });
  }
}
$(function () {
  $(".opshub-remote-select").each(function () { opshubRemoteSelect(this); });
  if (window.MutationObserver) {
    new MutationObserver(function (mutations) {
      mutations.forEach(function (m) {
        $(m.addedNodes).find(".opshub-remote-select").addBack(".opshub-remote-select").each(function () {
          opshubRemoteSelect(this);
        });
      });
    }).observe(document.body, { childList: true, subtree: true });
  }
});

/* Pipeline board: drag a card to another column. The drop posts the same form as the card's
   buttons (which stay the keyboard path), so the server's rules answer either way. */
$(function () {
  var board = $("#pipeline");
  if (!board.length) { return; }
  var token = board.find("input[name=csrf_token]").first().val();
  var dragged = null;
  function post(action, field, value) {
    if (!action) { return; }
    var form = $("<form method='post' class='hidden'></form>").attr("action", action);
    form.append($("<input type='hidden' name='csrf_token'>").val(token));
    form.append($("<input type='hidden'>").attr("name", field).val(value));
    form.append($("<input type='hidden' name='next'>").val(window.location.pathname + window.location.search));
    $("body").append(form);
    form.trigger("submit");
  }
  board.on("dragstart", ".board-card[draggable=true]", function (e) {
    dragged = $(this);
    e.originalEvent.dataTransfer.setData("text/plain", "card");
  });
  board.on("dragover", ".board-col", function (e) {
    if (dragged && $(this).data("kind") === (dragged.hasClass("deal-card") ? "deal" : "lead")) {
      e.preventDefault();
      $(this).addClass("drop-target");
    }
  });
  board.on("dragleave drop", ".board-col", function () { $(this).removeClass("drop-target"); });
  board.on("drop", ".board-col", function (e) {
    e.preventDefault();
    if (!dragged) { return; }
    var column = $(this).data("column");
    if (dragged.hasClass("deal-card")) {
      if (column === dragged.data("stage")) { return; }
      if (column === "closed") {
        post(dragged.data("close-url"), "status", "won");
      } else {
        post(dragged.data("move-url"), "stage", column);
      }
    } else if (column !== dragged.data("status")) {
      post(dragged.data("transition-url"), "to", column);
    }
    dragged = null;
  });
});

/* Forms that ask before they act: data-confirm="Archive this record?" (no inline handlers). */
$(document).on("submit", "form[data-confirm]", function (e) {
  if (!window.confirm($(this).data("confirm"))) { e.preventDefault(); }
});

/* "/" focuses the list's search box (unless typing in a field already). */
$(document).on("keydown", function (e) {
  if (e.key !== "/" || $(e.target).is("input, textarea, select, [contenteditable]")) { return; }
  var box = $("#search-box");
  if (box.length) { e.preventDefault(); box.trigger("focus").trigger("select"); }
});
