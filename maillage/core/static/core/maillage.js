// Progressive enhancement only: every page works without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  // Move focus to the error summary so screen-reader users hear the errors first (RGAA 11.10).
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
});
