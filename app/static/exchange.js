/* Change sets (app/core/exchange/views.py): run the dry run from the preview page and show its
   progress; show the commit's progress while its request runs. Progress lives in the database:
   any worker answers the poll. */
$(function () {
  var box = $("#changeset-progress");
  if (!box.length) { return; }
  var bar = box.find(".progress-bar");
  var label = box.find(".progress-label");
  var progressUrl = box.data("progress-url");
  var token = box.data("csrf");
  var timer = null;

  function show(p, phase) {
    if (!p) { return; }
    var pct = p.total ? Math.round(100 * p.done / p.total) : 0;
    bar.css("width", pct + "%").attr("aria-valuenow", pct).text(pct + "%");
    label.text(phase + ": " + p.done.toLocaleString() + " of " + p.total.toLocaleString() + " rows");
  }
  function poll(phase) {
    $.getJSON(progressUrl).done(function (data) {
      if (data.progress && data.progress.phase !== "preview" && data.progress.phase !== "committed") {
        show(data.progress, phase);
      }
    });
  }
  function start(phase) {
    box.removeClass("hidden");
    label.text(phase + "…");
    timer = setInterval(function () { poll(phase); }, 700);
  }

  if (box.data("state") === "analyzing") {
    start("Checking every row");
    $.ajax({ url: box.data("analyze-url"), method: "POST", headers: { "X-CSRFToken": token } })
      .always(function () { clearInterval(timer); window.location.reload(); });
  }
  $("#commit-form").on("submit", function () {
    $(this).find("button").prop("disabled", true);
    start("Writing");
  });
});
