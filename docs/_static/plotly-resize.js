// The gallery's plotly figures are drawn while the page is still being laid out, at the
// width their container had then; once the page is complete, fit each to its container.
window.addEventListener("load", () => {
  document.querySelectorAll(".js-plotly-plot").forEach((div) => window.Plotly.Plots.resize(div));
});
