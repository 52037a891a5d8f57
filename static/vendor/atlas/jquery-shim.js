/* Community Response Atlas: the two jQuery calls folium's templates make, without jQuery. */
(function () {
  if (window.jQuery) { return; }
  function shim(arg) {
    if (typeof arg === "string") {
      var t = document.createElement("template");
      t.innerHTML = arg.trim();
      return Array.prototype.slice.call(t.content.childNodes);
    }
    return {
      ready: function (fn) {
        if (document.readyState !== "loading") { fn(); }
        else { document.addEventListener("DOMContentLoaded", fn); }
      }
    };
  }
  window.$ = shim;
})();
