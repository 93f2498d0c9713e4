// Progressive enhancement only: the form works fully without this file.
(function () {
  var form = document.getElementById("survey");
  if (!form) return;
  var bar = document.getElementById("progress");
  var text = document.getElementById("progress-text");
  var total = parseInt(form.dataset.total, 10);
  var template = form.dataset.answeredTemplate;
  function update() {
    var done = 0;
    form.querySelectorAll(".r-q").forEach(function (q) {
      var answered = Array.prototype.some.call(q.querySelectorAll("input, textarea"), function (el) {
        return (el.type === "radio" || el.type === "checkbox") ? el.checked : el.value.trim() !== "";
      });
      if (answered) done += 1;
    });
    bar.value = done;
    text.textContent = template.replace("%(done)s", done).replace("%(total)s", total);
  }
  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
  // A double tap must not send twice; the server is idempotent anyway.
  form.addEventListener("submit", function () {
    var button = form.querySelector("button[type=submit]");
    setTimeout(function () { button.disabled = true; }, 0);
  });
})();
