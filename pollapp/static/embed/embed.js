/* Draws every chart spec of the page with vega-embed (loaded before this file from pollapp's own
   bundle). The spec carries its data, theme and locale; nothing is fetched. */
(function () {
  "use strict";
  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-spec"));
    var spec = JSON.parse(source.textContent);
    var dark = el.getAttribute("data-theme") === "dark";
    return vegaEmbed(el, spec, {
      renderer: "svg",
      actions: false,
      tooltip: { theme: dark ? "dark" : "light" },
      loader: { target: "_blank" }
    }).then(function (result) {
      // The legend columns and the title's lines follow the plot's width, which autosize "fit" only
      // knows after a first layout: lay out once more so their final height moves the plot down, and
      // again whenever the width changes later (a frame resized, a phone turned).
      var view = result.view;
      view.addSignalListener("width", function () {
        window.requestAnimationFrame(function () { view.resize().runAsync(); });
      });
      return view.resize().runAsync();
    }).then(function () {
      el.setAttribute("data-rendered", "true");
    }).catch(function (error) {
      el.setAttribute("data-error", String(error));
      // The static SVG of the same spec, fetched only when the interactive chart failed.
      var src = el.getAttribute("data-fallback");
      if (src) {
        var img = document.createElement("img");
        img.src = src;
        img.alt = el.getAttribute("aria-label") || "";
        img.style.maxWidth = "100%";
        el.appendChild(img);
      }
    });
  }
  function start() {
    var charts = document.querySelectorAll("[data-spec]");
    for (var i = 0; i < charts.length; i++) { draw(charts[i]); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
