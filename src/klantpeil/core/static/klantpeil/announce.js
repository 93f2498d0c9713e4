// After a filter swaps the page's figures in (htmx), say the new result in a live region
// that stays in the page (one inside the swapped part would be replaced, not announced).
// htmx itself keeps focus on the filter that was used: every filter has an id.
document.addEventListener("DOMContentLoaded", function () {
  var announcer = document.getElementById("announcer");
  if (!announcer) return;
  document.body.addEventListener("htmx:afterSwap", function () {
    var result = document.querySelector("#main [data-announce]");
    announcer.textContent = "";
    if (result) {
      // A new text node in the next frame, so the same words twice are read twice.
      window.requestAnimationFrame(function () {
        announcer.textContent = result.textContent.replace(/\s+/g, " ").trim();
      });
    }
  });
});
