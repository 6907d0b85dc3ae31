/* A paper's page: copy its BibTeX to the clipboard, with a visible confirmation. */
(() => {
  "use strict";
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    return new Promise((resolve, reject) => {
      const area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.append(area);
      area.select();
      const ok = document.execCommand("copy");
      area.remove();
      if (ok) resolve(); else reject(new Error("copy failed"));
    });
  }
  function init() {
    for (const button of document.querySelectorAll("button[data-copy]")) {
      const source = document.getElementById(button.dataset.copy);
      const status = button.parentElement.querySelector(".copy-status");
      if (!source) continue;
      button.hidden = false;
      let timer = 0;
      button.addEventListener("click", () => {
        copyText(source.textContent).then(() => {
          button.textContent = "Copied ✓";
          button.classList.add("copied");
          if (status) status.textContent = "BibTeX copied to the clipboard";
        }, () => {
          if (status) status.textContent = "Could not copy: select the text and copy it by hand";
        });
        clearTimeout(timer);
        timer = setTimeout(() => {
          button.textContent = "Copy BibTeX";
          button.classList.remove("copied");
          if (status) status.textContent = "";
        }, 2500);
      });
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
