// Sets or deletes the staff sign-in cookie for the app's origin (ui/auth.py). This frame is
// served by the app itself (same origin), so the cookie it writes is the app's own; a file, not
// inline script, so the Content-Security-Policy needs no exception. Streamlit's component
// protocol (version 1): announce readiness, take the arguments of each render.
(function () {
  function send(type, extra) {
    window.parent.postMessage(Object.assign({ isStreamlitMessage: true, type: type }, extra), "*");
  }
  window.addEventListener("message", function (event) {
    if (event.source !== window.parent || !event.data || event.data.type !== "streamlit:render") {
      return;
    }
    var args = event.data.args || {};
    if (!/^[A-Za-z0-9_]+$/.test(args.name || "") || !/^[A-Za-z0-9_.-]*$/.test(args.value || "")) {
      return; // a token is base64url text and a dot; anything else is not written
    }
    var parts = [args.name + "=" + args.value, "Path=/", "SameSite=Lax",
                 "Max-Age=" + Math.max(0, Math.floor(Number(args.max_age) || 0))];
    if (window.location.protocol === "https:") {
      parts.push("Secure");
    }
    document.cookie = parts.join("; ");
    send("streamlit:setComponentValue", { value: args.value ? "set" : "deleted", dataType: "json" });
  });
  send("streamlit:componentReady", { apiVersion: 1 });
  send("streamlit:setFrameHeight", { height: 0 });
})();
