// The organisation switcher: a search box that narrows a long list as you type
// (an analyst may serve forty organisations). Without script the whole list shows.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("details.switcher").forEach(function (details) {
    var search = details.querySelector(".org-search");
    var none = details.querySelector(".org-none");
    var items = Array.prototype.slice.call(details.querySelectorAll("li"));
    if (!search || items.length < 6) return;
    search.hidden = false;
    details.addEventListener("toggle", function () { if (details.open) search.focus(); });
    search.addEventListener("input", function () {
      var words = search.value.toLocaleLowerCase().trim();
      var shown = 0;
      items.forEach(function (li) {
        var match = li.textContent.toLocaleLowerCase().indexOf(words) !== -1;
        li.hidden = !match;
        if (match) shown += 1;
      });
      none.hidden = shown > 0;
    });
    search.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return;
      var first = items.filter(function (li) { return !li.hidden; })[0];
      if (first) { event.preventDefault(); first.querySelector("a").click(); }
    });
  });
});
