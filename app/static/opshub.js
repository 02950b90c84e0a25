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
