/* Remote selects: search the server as the user types (see app/core/fields.py). */
$(function () {
  $(".opshub-remote-select").each(function () {
    var el = $(this);
    el.select2({
      theme: "bootstrap",
      allowClear: !el.prop("required"),
      placeholder: el.data("placeholder") || "",
      minimumInputLength: 0,
      ajax: {
        url: el.data("endpoint"),
        dataType: "json",
        delay: 200,
        data: function (params) { return { term: params.term || "", page: params.page || 1 }; },
        processResults: function (data) { return data; }
      }
    });
  });
});

/* Pipeline board: drag a card to another column. The drop posts the same form as the card's
   buttons (which stay the keyboard path), so the server's rules answer either way. */
$(function () {
  var board = $("#pipeline");
  if (!board.length) { return; }
  var token = board.find("input[name=csrf_token]").first().val();
  var dragged = null;
  function post(action, field, value) {
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
        post("/deals/close/" + dragged.data("deal-id"), "status", "won");
      } else {
        post("/deals/move/" + dragged.data("deal-id"), "stage", column);
      }
    } else if (column !== dragged.data("status")) {
      post("/leads/status/" + dragged.data("lead-id"), "status", column);
    }
    dragged = null;
  });
});

/* Forms that ask first (archive, revert, close, convert, remove a member): the question is the
   form's data-confirm text. No inline handlers: the pages run under a CSP without 'unsafe-inline'. */
$(document).on("submit", "form[data-confirm]", function (e) {
  if (!window.confirm($(this).attr("data-confirm"))) { e.preventDefault(); }
});
