// Keyboard shortcuts. Inbox: j/k move between drafts, Enter opens one. Draft page: a asks
// to approve (the confirmation is a second step), e edit, r reject, n next draft. Links
// to #edit-box / #reject-box open those boxes. Everything works without this script.
(function () {
  "use strict";
  function typing(e) {
    var tag = (e.target && e.target.tagName) || "";
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || e.metaKey || e.ctrlKey || e.altKey;
  }
  function openBox(id) {
    var box = document.getElementById(id);
    if (!box) return false;
    box.open = true;
    var field = box.querySelector("textarea");
    if (field) field.focus();
    box.scrollIntoView({ block: "nearest" });
    return true;
  }
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("a[href^='#']");
    if (a && openBox(a.getAttribute("href").slice(1))) e.preventDefault();
  });
  if (location.hash) openBox(location.hash.slice(1));

  var list = document.querySelector("[data-keys=rows]");
  var rows = list ? Array.prototype.slice.call(list.querySelectorAll("li.row")) : [];
  var at = -1;
  function select(i) {
    if (!rows.length) return;
    if (at >= 0) rows[at].classList.remove("selected");
    at = Math.max(0, Math.min(rows.length - 1, i));
    rows[at].classList.add("selected");
    var link = rows[at].querySelector("a.open");
    if (link) link.focus();
    rows[at].scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("keydown", function (e) {
    if (typing(e)) return;
    if (rows.length) {
      if (e.key === "j") { select(at + 1); e.preventDefault(); return; }
      if (e.key === "k") { select(at - 1); e.preventDefault(); return; }
      if (e.key === "Enter" && at >= 0) {
        var link = rows[at].querySelector("a.open");
        if (link) { window.location = link.href; e.preventDefault(); }
        return;
      }
    }
    if (document.querySelector(".decide [data-key='" + e.key + "']")) { pending = e.key; e.preventDefault(); }
  });
  // a decision key acts when it is released, so its character never lands in the field
  // it opens
  var pending = "";
  document.addEventListener("keyup", function (e) {
    if (e.key !== pending) return;
    pending = "";
    var target = document.querySelector(".decide [data-key='" + e.key + "']");
    if (!target) return;
    var href = target.getAttribute("href") || "";
    if (href.charAt(0) === "#") openBox(href.slice(1));
    else window.location = target.href;
  });
})();
