// After the "a person answered" tap (swapped in by htmx), put the measured seconds
// into the scoring form, unless the shopper typed a figure already.
document.body.addEventListener("htmx:afterSwap", function () {
  var taps = document.getElementById("taps");
  var seconds = taps && taps.dataset.seconds;
  if (!seconds) return;
  var input = document.getElementById("f-seconds_to_answer");
  if (input && !input.value) input.value = seconds;
  var connected = document.querySelector("input[name=connected][value='1']");
  if (connected) connected.checked = true;
});
