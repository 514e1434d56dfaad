// secor-docs serve: the only script. Shows a running build's progress; asks before removing a row.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  var card = document.getElementById("build");
  if (!card) { return; }
  var url = card.getAttribute("data-status-url");
  var box = document.getElementById("build-progress");
  var bar = box.querySelector(".bar span");
  var text = document.getElementById("build-text");
  var log = document.getElementById("build-log");
  var button = document.getElementById("build-button");

  function show(status) {
    if (status.state === "idle") { return; }
    box.hidden = false;
    log.textContent = (status.lines || []).join("\n");
    if (status.state === "running") {
      var share = status.total ? Math.round(100 * (status.done || 0) / status.total) : 5;
      bar.style.width = Math.max(share, 3) + "%";
      bar.parentNode.classList.add("running");
      text.textContent = "Building: " + (status.text || "working") + (status.seconds ? " · " + Math.round(status.seconds) + " s" : "");
      button.disabled = true;
    }
  }

  var last = card.getAttribute("data-state");
  function poll() {
    fetch(url, {headers: {"Accept": "application/json"}, cache: "no-store"})
      .then(function (r) { return r.json(); })
      .then(function (status) {
        show(status);
        if (last === "running" && status.state !== "running") {
          window.location.reload(); // the build ended: show the new binder, changes and gaps
          return;
        }
        last = status.state;
        window.setTimeout(poll, status.state === "running" ? 1000 : 4000); // another tab may start one
      })
      .catch(function () { window.setTimeout(poll, 4000); });
  }
  poll();
})();
