// townsquare: a little progressive enhancement. Every form and link works without this file;
// with it, actions happen in place, the composer counts characters and timelines grow at the
// bottom. The server answers our requests (X-Requested-With: fetch) with HTML fragments.
"use strict";
(function () {
  var HEADERS = { "X-Requested-With": "fetch" };
  var URL_RE = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;
  var URL_LENGTH = 23;

  function toast(message) {
    var el = document.getElementById("toast");
    if (!el) return;
    el.textContent = message;
    el.classList.add("show");
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { el.classList.remove("show"); }, 3500);
  }

  function fragment(html) {
    var t = document.createElement("template");
    t.innerHTML = html;
    return t.content;
  }

  function errorText(html) {
    var el = fragment(html).querySelector(".error");
    return el ? el.textContent : "Something went wrong. Please try again.";
  }

  // Characters as the server counts them: every link counts as 23.
  function countChars(text) {
    return Array.from(text.replace(URL_RE, "x".repeat(URL_LENGTH))).length;
  }

  function setupCounter(textarea) {
    var max = parseInt(textarea.getAttribute("data-counter"), 10);
    var form = textarea.form;
    var out = form.querySelector(".counter");
    var cw = form.querySelector("[name=spoiler_text]");
    var button = form.querySelector("button[type=submit]:not(.small)");
    function update() {
      var left = max - countChars(textarea.value) - (cw ? Array.from(cw.value).length : 0);
      if (out) {
        out.textContent = String(left);
        out.classList.toggle("over", left < 0);
        out.setAttribute("title", left < 0 ? (-left) + " characters too many" : left + " characters left");
      }
      if (button) button.disabled = left < 0;
    }
    textarea.addEventListener("input", update);
    if (cw) cw.addEventListener("input", update);
    update();
  }

  async function send(form) {
    var response = await fetch(form.action, {
      method: "POST", body: new FormData(form), headers: HEADERS, credentials: "same-origin"
    });
    var html = await response.text();
    if (response.status === 401) {
      window.location.href = "/login?next=" + encodeURIComponent(window.location.pathname);
      return null;
    }
    if (!response.ok) {
      toast(errorText(html));
      return null;
    }
    return html;
  }

  // Like, repost, bookmark, delete, vote: replace the post with its new rendering.
  async function inPlace(form) {
    var confirmText = form.getAttribute("data-confirm");
    if (confirmText && !window.confirm(confirmText)) return;
    var article = form.closest("article.status");
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    try {
      var html = await send(form);
      if (html === null) return;
      var done = form.getAttribute("data-done");
      if (done && form.action.indexOf("/show_") !== -1) {
        // Feedback on a ranked post: the post stays; say it is noted.
        var pressed = form.querySelector("button");
        if (pressed) pressed.setAttribute("aria-pressed", "true");
        toast(done);
        return;
      }
      if (!article) { window.location.reload(); return; }
      if (html.trim() === "") {
        article.remove();
        toast(done || "Deleted.");
        return;
      }
      var fresh = fragment(html).querySelector("article.status");
      if (fresh) {
        // Keep keyboard focus where it was: on the same control of the new rendering.
        var forms = Array.prototype.slice.call(article.querySelectorAll("form"));
        var index = forms.indexOf(form);
        article.replaceWith(fresh);
        var target;
        if (form.action.indexOf("/polls/") !== -1) {
          target = fresh.querySelector(".poll");  // the results that replaced the form
          if (target) target.setAttribute("tabindex", "-1");
        } else {
          var again = fresh.querySelectorAll("form")[index];
          target = again ? again.querySelector("button") : null;
        }
        if (target) target.focus();
      }
    } catch (e) {
      toast("The network is not answering. Please try again.");
    } finally {
      buttons.forEach(function (b) { b.disabled = false; });
    }
  }

  // Compose: insert the new post (at the top of a timeline, at the end of a thread's replies).
  async function compose(form) {
    var target = document.querySelector(form.getAttribute("data-insert"));
    var button = form.querySelector("button[type=submit]:not(.small)");
    if (button) button.disabled = true;
    try {
      var html = await send(form);
      if (html === null) return;
      var fresh = fragment(html).querySelector("article.status");
      if (target && fresh) {
        var empty = target.querySelector(".empty");
        if (empty) empty.remove();
        if (target.id === "replies") target.append(fresh); else target.prepend(fresh);
      }
      var text = form.querySelector("textarea");
      var keep = form.id === "reply" ? text.defaultValue : "";
      form.reset();
      text.value = keep;
      form.querySelectorAll("details").forEach(function (d) { d.open = false; });
      text.dispatchEvent(new Event("input"));
      toast("Posted.");
    } catch (e) {
      toast("The network is not answering. Please try again.");
    } finally {
      if (button) button.disabled = false;
      var t = form.querySelector("textarea");
      if (t) t.dispatchEvent(new Event("input"));
    }
  }

  // "Load more": fetch the next page's posts and put them in place of the link.
  async function loadMore(link) {
    if (link.getAttribute("aria-busy") === "true") return;
    link.setAttribute("aria-busy", "true");
    link.textContent = "Loading…";
    try {
      var response = await fetch(link.href, { headers: HEADERS, credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      var html = await response.text();
      var holder = link.closest(".more");
      holder.replaceWith(fragment(html));
      watchMore();
    } catch (e) {
      link.removeAttribute("aria-busy");
      link.textContent = "Load more";
      toast("Could not load more. Please try again.");
    }
  }

  var observer = null;
  function watchMore() {
    if (!("IntersectionObserver" in window)) return;
    if (!observer) {
      observer = new IntersectionObserver(function (entries) {
        entries.forEach(function (entry) {
          if (entry.isIntersecting) {
            observer.unobserve(entry.target);
            loadMore(entry.target);
          }
        });
      }, { rootMargin: "400px" });
    }
    document.querySelectorAll("a[data-more]:not([aria-busy])").forEach(function (a) { observer.observe(a); });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !window.fetch) return;
    if (form.hasAttribute("data-inplace")) {
      event.preventDefault();
      inPlace(form);
    } else if (form.hasAttribute("data-insert") && document.querySelector(form.getAttribute("data-insert"))) {
      event.preventDefault();
      compose(form);
    }
  });

  document.addEventListener("click", function (event) {
    var link = event.target instanceof Element ? event.target.closest("a[data-more]") : null;
    if (link && window.fetch) {
      event.preventDefault();
      loadMore(link);
    }
  });

  function init() {
    document.querySelectorAll("textarea[data-counter]").forEach(setupCounter);
    watchMore();
    if (window.location.hash === "#reply") {
      var t = document.querySelector("#reply textarea");
      if (t) { t.focus(); t.setSelectionRange(t.value.length, t.value.length); }
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
