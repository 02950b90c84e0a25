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
  function askOutcome(card) {
    var modal = $("#close-deal-modal");
    modal.find(".close-deal-name").text(card.find(".card-title").text());
    modal.find("[data-outcome]").off("click").on("click", function () {
      modal.modal("hide");
      post(card.data("close-url"), "status", $(this).data("outcome"));
    });
    modal.modal("show");
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
        askOutcome(dragged);  /* won or lost? the dialog is the confirmation of either */
      } else {
        post(dragged.data("move-url"), "stage", column);
      }
    } else if (column !== dragged.data("status")) {
      post(dragged.data("transition-url"), "to", column);
    }
    dragged = null;
  });
});

/* Forms that ask first (archive, revert, close, convert, remove a member): the question is the
   form's data-confirm text. No inline handlers: the pages run under a CSP without 'unsafe-inline'. */
$(document).on("submit", "form[data-confirm]", function (e) {
  if (!window.confirm($(this).attr("data-confirm"))) { e.preventDefault(); }
});

/* "/" focuses the list's search box (unless typing in a field already). */
$(document).on("keydown", function (e) {
  if (e.key !== "/" || $(e.target).is("input, textarea, select, [contenteditable]")) { return; }
  var box = $("#search-box");
  if (box.length) { e.preventDefault(); box.trigger("focus").trigger("select"); }
});

/* Likely duplicates: a form names the fields to check (data-similar); when one changes, the
   server lists records with the same value, and the form says so. Saving stays possible. */
$(function () {
  $("form[data-similar]").each(function () {
    var form = $(this);
    var urls = form.data("similar");
    $.each(urls, function (field, url) {
      var input = form.find("[name='" + field + "']");
      var note = $("<div class='alert alert-warning duplicate-warning hidden' role='status'></div>")
        .attr("id", "duplicate-" + field);
      input.after(note);
      input.on("change blur", function () {
        var value = $.trim(input.val() || "");
        if (!value) { note.addClass("hidden").empty(); return; }
        $.getJSON(url, { value: value }, function (data) {
          if (!data.matches || !data.matches.length) { note.addClass("hidden").empty(); return; }
          note.empty().append(document.createTextNode("Possibly a duplicate of "));
          $.each(data.matches, function (i, m) {
            if (i) { note.append(document.createTextNode(", ")); }
            note.append($("<a target='_blank' rel='noopener'></a>").attr("href", m.url).text(m.label));
          });
          note.append(document.createTextNode(". You may still save."));
          note.removeClass("hidden");
        });
      });
    });
  });
});
