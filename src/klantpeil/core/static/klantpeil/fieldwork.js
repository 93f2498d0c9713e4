// After the second tap (a person answered, an agent replied, served; swapped in by
// htmx), put the measured time into the scoring form unless the shopper typed one.
document.body.addEventListener("htmx:afterSwap", function () {
  var taps = document.getElementById("taps");
  var seconds = taps && taps.dataset.seconds;
  if (!seconds) return;
  var input = document.getElementById("f-seconds_to_answer");
  if (input && !input.value) input.value = seconds;
  var minutes = document.getElementById("f-minutes_waiting");
  if (minutes && !minutes.value) minutes.value = Math.round(seconds / 60);
  var reached = document.querySelector(
    "input[name=connected][value='1'], input[name=answered][value='1']"
  );
  if (reached) reached.checked = true;
});
