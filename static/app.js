// anbiao page behaviour that htmx attributes do not cover. Served from the binary; no inline
// script anywhere, so the Content-Security-Policy can forbid it.
document.addEventListener("htmx:responseError", function (e) {
  // A response htmx would not swap (network failure, proxy error page): tell the user.
  if (!e.detail.shouldSwap && e.detail.xhr && e.detail.xhr.status >= 500) {
    alert("系统暂时无法处理请求，请稍后重试。");
  }
});

// Buttons marked data-print open the browser's print dialog (the print stylesheet lays the
// page out for A4 landscape).
document.addEventListener("click", function (e) {
  if (e.target.closest && e.target.closest("[data-print]")) {
    window.print();
  }
});

// The menu's drop-downs (<details>): opening one closes the others, and a click elsewhere or
// Escape closes it.
document.addEventListener("click", function (e) {
  document.querySelectorAll("header.top details[open]").forEach(function (d) {
    if (!d.contains(e.target)) {
      d.removeAttribute("open");
    }
  });
});
document.addEventListener("keydown", function (e) {
  if (e.key === "Escape") {
    document.querySelectorAll("header.top details[open]").forEach(function (d) {
      var inside = d.contains(document.activeElement);
      d.removeAttribute("open");
      // Focus goes back to the menu's heading, not to the top of the page.
      if (inside) {
        d.querySelector("summary").focus();
      }
    });
  }
});
