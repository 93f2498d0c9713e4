// Render every chart on the page (an element with class "vega" whose data-spec names
// the JSON script holding its Vega-Lite specification), with numbers and month
// names in the page's language.
(function () {
  var dutch = {
    number: { decimal: ",", thousands: ".", grouping: [3], currency: ["€ ", ""] },
    time: {
      dateTime: "%a %e %B %Y %X", date: "%d-%m-%Y", time: "%H:%M:%S",
      periods: ["", ""],
      days: ["zondag", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag"],
      shortDays: ["zo", "ma", "di", "wo", "do", "vr", "za"],
      months: ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
        "september", "oktober", "november", "december"],
      shortMonths: ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt",
        "nov", "dec"]
    }
  };

  function render() {
    var dutchPage = document.documentElement.lang.indexOf("nl") === 0;
    document.querySelectorAll(".vega[data-spec]").forEach(function (target) {
      var source = document.getElementById(target.dataset.spec);
      if (!source || target.dataset.rendered) return;
      target.dataset.rendered = "1";
      // The expression interpreter instead of vega's code generation: no eval, so the
      // Content-Security-Policy needs no 'unsafe-eval'.
      var options = {
        actions: false, renderer: "svg", ast: true, expr: vega.expressionInterpreter
      };
      if (dutchPage) {
        options.formatLocale = dutch.number;
        options.timeFormatLocale = dutch.time;
      }
      vegaEmbed(target, JSON.parse(source.textContent), options).catch(function (error) {
        target.textContent = error.message;
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", render);
  else render();
  document.body.addEventListener("htmx:afterSwap", render);
})();
